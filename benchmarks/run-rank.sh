#!/usr/bin/env bash
# Low-rank Mahalanobis: quality (refusal and OOD AUROC) and scoring speed against rank k and eigenvector storage, on
# planted-truth activations (d = 4096, 1024) and, when present, the MiniLM embeddings of ../shared/data/prompts train/val
# that benchmarks/run-detection.sh keeps in ${DETECTION_BENCH_DIR:-/tmp/refusal-detection-bench}/emb (run it first for
# the real-data rows). Writes the "### Rank and storage: quality and speed" subsection of "Mahalanobis eigenvector storage".
# Usage: benchmarks/run-rank.sh      (about 5 minutes on 2 cores)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
build_benchmarks
emb="${DETECTION_BENCH_DIR:-/tmp/refusal-detection-bench}/emb"
args=()
[ -f "$emb/harmful_train.npy" ] && [ -f "$emb/shifted_docs.npy" ] && args=("$emb")
section=$(mktemp)
load=$(load_note)
java -Xmx6g --add-modules jdk.incubator.vector -Dorg.slf4j.simpleLogger.defaultLogLevel=warn -cp "$bench_cp" \
  dev.refusalmonitor.bench.detection.MahalanobisRankBenchmark "$section" "benchmarks/run-rank.sh\` at commit \`$(git -C "$root" rev-parse --short HEAD)$(git -C "$root" diff --quiet HEAD || echo ' (with uncommitted changes)')" "${args[@]}"
printf "\n%s 1-minute load average at the end: %s.\n" "$load" "$(cut -d' ' -f1 /proc/loadavg)" >> "$section"
/usr/bin/python3 "$root/benchmarks/md_section.py" "${BENCHMARKS_MD:-$root/BENCHMARKS.md}" "$section" "## Mahalanobis eigenvector storage"
rm -f "$section"
echo "wrote the Rank and storage subsection of BENCHMARKS.md" >&2
