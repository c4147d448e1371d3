#!/usr/bin/env bash
# Detection quality on real MiniLM activations: embeds ../shared/data/prompts (train and val) and this repository's
# benchmarks/detection sets with the gateway, fits with `probe-trainer fit` defaults on the training prompts (val as
# holdout files, so the report checks the published decisions on prompts the fit never saw), then scores val, the
# paraphrased harmful set and the shifted-domain set (DetectionQualityBenchmark). Writes the "Detection quality"
# section of BENCHMARKS.md.
# Usage: benchmarks/run-detection.sh            (about 10 minutes on 2 free cores; the embeddings are kept and reused)
# Data and logs go to ${DETECTION_BENCH_DIR:-/tmp/refusal-detection-bench}. Public harmful-prompt benchmarks are never
# used here: only ../shared/data/prompts and the two sets under benchmarks/detection.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$root"
shared="../shared/data/prompts"
[ -f "$shared/harmful_train.json" ] || { echo "no $shared/harmful_train.json: the shared prompt data is needed" >&2; exit 2; }
work=${DETECTION_BENCH_DIR:-/tmp/refusal-detection-bench}
emb="$work/emb"
mkdir -p "$emb"
started_load=$(load_note)
build_benchmarks
"$root/bin/gateway" --help > /dev/null
"$root/bin/probe-trainer" --help > /dev/null

for f in "$shared/harmful_train.json" "$shared/harmless_train.json" "$shared/harmful_val.json" "$shared/harmless_val.json" \
         "$root/benchmarks/detection/paraphrased_harmful.json" "$root/benchmarks/detection/shifted_docs.json"; do
  out="$emb/$(basename "$f" .json).npy"
  if [ ! -f "$out" ]; then
    echo "embedding $f ..." >&2
    "$root/bin/gateway" embed --prompts "$f" --out "$out" --batch-size 32 >&2
  fi
done

fit_cmd="bin/probe-trainer fit --harmful harmful_train.npy --harmless harmless_train.npy --holdout-harmful harmful_val.npy --holdout-harmless harmless_val.npy --out DIR"
echo "fitting ..." >&2
rm -rf "$work/fit"
/usr/bin/time -v -o "$work/fit-time.txt" "$root/bin/probe-trainer" fit --harmful "$emb/harmful_train.npy" \
  --harmless "$emb/harmless_train.npy" --holdout-harmful "$emb/harmful_val.npy" --holdout-harmless "$emb/harmless_val.npy" \
  --out "$work/fit" > "$work/fit-stdout.txt" 2> "$work/fit-stderr.log"
fit_wall=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$work/fit-time.txt")

echo "scoring ..." >&2
java -Xmx6g --add-modules jdk.incubator.vector -Dai.djl.offline=true -Dorg.slf4j.simpleLogger.defaultLogLevel=warn \
  -cp "$bench_cp" dev.refusalmonitor.bench.detection.DetectionQualityBenchmark "$emb" "$shared" \
  "$root/benchmarks/detection" "$work/fit/directions.pb" > "$work/tables.md"

section=$(mktemp)
{
  echo "## Detection quality"
  echo
  echo "Command: \`benchmarks/run-detection.sh\` (embeddings: \`bin/gateway embed --prompts FILE.json --out FILE.npy\`, mean pooling, layers 0–6, d = 384;"
  echo "fit: \`$fit_cmd\`, every other option at its default: target FPR 0.01, 5-fold CV, multi-layer auto, Mahalanobis++; wall time $fit_wall;"
  echo "scores: \`DetectionQualityBenchmark\` with the monitor's own scorer)."
  echo
  echo "Machine: $(machine_line)"
  echo
  echo "$started_load"
  echo
  echo "Data: all of \`../shared/data/prompts\`: train = harmful_train 260 + harmless_train 18793 (the fit, its CV and its thresholds);"
  echo "val = harmful_val 39 + harmless_val 6264 (never seen by the fit). Paraphrased set: 40 harmful requests written for this benchmark"
  echo "(role-play, fiction framing, euphemism, professional pretext, slang and step-wise decomposition; not taken from any public"
  echo "benchmark). Public harmful-prompt benchmarks were not used for fitting, tuning or choosing any default."
  echo
  echo "What \`fit\` printed:"
  echo
  echo '```'
  cat "$work/fit-stdout.txt"
  echo '```'
  echo
  cat "$work/tables.md"
} > "$section"
write_section "$section"
rm -f "$section"
echo "wrote the Detection quality section of BENCHMARKS.md" >&2
