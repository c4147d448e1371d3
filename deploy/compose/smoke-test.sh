#!/usr/bin/env bash
# End-to-end smoke test of the Compose stack (deploy/compose/compose.yaml):
#   images built if missing -> stack up -> stand-in files in -> scores out on safety-scores -> both monitors `up` in
#   Prometheus (127.0.0.1:9090) -> file-to-score latency probes -> refusal-rate shift injected -> RefusalRateDrift
#   firing in Alertmanager (127.0.0.1:9093) -> down -v, and nothing of the project left behind.
# Prints the start-up time and the file-to-score latency (BENCHMARKS.md, "Deployment").
#
# Usage: deploy/compose/smoke-test.sh        (podman-compose when installed, else docker compose)
#   SMOKE_PROJECT=name    Compose project name (default rm-smoke)
#   SMOKE_KEEP=1          leave the stack running at the end (then: <compose> -p NAME -f ... down -v)
#   SMOKE_ALERT_TIMEOUT_S seconds to wait for the alert after the shift (default 720; the rule has `for: 5m`)
# Needs curl and python3 on the host. Every port is published on 127.0.0.1 only.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
compose_file="$here/compose.yaml"
project="${SMOKE_PROJECT:-rm-smoke}"
prom="http://127.0.0.1:${PROMETHEUS_PORT:-9090}"
am="http://127.0.0.1:${ALERTMANAGER_PORT:-9093}"
alert_timeout="${SMOKE_ALERT_TIMEOUT_S:-720}"
py=/usr/bin/python3
[ -x "$py" ] || py=python3

if command -v podman-compose >/dev/null 2>&1 && command -v podman >/dev/null 2>&1; then
  engine=podman; compose=(podman-compose -p "$project" -f "$compose_file")
elif command -v docker >/dev/null 2>&1 && docker compose version >/dev/null 2>&1; then
  engine=docker; compose=(docker compose -p "$project" -f "$compose_file")
else
  echo "smoke-test: needs podman + podman-compose or docker with the compose plugin" >&2
  exit 1
fi
net="${project}_default"
shared="${project}_shared"
work="$(mktemp -d)"
consumer_pid=""

log() { printf '[%s] %s\n' "$(date -u +%H:%M:%S)" "$*"; }
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

# promql EXPR: prints the result vector as "labels value" lines.
promql() {
  curl -sf --max-time 10 "$prom/api/v1/query" --data-urlencode "query=$1" | "$py" -c '
import json, sys
for r in json.load(sys.stdin)["data"]["result"]:
    m = r["metric"]
    print(",".join("%s=%s" % kv for kv in sorted(m.items())) or "{}", r["value"][1])' 2>/dev/null || true
}
# scalar EXPR: the first value, or empty.
scalar() { promql "$1" | awk 'NR == 1 { print $2 }'; }

# wait_for SECONDS DESCRIPTION COMMAND...: polls COMMAND every 2 s.
wait_for() {
  local limit="$1" what="$2"; shift 2
  local deadline=$((SECONDS + limit))
  until "$@"; do
    if [ $SECONDS -ge $deadline ]; then
      log "FAILED: $what within ${limit} s"
      return 1
    fi
    sleep 2
  done
}

cleanup() {
  local rc=$?
  [ -n "$consumer_pid" ] && kill "$consumer_pid" 2>/dev/null || true
  "$engine" rm -f "${project}-scores" >/dev/null 2>&1 || true
  if [ "${SMOKE_KEEP:-0}" = 1 ]; then
    log "stack left running (SMOKE_KEEP=1): ${compose[*]} down -v"
  else
    if [ $rc -ne 0 ]; then
      for s in monitor-1 monitor-2 bridge init-directions trainer; do
        echo "---- last log lines of $s"
        "$engine" logs --tail 15 "${project}_${s}_1" 2>&1 | cut -c1-300 || true
      done
    fi
    log "down -v"
    "${compose[@]}" down -v >"$work/down.log" 2>&1 || cat "$work/down.log"
    # podman-compose 1.0.3 leaves the project's network behind.
    "$engine" network rm "$net" >/dev/null 2>&1 || true
    local left
    left="$("$engine" ps -a -q --filter "label=com.docker.compose.project=$project" | wc -l)"
    left=$((left + $("$engine" volume ls -q --filter "label=com.docker.compose.project=$project" | wc -l)))
    if [ "$left" -ne 0 ]; then
      log "FAILED: $left container(s)/volume(s) of project $project left behind"
      rc=1
    else
      log "nothing of project $project left behind"
    fi
  fi
  rm -rf "$work"
  exit $rc
}
trap cleanup EXIT

