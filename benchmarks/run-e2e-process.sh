#!/usr/bin/env bash
# End-to-end throughput with the Kafka broker in its own process (issue 15 item 6): starts a single-node KRaft broker
# (Kafka 4.3.1 from Maven Central's jars: kafka_2.13's kafka.Kafka and kafka.tools.StorageTool, the same class path as
# deploy/images/kafka, here benchmarks/target/lib) as its own `java` process on 127.0.0.1, runs ProcessBrokerBenchmark
# against it (plain consumer, Streams pass-through, monitor EOS/ALOS per Mahalanobis rank, 2 instances, Python), stops
# the broker, and writes the "### Broker in its own process" subsection of "End-to-end monitor" in BENCHMARKS.md.
# Usage: benchmarks/run-e2e-process.sh [F32_RECORDS BF16_RECORDS]   default 50000 20000 (30-60 min on 2 cores; most of it
# the warm-up passes, which repeat until the JIT compilers of both JVMs settle)
# Env: E2E_RANKS (default 64,32,16): Mahalanobis ranks of the monitor rows; E2E_ROUNDS (default 3): rounds (medians); E2E_PORT (19092..19098, default 19092;
# the controller listens on the next port); E2E_JVM_OPTS: more options for the benchmark JVM only (e.g. a JFR recording,
# -Dbench.warm-passes=N (default 2), -Dbench.thread-cpu=true for each drain's CPU by thread in both JVMs).
# Topic data goes to a temp dir (~1.6 GiB at the defaults), removed at the end.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
build_benchmarks
f32=${1:-50000}; bf16=${2:-20000}
ranks=${E2E_RANKS:-64,32,16}
rounds=${E2E_ROUNDS:-3}
port=${E2E_PORT:-19092}
[ "$port" -ge 19092 ] && [ "$port" -le 19098 ] || { echo "E2E_PORT must be in 19092..19098" >&2; exit 2; }
trap stop_process_broker EXIT
start_process_broker "$port"
log="-Dorg.slf4j.simpleLogger.defaultLogLevel=warn"
section=$(mktemp)
load=$(load_note)
java -Xmx4g --add-modules jdk.incubator.vector ${E2E_JVM_OPTS:-} $log -Dbench.ranks="$ranks" -Dbench.rounds="$rounds" -cp "$bench_cp" \
  dev.refusalmonitor.bench.e2e.ProcessBrokerBenchmark "$section" "${E2E_RANKS:+E2E_RANKS=$E2E_RANKS }${E2E_ROUNDS:+E2E_ROUNDS=$E2E_ROUNDS }benchmarks/run-e2e-process.sh${*:+ $*}\` at commit \`$(git -C "$root" rev-parse --short HEAD)$(git -C "$root" diff --quiet HEAD || echo ' (with uncommitted changes)')" \
  "127.0.0.1:$port" "$broker_pid" "$f32" "$bf16" "$root/benchmarks/e2e/python_consumer.py" "$broker_note" || status=$?
end_load=$(cut -d' ' -f1 /proc/loadavg)
if [ -s "$section" ]; then
  printf "\n%s 1-minute load average at the end: %s.\n" "$load" "$end_load" >> "$section"
  /usr/bin/python3 "$root/benchmarks/md_section.py" "${BENCHMARKS_MD:-$root/BENCHMARKS.md}" "$section" "## End-to-end monitor"
  echo "wrote the Broker in its own process subsection of BENCHMARKS.md" >&2
fi
rm -f "$section"
exit "${status:-0}"
