#!/usr/bin/env bash
# Hostile input (issue 15): the worst records we can construct against the monitor's default limits, sent between
# paced good records on one stream thread; reports each one's CPU time and the worst stall of the good records
# behind it. Writes the "Hostile input: worst records and the stall behind them" section of BENCHMARKS.md.
# Usage: benchmarks/run-hostile.sh [ROUNDS]   default 3   (~3 minutes)
# Env: HOSTILE_BROKER=process (default: a Kafka 4.3.1 broker in its own JVM on 127.0.0.1:HOSTILE_PORT, 19094 unless set,
# 19092..19098, as in production) or embedded (the broker in the benchmark's JVM); HOSTILE_JVM_OPTS: more options for
# the benchmark JVM (e.g. -Dbench.kinds=limit:,valid to time only the kinds whose names contain one of those strings).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
build_benchmarks
rounds=${1:-3}
mode=${HOSTILE_BROKER:-process}
external=()
case "$mode" in
  process)
    port=${HOSTILE_PORT:-19094}
    [ "$port" -ge 19092 ] && [ "$port" -le 19098 ] || { echo "HOSTILE_PORT must be in 19092..19098" >&2; exit 2; }
    trap stop_process_broker EXIT
    start_process_broker "$port"
    external=("127.0.0.1:$port" "$broker_note") ;;
  embedded) ;;
  *) echo "HOSTILE_BROKER must be process or embedded" >&2; exit 2 ;;
esac
section=$(mktemp)
load=$(load_note)
java -Xmx3g --add-modules jdk.incubator.vector ${HOSTILE_JVM_OPTS:-} -Dorg.slf4j.simpleLogger.defaultLogLevel=warn -cp "$bench_cp" \
  dev.refusalmonitor.bench.hostile.HostileInputBenchmark "$section" \
  "${HOSTILE_BROKER:+HOSTILE_BROKER=$HOSTILE_BROKER }benchmarks/run-hostile.sh${*:+ $*}" "$rounds" "${external[@]}"
printf "\n%s\n" "$load" >> "$section"
write_section "$section"
rm -f "$section"
echo "wrote the Hostile input section of BENCHMARKS.md" >&2
