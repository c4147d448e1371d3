#!/usr/bin/env bash
# Crash recovery (issue 15): kill -9 of a monitor instance (a child JVM running `monitor-service run`), restarted at
# once; recovery time to the next committed score, lost and duplicated records under exactly-once. Writes the
# "Crash recovery: kill -9 of a monitor instance" section of BENCHMARKS.md.
# Usage: benchmarks/run-crash.sh [KILLS RATE VARIANT[:KILLS]...]
#   default 10 200 dynamic-45s:3 dynamic-6s static-6s dynamic-6s-2 static-6s-2   (~15 minutes)
# Variants: dynamic-45s (the old default; ~1 min per kill), dynamic-6s, static-6s (one instance, restarted),
# dynamic-6s-2, static-6s-2 (two instances; the killed one alternates and is restarted).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
build_benchmarks
kills=${1:-10}; rate=${2:-200}
shift $(( $# > 2 ? 2 : $# )) || true
variants=("$@")
[ ${#variants[@]} -eq 0 ] && variants=(dynamic-45s:3 dynamic-6s static-6s dynamic-6s-2 static-6s-2)
section=$(mktemp)
load=$(load_note)
java -Xmx2g --add-modules jdk.incubator.vector -Dorg.slf4j.simpleLogger.defaultLogLevel=warn -cp "$bench_cp" \
  dev.refusalmonitor.bench.crash.CrashRecoveryBenchmark "$section" "benchmarks/run-crash.sh $kills $rate ${variants[*]}" \
  "$kills" "$rate" "${variants[@]}"
printf "\n%s\n" "$load" >> "$section"
write_section "$section"
rm -f "$section"
echo "wrote the Crash recovery section of BENCHMARKS.md" >&2
