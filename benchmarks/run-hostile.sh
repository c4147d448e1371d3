#!/usr/bin/env bash
# Hostile input (issue 15): the worst records we can construct against the monitor's default limits, sent between
# paced good records on one stream thread; reports each one's CPU time and the worst stall of the good records
# behind it. Writes the "Hostile input: worst records and the stall behind them" section of BENCHMARKS.md.
# Usage: benchmarks/run-hostile.sh [ROUNDS]   default 3   (~2 minutes)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
build_benchmarks
rounds=${1:-3}
section=$(mktemp)
load=$(load_note)
java -Xmx3g --add-modules jdk.incubator.vector -Dorg.slf4j.simpleLogger.defaultLogLevel=warn -cp "$bench_cp" \
  dev.refusalmonitor.bench.hostile.HostileInputBenchmark "$section" "benchmarks/run-hostile.sh${*:+ $*}" "$rounds"
printf "\n%s\n" "$load" >> "$section"
write_section "$section"
rm -f "$section"
echo "wrote the Hostile input section of BENCHMARKS.md" >&2
