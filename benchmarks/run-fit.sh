#!/usr/bin/env bash
# Fit benchmark: `probe-trainer fit` (Java, -Xmx4g) beside benchmarks/fit/fit_reference.py (numpy/scikit-learn) on the
# same .npy files, in the same run; writes the "Fit" section of BENCHMARKS.md.
# Usage: benchmarks/run-fit.sh [DIM HARMFUL HARMLESS LAYERS]   default 4096 4000 4000 4 (the issue's size)
# Data and logs go to ${FIT_BENCH_DIR:-/tmp/refusal-fit-bench}; the data is generated once per size and reused.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
dim=${1:-4096}; nh=${2:-4000}; ns=${3:-4000}; layers=${4:-4}
work=${FIT_BENCH_DIR:-/tmp/refusal-fit-bench}
data="$work/d$dim-h$nh-s$ns-l$layers"
java_heap=${FIT_BENCH_XMX:-4g}
mkdir -p "$work"
started_load=$(load_note)

"$root/bin/probe-trainer" --help > /dev/null   # builds the trainer now, outside the timed run
if [ ! -f "$data/harmful.npy" ]; then
  echo "generating $data ..." >&2
  "$root/bin/probe-trainer" generate --out "$data" --d "$dim" --harmful "$nh" --harmless "$ns" --layers "$layers"
fi

echo "Java fit ..." >&2
rm -rf "$work/java-out"
JAVA_OPTS="-Xmx$java_heap -Xlog:gc:file=$work/gc.log" /usr/bin/time -v -o "$work/java-time.txt" \
  "$root/bin/probe-trainer" fit --harmful "$data/harmful.npy" --harmless "$data/harmless.npy" --out "$work/java-out" \
  2> "$work/java-stderr.log"

echo "Python fit ..." >&2
/usr/bin/time -v -o "$work/python-time.txt" /usr/bin/python3 "$root/benchmarks/fit/fit_reference.py" \
  "$data/harmful.npy" "$data/harmless.npy" > "$work/python.json"

section=$(mktemp)
/usr/bin/python3 - "$work" "$section" "benchmarks/run-fit.sh${*:+ $*}" "$(machine_line)" "$started_load" \
  "$dim" "$nh" "$ns" "$layers" "$java_heap" "${OPENBLAS_CORETYPE:-unset}" <<'PY'
import json, re, sys
work, out, cmd, machine, load, dim, nh, ns, layers, heap, coretype = sys.argv[1:]

def time_v(path):
    t = open(path).read()
    wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (\S+)", t).group(1).split(":")
    secs = sum(float(p) * 60 ** i for i, p in enumerate(reversed(wall)))
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", t).group(1)) * 1024
    cpu = float(re.search(r"User time \(seconds\): (\S+)", t).group(1)) + float(re.search(r"System time \(seconds\): (\S+)", t).group(1))
    return secs, rss, cpu

jw, jrss, jcpu = time_v(f"{work}/java-time.txt")
pw, prss, pcpu = time_v(f"{work}/python-time.txt")
py = json.loads(open(f"{work}/python.json").read())
heap_before = [int(m.group(1)) for m in re.finditer(r"(\d+)M->\d+M\(\d+M\)", open(f"{work}/gc.log").read())]
peak_heap = max(heap_before) if heap_before else None
progress = [l.rstrip() for l in open(f"{work}/java-stderr.log") if re.search(r"\[\s*\d+\.\d+s\]", l)]
gib = 1 << 30
ratio = jw / pw
lines = [
    "## Fit", "",
    f"Command: `{cmd}`", "",
    f"Machine: {machine}", "", load, "",
    f"Data: `probe-trainer generate --d {dim} --harmful {nh} --harmless {ns} --layers {layers}` (f32 .npy, planted truth). "
    f"Java: `bin/probe-trainer fit` with `-Xmx{heap}` (every direction type, held-out evaluation, published fit). "
    f"Python: `/usr/bin/python3 benchmarks/fit/fit_reference.py` (the same fits with numpy/scikit-learn; "
    f"exact Mahalanobis inverse: {py['exact']}; OPENBLAS_CORETYPE={coretype}). "
    "Wall time, CPU time and peak RSS from `/usr/bin/time -v` (RSS includes native memory: DJL/PyTorch, OpenBLAS); "
    "Java peak heap = the largest heap occupancy before a collection in `-Xlog:gc`.", "",
    "| | wall s | CPU s | peak RSS GiB | peak heap GiB |", "| --- | ---: | ---: | ---: | ---: |",
    f"| Java `probe-trainer fit` | {jw:.1f} | {jcpu:.1f} | {jrss / gib:.2f} | {peak_heap / 1024:.2f} |" if peak_heap else
    f"| Java `probe-trainer fit` | {jw:.1f} | {jcpu:.1f} | {jrss / gib:.2f} | no GC logged |",
    f"| numpy/scikit-learn | {pw:.1f} | {pcpu:.1f} | {prss / gib:.2f} | |", "",
    f"Java / Python wall time: **{ratio:.2f}×** (target ≤ 0.5×: **{'met' if ratio <= 0.5 else 'missed'}**); "
    f"Java peak heap ≤ 4 GiB: **{'met' if peak_heap is not None and peak_heap <= 4096 else 'missed' if peak_heap else 'n/a'}**. "
    f"Python: load {py['load_seconds']:.1f} s, per layer " + ", ".join(f"{s:.1f}" for s in py["layer_seconds"]) + " s.", "",
    "Where the Java time goes (the fit's progress lines, elapsed seconds since the fit started):", "", "```",
    *progress, "```", ""]
open(out, "w").write("\n".join(lines))
PY
write_section "$section"
rm -f "$section"
echo "wrote the Fit section of BENCHMARKS.md" >&2
