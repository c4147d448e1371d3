#!/bin/bash
# Entrypoint of refusal-monitor/kafka: a Kafka 4.3.1 KRaft server configured from the environment.
#
#   KAFKA_<NAME>   sets server property <name>: upper snake case, "_" -> ".", "__" -> "_", "___" -> "-"
#                  (KAFKA_NODE_ID -> node.id, KAFKA_CONTROLLER_QUORUM_VOTERS -> controller.quorum.voters;
#                  the same convention as the apache/kafka image). KAFKA_HEAP_OPTS, KAFKA_OPTS, KAFKA_LOG_LEVEL and
#                  KAFKA_JVM_* are not properties.
#   CLUSTER_ID     the cluster id every node is formatted with (22-character base64 UUID). Required when
#                  controller.quorum.voters names more than one node; one node alone gets a random id.
#   LOG_LEVEL / KAFKA_LOG_LEVEL   broker log level (default INFO)
#   JAVA_OPTS      extra JVM flags, appended last (e.g. -Xmx512m); the heap defaults to 50 % of the container's memory.
#
# Defaults (a single combined broker+controller, node 1, PLAINTEXT on :9092, CONTROLLER on :9093, replication 1)
# are written first; every KAFKA_* variable overrides or adds a property. The data directory is formatted on the
# first start (kafka.tools.StorageTool format --ignore-formatted), then kafka.Kafka runs in the foreground.
# Extra arguments are passed to kafka.Kafka (e.g. --override key=value); a first argument naming one of the image's
# tools (kafka-topics, kafka-console-consumer, ...) or bash/sh runs that instead.
set -euo pipefail

# `docker run refusal-monitor/kafka kafka-topics --bootstrap-server ...` runs a tool (or a shell) instead of a broker.
case "${1:-}" in
  kafka-*|bash|sh) exec "$@" ;;
esac

KAFKA_HOME="${KAFKA_HOME:-/opt/kafka}"
config_dir="${KAFKA_CONFIG_DIR:-/var/lib/kafka/config}"
mkdir -p "$config_dir"
props="$config_dir/server.properties"

node_id="${KAFKA_NODE_ID:-1}"
host="$(hostname)"
declare -A p=(
  [process.roles]="broker,controller"
  [node.id]="$node_id"
  [controller.quorum.voters]="${node_id}@localhost:9093"
  [listeners]="PLAINTEXT://:9092,CONTROLLER://:9093"
  [advertised.listeners]="PLAINTEXT://${host}:9092"
  [listener.security.protocol.map]="CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,EXTERNAL:PLAINTEXT"
  [controller.listener.names]="CONTROLLER"
  [inter.broker.listener.name]="PLAINTEXT"
  [log.dirs]="/var/lib/kafka/data"
  [num.partitions]="1"
  [default.replication.factor]="1"
  [min.insync.replicas]="1"
  [offsets.topic.replication.factor]="1"
  [transaction.state.log.replication.factor]="1"
  [transaction.state.log.min.isr]="1"
  [share.coordinator.state.topic.replication.factor]="1"
  [share.coordinator.state.topic.min.isr]="1"
  [group.initial.rebalance.delay.ms]="0"
)

for name in $(compgen -e); do
  case "$name" in
    KAFKA_HEAP_OPTS|KAFKA_OPTS|KAFKA_LOG_LEVEL|KAFKA_HOME|KAFKA_CONFIG_DIR|KAFKA_JVM_*) continue ;;
    KAFKA_*)
      key="${name#KAFKA_}"
      key="${key//___/-}"
      key="${key//__/@}"
      key="${key//_/.}"
      key="${key//@/_}"
      key="${key,,}"
      p[$key]="${!name}"
      ;;
  esac
done

: > "$props"
for key in $(printf '%s\n' "${!p[@]}" | sort); do
  printf '%s=%s\n' "$key" "${p[$key]}" >> "$props"
done

voters="${p[controller.quorum.voters]}"
cluster_id="${CLUSTER_ID:-}"
cp=("$KAFKA_HOME/libs/*")
jvm=(-XX:MaxRAMPercentage="${MAX_RAM_PERCENTAGE:-50}" -XX:+ExitOnOutOfMemoryError
     -Dlog4j2.configurationFile="$KAFKA_HOME/config/log4j2.properties")
if [ -n "${LOG_LEVEL:-}" ] && [ -z "${KAFKA_LOG_LEVEL:-}" ]; then export KAFKA_LOG_LEVEL="${LOG_LEVEL^^}"; fi
# shellcheck disable=SC2206
[ -n "${JAVA_OPTS:-}" ] && jvm+=(${JAVA_OPTS})

if [ -z "$cluster_id" ]; then
  if [[ "$voters" == *,* ]]; then
    echo "kafka-entrypoint: CLUSTER_ID must be set when controller.quorum.voters names several nodes ($voters)" >&2
    exit 2
  fi
  cluster_file="$config_dir/cluster.id"
  [ -s "$cluster_file" ] || java -cp "${cp[*]}" kafka.tools.StorageTool random-uuid > "$cluster_file"
  cluster_id="$(cat "$cluster_file")"
fi

echo "kafka-entrypoint: node ${p[node.id]} (${p[process.roles]}), listeners ${p[listeners]}, advertised ${p[advertised.listeners]}, voters $voters"
java "${jvm[@]}" -cp "${cp[*]}" kafka.tools.StorageTool format --cluster-id "$cluster_id" --config "$props" --ignore-formatted
exec java "${jvm[@]}" -cp "${cp[*]}" kafka.Kafka "$props" "$@"
