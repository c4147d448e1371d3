#!/bin/bash
# One-shot service of the Compose stack (probe-trainer image): fits the first direction set from the labelled
# training files in the shared volume and publishes it signed, then leaves a marker the bridge waits for.
#   MODEL_ID, AXIS_LAYERS      the model id the bridge stamps on records, and vLLM's eagle_aux_hidden_state_layer_ids
#   BOOTSTRAP_SERVERS          Kafka
#   TRAIN_DIR                  holds harmful/ and harmless/ (vLLM hidden-state files) and READY when complete
#   MONITORS                   HOST:PORT of each monitor; the marker is written once every /readyz answers 200
#                              (Streams running, the set loaded), so no record reaches a monitor without directions
set -euo pipefail
train="${TRAIN_DIR:-/shared/train}"
keys="${KEYS_DIR:-/shared/keys}"
# The stack's signing key: the trainer signs every set with it, the monitors trust only its public half (they wait
# for it before starting). A real deployment keeps the private key in a secret store instead (README "Security").
if [ ! -f "$keys/signing-key.pem" ]; then
  /usr/local/bin/entrypoint.sh keygen --out "$keys"
fi
marker="${PUBLISHED_MARKER:-/shared/control/directions-published}"
until [ -f "$train/READY" ]; do echo "init-directions: waiting for $train/READY"; sleep 2; done

out="$(mktemp -d)"
/usr/local/bin/entrypoint.sh fit --harmful "$train/harmful" --harmless "$train/harmless" --axis-layers "$AXIS_LAYERS" \
  --model-id "$MODEL_ID" --out "$out" --quiet --signing-key "$keys/signing-key.pem"

for attempt in $(seq 1 30); do
  if /usr/local/bin/entrypoint.sh publish --directions "$out/directions.pb" --bootstrap-servers "$BOOTSTRAP_SERVERS" \
       --timeout PT30S; then
    echo "init-directions: published the first direction set for model '$MODEL_ID'"
    for m in ${MONITORS:-}; do
      deadline=$((SECONDS + ${READY_TIMEOUT_S:-300}))
      until [ "$(http-get "${m##*:}" /readyz "${m%%:*}" 2>/dev/null)" = 200 ]; do
        if [ $SECONDS -ge $deadline ]; then echo "init-directions: $m is not ready; starting the bridge anyway" >&2; break; fi
        sleep 2
      done
    done
    mkdir -p "$(dirname "$marker")"
    date -u +%Y-%m-%dT%H:%M:%SZ > "$marker"
    echo "init-directions: monitors ready; wrote $marker"
    exit 0
  fi
  echo "init-directions: publish attempt $attempt failed (brokers still starting?); retrying in 5 s"
  sleep 5
done
echo "init-directions: could not publish the direction set" >&2
exit 1
