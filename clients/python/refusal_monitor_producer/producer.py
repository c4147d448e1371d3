"""Publishes HiddenState records to Kafka with kafka-python (key = request id, value = the protobuf bytes)."""
import time
import uuid

from . import wire

DEFAULT_TOPIC = "hidden-states"
DEFAULT_TRAINING_TOPIC = "training-samples"

# kafka-python 2.0.2 predates Kafka 4. Pinning the protocol level it speaks skips its version probe (which sends
# a Metadata v0 request on purpose to see whether the broker hangs up); 2.5 makes it use Produce v7 and record
# batches (magic 2), which Kafka 4.x still accepts. Checked against a Kafka 4.3.1 broker.
DEFAULT_API_VERSION = (2, 5, 0)


class ProducerError(Exception):
    """The broker did not acknowledge a record (unreachable, timed out, or refused it)."""


def _kafka_module():
    try:
        import kafka
    except ImportError as e:
        raise ImportError("kafka-python is required to publish: apt-get install -y python3-kafka "
                          "(or pip install kafka-python)") from e
    return kafka


def build(request_id, model_id, layers, dtype="f32", token_position="last", model_revision="", tenant="",
          route="", event_time_unix_ms=None, prompt_tokens=0, labels=None):
    """A HiddenState from {layer index: 1-D float array}; dtype "f32", "f16" or "bf16" for every layer.

    event_time_unix_ms defaults to now. labels: None for live traffic, or a wire.Labels for training samples.
    """
    if isinstance(layers, dict):
        items = sorted(layers.items())
    else:
        items = list(layers)
    return wire.HiddenState(
        request_id=request_id, model_id=model_id,
        layers=[wire.Layer.from_array(i, v, dtype) for i, v in items],
        model_revision=model_revision or "", tenant=tenant or "", route=route or "",
        event_time_unix_ms=int(time.time() * 1000) if event_time_unix_ms is None else int(event_time_unix_ms),
        token_position=wire.TOKEN_POSITION_BY_NAME.get(token_position, token_position),
        labels=labels, prompt_tokens=int(prompt_tokens))


class HiddenStateProducer:
    """Sends HiddenState records; send() is asynchronous, flush() waits for the broker's acknowledgements.

    Defaults: acks=all, bounded retries (5) and timeouts, so a broker that is down ends in ProducerError instead
    of a hang. Hidden-state values are never logged. Use as a context manager, or call close().
    """

    def __init__(self, bootstrap_servers, topic=DEFAULT_TOPIC, api_version=DEFAULT_API_VERSION, producer=None,
                 **kafka_config):
        """kafka_config: kafka-python arguments; for the project's Java-named settings (security.protocol,
        sasl.jaas.config, ssl.truststore.location, KAFKA_* variables) use kafka_settings.kafka_python_config().

        With TLS or SASL (security_protocol other than PLAINTEXT) one connection to the first bootstrap server is
        made here, so a wrong password or an untrusted certificate raises ProducerError at once (kafka-python itself
        would reconnect until max_block_ms and then report only a timeout).
        """
        self.topic = topic
        self._pending = []
        if producer is not None:  # an already configured kafka.KafkaProducer
            self._producer = producer
            return
        config = dict(acks="all", retries=5, request_timeout_ms=10000, max_block_ms=15000, linger_ms=5,
                      client_id="refusal-monitor-python")
        config.update(kafka_config)
        kafka = _kafka_module()
        if config.get("security_protocol", "PLAINTEXT") != "PLAINTEXT":
            from .kafka_settings import check_login
            check_login(bootstrap_servers, dict(config, api_version=api_version),
                        timeout_s=config["max_block_ms"] / 1000.0)
        try:
            self._producer = kafka.KafkaProducer(bootstrap_servers=bootstrap_servers, api_version=api_version,
                                                 **config)
        except kafka.errors.KafkaError as e:
            raise ProducerError("cannot connect to Kafka at %s: %s" % (bootstrap_servers, e)) from e

    def send(self, state, topic=None):
        """Encodes and sends one record (key = request id as UTF-8). Returns kafka-python's future."""
        value = wire.encode(state)
        target = topic or self.topic
        try:
            future = self._producer.send(target, key=state.request_id.encode("utf-8"), value=value)
        except Exception as e:  # e.g. KafkaTimeoutError: no metadata for the topic within max_block_ms
            raise ProducerError("cannot send record %s to topic '%s': %s: %s"
                                % (state.request_id, target, type(e).__name__, e)) from e
        self._pending.append((state.request_id, future))
        return future

    def send_arrays(self, layers, model_id, request_id=None, **fields):
        """build() then send(); request_id defaults to a random UUID. Returns the request id."""
        rid = request_id or str(uuid.uuid4())
        self.send(build(rid, model_id, layers, **fields))
        return rid

    def flush(self, timeout=30.0):
        """Waits until every record sent so far is acknowledged; ProducerError names the first that was not."""
        pending, self._pending = self._pending, []
        try:
            self._producer.flush(timeout=timeout)
        except Exception as e:  # KafkaTimeoutError: records still unsent when the timeout ran out
            raise ProducerError("%d record(s) not acknowledged within %.1f s: %s: %s"
                                % (len(pending), timeout, type(e).__name__, e)) from e
        for rid, future in pending:
            try:
                future.get(timeout=max(0.0, timeout))
            except Exception as e:  # kafka-python raises KafkaError subclasses and plain timeouts
                raise ProducerError("record %s was not acknowledged by the broker: %s: %s"
                                    % (rid, type(e).__name__, e)) from e
        return len(pending)

    def close(self, timeout=10.0):
        self._producer.close(timeout=timeout)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False
