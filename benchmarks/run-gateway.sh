#!/usr/bin/env bash
# Gateway throughput: DJL MiniLM prompts/s and Java HiddenStatePublisher records/s; writes the "Gateway throughput"
# section of BENCHMARKS.md.
# Usage: benchmarks/run-gateway.sh [PASSES RECORDS DIM PROMPTS_PER_FILE]   default 3 50000 4096 500 (a few minutes)
# Prompts: ../shared/data/prompts/*_val.json and *_train.json when present, else the gateway's shipped demo prompts.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
build_benchmarks
passes=${1:-3}; records=${2:-50000}; dim=${3:-4096}; per_file=${4:-500}
cd "$root"
shared="../shared/data/prompts"
if ls "$shared"/harm*_train.json > /dev/null 2>&1; then
  prompts=$(ls "$shared"/harm*.json | paste -sd, -)
else
  prompts="$root/gateway-djl/src/main/resources/prompts/demo_harmful.json,$root/gateway-djl/src/main/resources/prompts/demo_harmless.json"
fi
section=$(mktemp)
load=$(load_note)
java -Xmx4g --add-modules jdk.incubator.vector -Drefusalmonitor.root="$root" -Dai.djl.offline=true -Dorg.slf4j.simpleLogger.defaultLogLevel=warn -Dorg.slf4j.simpleLogger.log.ai.djl.util.cuda=error \
  -cp "$bench_cp" dev.refusalmonitor.bench.gateway.GatewayBenchmark \
  "$section" "benchmarks/run-gateway.sh${*:+ $*}" "$prompts" "$passes" "$records" "$dim" "$per_file"
printf "\n%s\n" "$load" >> "$section"
write_section "$section"
rm -f "$section"
echo "wrote the Gateway throughput section of BENCHMARKS.md" >&2
