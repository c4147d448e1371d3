"""Python producer for the refusal monitor: HiddenState records (wire-format version 1) from NumPy arrays to Kafka.

    from refusal_monitor_producer import HiddenStateProducer
    with HiddenStateProducer("127.0.0.1:9092") as p:
        p.send_arrays({12: h12, 16: h16}, model_id="meta-llama/Llama-3.1-8B-Instruct", request_id="req-1",
                      dtype="bf16")
        p.flush()
"""
try:
    import numpy  # noqa: F401
except ImportError as e:  # pragma: no cover - depends on the host
    raise ImportError("refusal_monitor_producer needs numpy: apt-get install -y python3-numpy "
                      "(or pip install numpy)") from e

from .wire import (SCHEMA_VERSION, HiddenState, Labels, Layer, decode, encode, to_bf16_bits, from_bf16_bits)
from .producer import (DEFAULT_TOPIC, DEFAULT_TRAINING_TOPIC, HiddenStateProducer, ProducerError, build)

__all__ = ["SCHEMA_VERSION", "HiddenState", "Labels", "Layer", "decode", "encode", "to_bf16_bits",
           "from_bf16_bits", "DEFAULT_TOPIC", "DEFAULT_TRAINING_TOPIC", "HiddenStateProducer", "ProducerError",
           "build"]
