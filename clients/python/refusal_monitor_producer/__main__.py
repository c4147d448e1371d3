"""python3 -m refusal_monitor_producer: publish the rows of an .npy as HiddenState records.

Row i of X.npy ([n, d] for one layer, [n, L, d] for L layers) becomes the record with request id
PREFIX + i; --layers gives the Hugging Face layer index of each entry of the layer axis. Exit status: 0 all
records acknowledged, 1 broker failure (including a refused login or certificate), 2 bad usage or input.

Kafka settings follow the project's convention (README "Configuration"), with Java property names: a properties
file (--config FILE), KAFKA_* environment variables (KAFKA_SECURITY_PROTOCOL=SASL_SSL, KAFKA_SASL_MECHANISM,
KAFKA_SASL_JAAS_CONFIG, KAFKA_SSL_TRUSTSTORE_LOCATION with KAFKA_SSL_TRUSTSTORE_TYPE=PEM, KAFKA_BOOTSTRAP_SERVERS),
then --set KEY=VALUE; --bootstrap-servers wins over bootstrap.servers. Secrets are never printed.
"""
import argparse
import logging
import os
import sys

import numpy as np

from . import kafka_settings as ks
from . import producer as prod
from . import wire


def parse_args(argv):
    p = argparse.ArgumentParser(prog="python3 -m refusal_monitor_producer",
                                description="Publish the rows of an .npy as HiddenState records (key = request id).")
    p.add_argument("--bootstrap-servers", metavar="HOST:PORT",
                   help="default: the bootstrap.servers setting (KAFKA_BOOTSTRAP_SERVERS)")
    p.add_argument("--config", metavar="FILE", help="Kafka client settings as a Java properties file")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="one Kafka client setting, e.g. --set security.protocol=SASL_SSL (repeatable)")
    p.add_argument("--input", required=True, metavar="X.npy", help="[n, d] or [n, L, d] floating-point array")
    p.add_argument("--model-id", required=True)
    p.add_argument("--layers", metavar="L,L,...",
                   help="layer index of each layer-axis entry (default 0..L-1; required count = L)")
    p.add_argument("--dtype", choices=["f32", "f16", "bf16"], default="f32", help="wire dtype (default f32)")
    p.add_argument("--topic", help="default: hidden-states, or training-samples with --label")
    p.add_argument("--token-position", choices=["last", "mean"], default="last")
    p.add_argument("--model-revision", default="")
    p.add_argument("--tenant", default="")
    p.add_argument("--route", default="")
    p.add_argument("--request-id-prefix", default="req-")
    p.add_argument("--label", choices=["harmful", "harmless"], help="mark every row as a labelled training sample")
    p.add_argument("--category", default="")
    p.add_argument("--sent-npy", metavar="OUT.npy",
                   help="also write the values exactly as sent (after narrowing), widened to float32, [n, L, d]")
    p.add_argument("--api-version", default="2.5.0", help="Kafka protocol level for kafka-python (default 2.5.0)")
    return p.parse_args(argv)


def main(argv=None, environ=None):
    a = parse_args(sys.argv[1:] if argv is None else argv)
    # kafka-python logs every failed (re)connection attempt; the one line this command prints says what failed.
    logging.getLogger("kafka").setLevel(logging.CRITICAL)
    try:
        kafka_config = ks.kafka_python_config(ks.load(a.config, os.environ if environ is None else environ, a.set))
    except ks.SettingsError as e:
        print(str(e), file=sys.stderr)
        return 2
    bootstrap = a.bootstrap_servers or ",".join(kafka_config.pop("bootstrap_servers", []))
    kafka_config.pop("bootstrap_servers", None)
    if not bootstrap:
        print("no bootstrap servers: give --bootstrap-servers or KAFKA_BOOTSTRAP_SERVERS", file=sys.stderr)
        return 2
    try:
        x = np.load(a.input, allow_pickle=False)
    except (OSError, ValueError) as e:
        print("cannot read %s: %s" % (a.input, e), file=sys.stderr)
        return 2
    if x.ndim == 2:
        x = x[:, None, :]
    if x.ndim != 3 or not np.issubdtype(x.dtype, np.floating) or x.size == 0:
        print("%s: expected a non-empty floating [n, d] or [n, L, d] array, got %s %s" % (a.input, x.dtype, x.shape),
              file=sys.stderr)
        return 2
    n, count, d = x.shape
    layers = list(range(count)) if a.layers is None else [int(s) for s in a.layers.split(",")]
    if len(layers) != count:
        print("--layers names %d layers but the array has %d" % (len(layers), count), file=sys.stderr)
        return 2
    labels = None
    if a.label:
        labels = wire.Labels(harm=wire.HARM_LABEL_BY_NAME[a.label], category=a.category,
                             source="refusal-monitor-python")
    topic = a.topic or (prod.DEFAULT_TRAINING_TOPIC if labels else prod.DEFAULT_TOPIC)
    sent = np.empty((n, count, d), dtype=np.float32)
    try:
        with prod.HiddenStateProducer(bootstrap, topic=topic,
                                      api_version=tuple(int(s) for s in a.api_version.split(".")),
                                      **kafka_config) as p:
            for i in range(n):
                state = prod.build("%s%d" % (a.request_id_prefix, i), a.model_id,
                                   [(layers[k], x[i, k]) for k in range(count)], dtype=a.dtype,
                                   token_position=a.token_position, model_revision=a.model_revision,
                                   tenant=a.tenant, route=a.route, labels=labels)
                for k, layer in enumerate(state.layers):
                    sent[i, k] = layer.values()
                p.send(state)
            p.flush()
    except prod.ProducerError as e:
        print(str(e), file=sys.stderr)
        return 1
    except ValueError as e:
        print(str(e), file=sys.stderr)
        return 2
    if a.sent_npy:
        np.save(a.sent_npy, sent)
    print("published %d records to '%s'" % (n, topic))
    return 0


if __name__ == "__main__":
    sys.exit(main())
