#!/bin/bash
# Entrypoint of the refusal-monitor service images (monitor-service, probe-trainer, gateway).
# Runs SERVICE_MAIN_CLASS (set by the image) with every jar in /opt/refusal-monitor/lib on the class path:
#   java <container-aware heap> --add-modules jdk.incubator.vector <logging> $SERVICE_JAVA_OPTS $JAVA_OPTS MAIN "$@"
# Environment (all optional):
#   LOG_LEVEL            trace|debug|info|warn|error for the product's loggers (default info)
#   LOG_LEVEL_KAFKA      level of the Kafka client/Streams loggers (default warn: they are chatty at info)
#   MAX_RAM_PERCENTAGE   heap ceiling as a share of the container's memory limit (default 75)
#   JAVA_OPTS            extra JVM flags, appended last so they win (e.g. -Xmx512m)
#   LOOPBACK_FORWARD     "PORT:TARGET" also serves 127.0.0.1:TARGET on 0.0.0.0:PORT (needs socat in the image), for a
#                        service whose HTTP server binds the loopback interface only
#   WAIT_FOR_FILES       space-separated paths; start only once all exist (ordering through a shared volume in Compose)
set -euo pipefail

: "${SERVICE_MAIN_CLASS:?SERVICE_MAIN_CLASS is not set (the image sets it)}"
app_home="${APP_HOME:-/opt/refusal-monitor}"

# REFUSAL_TRAINER_<OPTION> is the trainer's documented environment; builds before the rename read PROBE_TRAINER_<OPTION>.
# Copy each to the old name unless that is set, so one spelling works with both. Harmless for the other services.
for name in $(compgen -e); do
  case "$name" in
    REFUSAL_TRAINER_*)
      old="PROBE_TRAINER_${name#REFUSAL_TRAINER_}"
      [ -z "${!old+x}" ] && export "$old=${!name}"
      ;;
  esac
done

for f in ${WAIT_FOR_FILES:-}; do
  if [ ! -e "$f" ]; then
    echo "entrypoint: waiting for $f" >&2
    until [ -e "$f" ]; do sleep 1; done
  fi
done

if [ -n "${LOOPBACK_FORWARD:-}" ]; then
  listen="${LOOPBACK_FORWARD%%:*}"
  target="${LOOPBACK_FORWARD##*:}"
  if command -v socat >/dev/null 2>&1; then
    socat -lpforward "TCP-LISTEN:${listen},fork,reuseaddr" "TCP:127.0.0.1:${target}" &
  else
    echo "entrypoint: LOOPBACK_FORWARD is set but this image has no socat; ignored" >&2
  fi
fi

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
