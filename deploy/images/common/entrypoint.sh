#!/bin/bash
# Entrypoint of the refusal-monitor service images (monitor-service, probe-trainer, gateway).
# Runs SERVICE_MAIN_CLASS (set by the image) with every jar in /opt/refusal-monitor/lib on the class path:
#   java <container-aware heap> --add-modules jdk.incubator.vector <logging> $SERVICE_JAVA_OPTS $JAVA_OPTS MAIN "$@"
# Environment (all optional):
#   LOG_LEVEL            trace|debug|info|warn|error for the product's loggers (default info)
#   LOG_LEVEL_KAFKA      level of the Kafka client/Streams loggers (default warn: they are chatty at info)
#   MAX_RAM_PERCENTAGE   heap ceiling as a share of the container's memory limit (default 75)
#   JAVA_OPTS            extra JVM flags, appended last so they win (e.g. -Xmx512m)
#   WAIT_FOR_FILES       space-separated paths; start only once all exist (ordering through a shared volume in Compose)
set -euo pipefail

: "${SERVICE_MAIN_CLASS:?SERVICE_MAIN_CLASS is not set (the image sets it)}"
app_home="${APP_HOME:-/opt/refusal-monitor}"

for f in ${WAIT_FOR_FILES:-}; do
  if [ ! -e "$f" ]; then
    echo "entrypoint: waiting for $f" >&2
    until [ -e "$f" ]; do sleep 1; done
  fi
done


opts=(
  "-XX:MaxRAMPercentage=${MAX_RAM_PERCENTAGE:-75}"
  -XX:+ExitOnOutOfMemoryError
  --add-modules jdk.incubator.vector
  "-Dorg.slf4j.simpleLogger.defaultLogLevel=${LOG_LEVEL:-info}"
  "-Dorg.slf4j.simpleLogger.log.org.apache.kafka=${LOG_LEVEL_KAFKA:-warn}"
  -Dorg.slf4j.simpleLogger.showDateTime=true
  "-Dorg.slf4j.simpleLogger.dateTimeFormat=yyyy-MM-dd'T'HH:mm:ss.SSSXXX"
)
# Word splitting is wanted here: both hold space-separated JVM flags.
# shellcheck disable=SC2206
[ -n "${SERVICE_JAVA_OPTS:-}" ] && opts+=(${SERVICE_JAVA_OPTS})
# shellcheck disable=SC2206
[ -n "${JAVA_OPTS:-}" ] && opts+=(${JAVA_OPTS})

exec java "${opts[@]}" -cp "${app_home}/lib/*" "${SERVICE_MAIN_CLASS}" "$@"
