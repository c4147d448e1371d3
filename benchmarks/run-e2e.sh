#!/usr/bin/env bash
# End-to-end monitor benchmark (drain rate EOS on/off vs a plain consumer and a kafka-python + numpy consumer, paced
# latency, JFR profile); writes the "End-to-end monitor" section of BENCHMARKS.md.
# Usage: benchmarks/run-e2e.sh [RECORDS DIM PACED_RATE PACED_SECONDS]   default 50000 4096 1000 60
# Full size: ~50000 x 16 KiB = 800 MiB of topic data under /tmp (the broker's log dir), JVM -Xmx4g.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
build_benchmarks
records=${1:-50000}; dim=${2:-4096}; rate=${3:-1000}; secs=${4:-60}
section=$(mktemp)
load=$(load_note)
java -Xmx4g --add-modules jdk.incubator.vector -Dorg.slf4j.simpleLogger.defaultLogLevel=warn -cp "$bench_cp" dev.refusalmonitor.bench.e2e.EndToEndBenchmark \
  "$section" "benchmarks/run-e2e.sh${*:+ $*}" "$records" "$dim" "$rate" "$secs" "$root/benchmarks/e2e/python_consumer.py"
printf "\n%s\n" "$load" >> "$section"
write_section "$section"
rm -f "$section"
echo "wrote the End-to-end monitor section of BENCHMARKS.md" >&2
