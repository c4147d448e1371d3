#!/usr/bin/env bash
# JMH benchmark of the per-record scoring kernel; writes the "Scoring kernel (JMH)" section of BENCHMARKS.md.
# Usage: benchmarks/run-kernel.sh [forks warmupIterations measurementIterations secondsPerIteration]
#   default 2 5 10 1 (about 7 minutes, plus one-off fits cached under /tmp/refusal-bench-sets); quick check: 1 1 2 1
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
build_benchmarks
section=$(mktemp)
cmd="benchmarks/run-kernel.sh${*:+ $*}"
java -Xmx2g --add-modules jdk.incubator.vector -cp "$bench_cp" dev.refusalmonitor.bench.kernel.KernelReport "$section" "$cmd" "$@"
printf "\n%s\n" "$(load_note)" >> "$section"
write_section "$section"
rm -f "$section"
echo "wrote the Scoring kernel section of BENCHMARKS.md" >&2
