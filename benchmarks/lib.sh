# Sourced by the run-*.sh scripts: paths, the module build, and writing a section into BENCHMARKS.md.
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bench_jar="$root/benchmarks/target/benchmarks-0.1.0-SNAPSHOT.jar"
bench_cp="$bench_jar:$root/benchmarks/target/lib/*"

# Builds the benchmarks module (and what it depends on) when its jar is missing or older than any main source.
build_benchmarks() {
  local stale=""
  [ -f "$bench_jar" ] && stale=$(find "$root" -path '*/src/main/*' -newer "$bench_jar" -type f -print -quit 2>/dev/null || true)
  if [ ! -f "$bench_jar" ] || [ ! -d "$root/benchmarks/target/lib" ] || [ -n "$stale" ]; then
    echo "building benchmarks ..." >&2
    (cd "$root" && mvn -q -B -DskipTests package -pl benchmarks -am) >&2
  fi
}

# One line: commit, CPU, nproc, memory, JDK, Python, date.
machine_line() {
  local cpu mem jdk
  cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')
  mem=$(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo)
  jdk=$(java -version 2>&1 | head -1)
  echo "commit $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)$(git -C "$root" diff --quiet HEAD 2>/dev/null || echo ' (with uncommitted changes)'); $cpu; nproc $(nproc); memory $mem; $jdk; $(/usr/bin/python3 --version) with numpy $(/usr/bin/python3 -c 'import numpy; print(numpy.__version__)'); $(date '+%Y-%m-%d %H:%M %Z')"
}

# Load note: the 1-minute load average at the start, so runs on a busy machine say so.
load_note() {
  local load
  load=$(cut -d' ' -f1 /proc/loadavg)
  if awk -v l="$load" -v n="$(nproc)" 'BEGIN {exit !(l > 0.5 * n)}'; then
    echo "**Measured under load** (1-minute load average $load on $(nproc) cores at the start): figures are pessimistic."
  else
    echo "1-minute load average at the start: $load on $(nproc) cores."
  fi
}

# write_section FILE: replaces FILE's "## Title" section in BENCHMARKS.md.
write_section() {
  /usr/bin/python3 "$root/benchmarks/md_section.py" "${BENCHMARKS_MD:-$root/BENCHMARKS.md}" "$1"
}

# start_process_broker PORT: a single-node KRaft broker (Kafka 4.3.1 from the Maven Central jars in benchmarks/target/lib,
# the same class path as deploy/images/kafka) as its own `java` process, PLAINTEXT on 127.0.0.1:PORT, controller on
# PORT+1, log dir in a temp dir; sets broker_pid, broker_dir and broker_note (one sentence for the benchmark's text).
# The caller traps stop_process_broker on EXIT.
broker_pid=""; broker_dir=""
start_process_broker() {
  local port=$1 cport=$(($1 + 1)) cp="$root/benchmarks/target/lib/*" log="-Dorg.slf4j.simpleLogger.defaultLogLevel=warn"
  local heap=1g cluster_id
  broker_dir=$(mktemp -d "${TMPDIR:-/tmp}/refusal-broker.XXXXXX")
  cat > "$broker_dir/server.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$cport
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$cport
advertised.listeners=PLAINTEXT://127.0.0.1:$port
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
log.dirs=$broker_dir/data
num.partitions=1
default.replication.factor=1
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=3000
PROPS
  cluster_id=$(java $log -cp "$cp" kafka.tools.StorageTool random-uuid | tail -1)
  java $log -cp "$cp" kafka.tools.StorageTool format --cluster-id "$cluster_id" --config "$broker_dir/server.properties" > "$broker_dir/format.log"
  java -Xms$heap -Xmx$heap $log -cp "$cp" kafka.Kafka "$broker_dir/server.properties" > "$broker_dir/broker.log" 2>&1 &
  broker_pid=$!
  for _ in $(seq 1 120); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
    kill -0 "$broker_pid" 2>/dev/null || { cat "$broker_dir/broker.log" >&2; exit 1; }
    sleep 0.5
  done
  broker_note="Broker: Kafka 4.3.1 KRaft, one combined broker+controller node in its own JVM (\`kafka.Kafka\`, -Xmx$heap, class path = the Maven Central jars in benchmarks/target/lib, storage formatted with \`kafka.tools.StorageTool\`), PLAINTEXT on 127.0.0.1, log dir in a temp dir, group.initial.rebalance.delay.ms = 3000, replication 1; same 2 cores as everything else."
}

# Stops the broker start_process_broker started (SIGTERM, then SIGKILL after 30 s) and removes its data.
stop_process_broker() {
  if [ -n "$broker_pid" ] && kill -0 "$broker_pid" 2>/dev/null; then
    kill "$broker_pid"
    for _ in $(seq 1 60); do kill -0 "$broker_pid" 2>/dev/null || break; sleep 0.5; done
    kill -9 "$broker_pid" 2>/dev/null || true
  fi
  [ -z "$broker_dir" ] || rm -rf "$broker_dir"
}
