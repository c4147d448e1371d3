#!/usr/bin/env bash
# Trainer refit benchmark: the refit `probe-trainer run` performs is DirectionFitter.fit on a snapshot of its
# reservoirs; this times that fit (through `probe-trainer fit`, the same code) at the default reservoir size
# (4000 rows per class) and reports the reservoir memory it implies. Writes the "Trainer refit" section.
# Usage: benchmarks/run-trainer.sh [ROWS_PER_CLASS]   default 4000 (probe-trainer run --reservoir-size default)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
rows=${1:-4000}
cmd="benchmarks/run-trainer.sh${*:+ $*}"
work=${TRAINER_BENCH_DIR:-/tmp/refusal-trainer-bench}
mkdir -p "$work"
started_load=$(load_note)
"$root/bin/probe-trainer" --help > /dev/null   # build outside the timed runs

results="$work/results.tsv"
: > "$results"
for case in "384 1" "384 7" "4096 1"; do
  read -r d layers <<< "$case"
  data="$work/d$d-l$layers-n$rows"
  [ -f "$data/harmful.npy" ] || "$root/bin/probe-trainer" generate --out "$data" --d "$d" --layers "$layers" \
      --harmful "$rows" --harmless "$rows" > /dev/null
  rm -rf "$data/out"
  JAVA_OPTS="-Xmx6g" /usr/bin/time -v -o "$data/time.txt" "$root/bin/probe-trainer" fit --quiet \
      --harmful "$data/harmful.npy" --harmless "$data/harmless.npy" --out "$data/out" > /dev/null
  wall=$(grep "Elapsed (wall clock)" "$data/time.txt" | awk '{print $NF}')
  rss=$(grep "Maximum resident set size" "$data/time.txt" | awk '{print $NF}')
  size=$(stat -c %s "$data/out/directions.pb")
  printf "%s\t%s\t%s\t%s\t%s\n" "$d" "$layers" "$wall" "$rss" "$size" >> "$results"
done

section=$(mktemp)
/usr/bin/python3 - "$results" "$section" "$cmd" "$(machine_line)" "$started_load" "$rows" <<'PY'
import sys
results, out, cmd, machine, load, rows = sys.argv[1:]
rows = int(rows)
def secs(w):
    s = 0.0
    for p in w.split(":"):
        s = s * 60 + float(p)
    return s
lines = ["## Trainer refit", "", f"Command: `{cmd}`", "", f"Machine: {machine}", "",
         f"One refit of `probe-trainer run` = the full fit (every direction type, held-out split, layer choice, CAST "
         f"grid, sectors) on a snapshot of the reservoirs, here {rows} rows per class (the default `--reservoir-size`) "
         "of planted-truth data, run through `probe-trainer fit` (same code) with -Xmx6g. Reservoir memory = "
         "2 classes × rows × layers × d × 4 bytes (a refit copies it once more).", "",
         "| d | layers | reservoir memory | refit wall time | peak RSS | published set |",
         "| ---: | ---: | ---: | ---: | ---: | ---: |"]
for line in open(results):
    d, layers, wall, rss, size = line.split()
    d, layers = int(d), int(layers)
    mem = 2 * rows * layers * d * 4
    lines.append(f"| {d} | {layers} | {mem / 2**20:.1f} MiB | {secs(wall):.1f} s | {int(rss) / 2**20:.2f} GiB | "
                 f"{int(size) / 2**20:.2f} MiB |")
lines += ["", load]
open(out, "w").write("\n".join(lines) + "\n")
PY
write_section "$section"
rm -f "$section"
echo "wrote the Trainer refit section of BENCHMARKS.md" >&2