# ---- images
missing=()
for i in monitor-service probe-trainer gateway kafka prometheus alertmanager vllm-standin; do
  "$engine" image inspect "refusal-monitor/$i:latest" >/dev/null 2>&1 || missing+=("$i")
done
if [ ${#missing[@]} -gt 0 ]; then
  log "building missing images: ${missing[*]}"
  bash "$root/deploy/images/build.sh" "${missing[@]}"
fi

# ---- up
"${compose[@]}" down -v >/dev/null 2>&1 || true
"$engine" network rm "$net" >/dev/null 2>&1 || true
log "up ($engine, project $project); load average $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo n/a)"
t_up=$(now)
"${compose[@]}" up -d >"$work/up.log" 2>&1 || { cat "$work/up.log"; exit 1; }
log "containers created in $(elapsed "$t_up" "$(now)") s"

# Scores, as a read_committed reader sees them: keys with the time each line arrived.
"$engine" run --rm --name "${project}-scores" --network "$net" refusal-monitor/kafka:latest \
  bash -c 'until kafka-topics --bootstrap-server kafka-1:9092 --describe --topic safety-scores >/dev/null 2>&1; do sleep 2; done
           exec kafka-console-consumer --bootstrap-server kafka-1:9092,kafka-2:9092 --topic safety-scores \
             --from-beginning --isolation-level read_committed --formatter-property print.key=true --formatter-property print.value=false' \
  2>"$work/consumer.err" | while IFS= read -r line; do printf '%s %s\n' "$EPOCHREALTIME" "$line"; done >"$work/scores.log" &
consumer_pid=$!

scores() { wc -l <"$work/scores.log" 2>/dev/null || echo 0; }
first_score() { [ "$(scores)" -gt 0 ]; }
wait_for 420 "a first score on safety-scores" first_score
t_first=$(now)
log "first score on safety-scores $(elapsed "$t_up" "$t_first") s after up"

monitors_up() { [ "$(scalar 'count(up{job="refusal-monitor"} == 1)')" = 2 ]; }
wait_for 180 "both monitors up in Prometheus" monitors_up
t_monitors=$(now)
log "both monitors up in Prometheus $(elapsed "$t_up" "$t_monitors") s after up"
trainer_up() { [ "$(scalar 'up{job="refusal-trainer"}')" = 1 ]; }
wait_for 120 "the trainer up in Prometheus" trainer_up

# Fleet-level drift: the model's slice has one reference built from both monitors' traffic, exported by its owner only.
reference_ready() {
  [ "$(scalar 'count(refusal_monitor_drift_reference_ready{tenant="_all"} == 1)')" = 1 ] &&
    [ "$(scalar 'count(refusal_monitor_drift_reference_ready{tenant="_all"})')" = 1 ]
}
wait_for 300 "the fleet's drift reference, exported by one monitor" reference_ready
log "drift reference ready, exported by one of the two monitors"


# Steady state before measuring latency: the start-up backlog (files written while the monitors started) is drained.
caught_up() {
  local lag
  lag="$(scalar 'max(kafka_consumer_fetch_manager_records_lag_max{client_id=~".*StreamThread.*"})')"
  [ -n "$lag" ] && [ "$lag" != NaN ] && "$py" -c "import sys; sys.exit(0 if float(sys.argv[1]) < 20 else 1)" "$lag"
}
wait_for 300 "the monitors' consumer lag below 20 records" caught_up
log "monitors caught up (consumer lag < 20 records)"

# ---- file-to-score latency: probe files written now, seen by the reader above.
log "latency probes"
: >"$work/probes.log"
for k in $(seq 1 20); do
  "$engine" run --rm --network none -v "$shared:/shared" refusal-monitor/vllm-standin:latest \
    write --request-id "probe-$k-$$" >>"$work/probes.log"
  sleep 0.5
done
probe_seen() { [ "$(grep -c ' probe-[0-9]*-'"$$"'$' "$work/scores.log" || true)" -ge 20 ]; }
wait_for 120 "all 20 probes scored" probe_seen
latency="$("$py" - "$work/probes.log" "$work/scores.log" <<'EOF'
import sys
written = {}
for line in open(sys.argv[1]):
    _, t, rid = line.split()
    written[rid] = float(t)
seen = {}
for line in open(sys.argv[2]):
    parts = line.split()
    if len(parts) >= 2 and parts[1] in written and parts[1] not in seen:
        seen[parts[1]] = float(parts[0])
lat = sorted(seen[r] - written[r] for r in seen)
p = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))]
print("n=%d min=%.2f p50=%.2f p95=%.2f max=%.2f s" % (len(lat), lat[0], p(0.5), p(0.95), lat[-1]))
EOF
)"
log "file written -> score visible to a read_committed reader: $latency"

