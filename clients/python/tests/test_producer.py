"""HiddenStateProducer: record keys and values, acknowledgement errors, an unreachable broker."""
import socket
import unittest

import numpy as np

import _support  # noqa: F401  (sys.path)
from refusal_monitor_producer import HiddenStateProducer, ProducerError, build, decode


class RecordingFuture:
    def __init__(self, error=None):
        self.error = error

    def get(self, timeout=None):
        if self.error:
            raise self.error
        return "ok"


class RecordingKafkaProducer:
    """Stands in for kafka.KafkaProducer where the test is about what reaches send(), not about the broker."""

    def __init__(self, error=None):
        self.sent, self.error, self.flushed, self.closed = [], error, 0, False

    def send(self, topic, key=None, value=None):
        self.sent.append((topic, key, value))
        return RecordingFuture(self.error)

    def flush(self, timeout=None):
        self.flushed += 1

    def close(self, timeout=None):
        self.closed = True


class ProducerTest(unittest.TestCase):
    def test_key_is_the_request_id_and_value_the_encoded_record(self):
        fake = RecordingKafkaProducer()
        x = np.arange(8, dtype=np.float32)
        with HiddenStateProducer(None, topic="hs", producer=fake) as p:
            rid = p.send_arrays({5: x, 2: -x}, model_id="m", request_id="req-ü", dtype="bf16", prompt_tokens=3)
            self.assertEqual(1, p.flush())
        self.assertTrue(fake.closed)
        topic, key, value = fake.sent[0]
        self.assertEqual(("hs", "req-ü".encode("utf-8")), (topic, key))
        state = decode(value)
        self.assertEqual(("req-ü", "m", 1, 3), (rid, state.model_id, state.schema_version, state.prompt_tokens))
        self.assertEqual([2, 5], [layer.layer for layer in state.layers])  # dict layers go in index order
        np.testing.assert_array_equal(x, state.layers[1].values())

    def test_a_refused_record_fails_flush_naming_it(self):
        p = HiddenStateProducer(None, producer=RecordingKafkaProducer(error=RuntimeError("NotLeaderForPartition")))
        p.send(build("r-7", "m", {0: np.ones(2, np.float32)}))
        with self.assertRaisesRegex(ProducerError, "r-7 was not acknowledged.*NotLeaderForPartition"):
            p.flush()

    def test_a_broker_that_is_down_gives_a_clear_error(self):
        with socket.socket() as s:  # a loopback port nobody listens on
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        with self.assertRaisesRegex(ProducerError, "cannot send record r-1 to topic 'hidden-states'"):
            with HiddenStateProducer("127.0.0.1:%d" % port, max_block_ms=300, reconnect_backoff_max_ms=100) as p:
                p.send(build("r-1", "m", {0: np.ones(2, np.float32)}))


if __name__ == "__main__":
    unittest.main()