# ---- planted ground truth: flagged share before the shift
ratio="$(scalar 'sum(refusal_monitor_flagged_total) / sum(refusal_monitor_records_total{outcome="scored"})')"
dlq="$(scalar 'sum(refusal_monitor_records_total{outcome="dlq"})')"
log "scored $(scalar 'sum(refusal_monitor_records_total{outcome="scored"})'), flagged share ${ratio} (harmful share 0.1), dead-lettered ${dlq}"
"$py" -c "import sys; r=float(sys.argv[1]); sys.exit(0 if 0.03 <= r <= 0.3 else 1)" "${ratio:-nan}" \
  || { log "FAILED: flagged share $ratio is not near the stand-in's harmful share 0.1"; exit 1; }

# ---- inject the refusal-rate shift: the stand-in now sends 50 % harmful-like requests
"$engine" run --rm --network none -v "$shared:/shared" refusal-monitor/vllm-standin:latest set-share 0.5 >/dev/null
t_shift=$(now)
log "shift injected: harmful share 0.1 -> 0.5"

drifted() { [ -n "$(promql 'refusal_monitor_drift_alarm{reason="flagged_rate_up"} == 1')" ]; }
wait_for 180 "a drift alarm on a monitor" drifted
log "drift alarm (flagged_rate_up) on a monitor $(elapsed "$t_shift" "$(now)") s after the shift"

firing_in_prometheus() {
  curl -sf --max-time 10 "$prom/api/v1/alerts" | "$py" -c '
import json, sys
sys.exit(0 if any(a["labels"]["alertname"] == "RefusalRateDrift" and a["state"] == "firing"
                  for a in json.load(sys.stdin)["data"]["alerts"]) else 1)'
}
wait_for "$alert_timeout" "RefusalRateDrift firing in Prometheus" firing_in_prometheus
log "RefusalRateDrift firing in Prometheus $(elapsed "$t_shift" "$(now)") s after the shift"

in_alertmanager() {
  curl -sf --max-time 10 "$am/api/v2/alerts?filter=alertname%3D%22RefusalRateDrift%22" | "$py" -c '
import json, sys
alerts = [a for a in json.load(sys.stdin) if a["status"]["state"] == "active"]
for a in alerts:
    print("   alertmanager: %s %s reason=%s instance=%s" % (a["labels"]["alertname"], a["labels"].get("model"),
          a["labels"].get("reason"), a["labels"].get("instance", "-")))
sys.exit(0 if alerts else 1)'
}
wait_for 120 "RefusalRateDrift in Alertmanager" in_alertmanager
log "RefusalRateDrift active in Alertmanager $(elapsed "$t_shift" "$(now)") s after the shift"
others="$(curl -sf "$am/api/v2/alerts" | "$py" -c '
import json, sys
print(" ".join(sorted({a["labels"]["alertname"] for a in json.load(sys.stdin)} - {"RefusalRateDrift"})))')"
[ -z "$others" ] || log "other alerts active: $others"

log "PASSED: scores $(scores) lines; start-up to first score $(elapsed "$t_up" "$t_first") s; latency $latency; load average $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo n/a)"
