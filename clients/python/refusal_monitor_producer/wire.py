"""The HiddenState wire format (schemas/src/main/proto/refusalmonitor/v1/hidden_state.proto, schema_version 1),
encoded and decoded by hand.

Protobuf's wire format for this message is a handful of varints and length-delimited fields, so it is written
here directly instead of through generated code: Debian's python3-protobuf (4.21) cannot import modules generated
by the project's protoc 4.36, and writing the bytes ourselves makes the producer independent of whichever protobuf
runtime a serving host has. The encoder writes fields in field-number order and omits proto3 default values, as
every conforming protobuf encoder does, so its output is byte-identical to Java's (checked against the golden
vectors in schemas/golden/).
"""
from dataclasses import dataclass, field
from typing import List, Optional

import numpy as np

SCHEMA_VERSION = 1

# Enum numbers from tensor.proto and hidden_state.proto.
D_TYPE_F32, D_TYPE_F16, D_TYPE_BF16 = 1, 2, 3
DTYPE_BY_NAME = {"f32": D_TYPE_F32, "f16": D_TYPE_F16, "bf16": D_TYPE_BF16,
                 "D_TYPE_F32": D_TYPE_F32, "D_TYPE_F16": D_TYPE_F16, "D_TYPE_BF16": D_TYPE_BF16}
ELEMENT_SIZE = {D_TYPE_F32: 4, D_TYPE_F16: 2, D_TYPE_BF16: 2}

TOKEN_POSITION_UNSPECIFIED, TOKEN_POSITION_LAST_PROMPT_TOKEN, TOKEN_POSITION_MEAN_OVER_PROMPT = 0, 1, 2
TOKEN_POSITION_BY_NAME = {"TOKEN_POSITION_UNSPECIFIED": 0, "TOKEN_POSITION_LAST_PROMPT_TOKEN": 1,
                          "TOKEN_POSITION_MEAN_OVER_PROMPT": 2, "last": 1, "mean": 2}
HARM_LABEL_BY_NAME = {"HARM_LABEL_UNSPECIFIED": 0, "HARM_LABEL_HARMFUL": 1, "HARM_LABEL_HARMLESS": 2,
                      "harmful": 1, "harmless": 2}
RESPONSE_LABEL_BY_NAME = {"RESPONSE_LABEL_UNSPECIFIED": 0, "RESPONSE_LABEL_REFUSED": 1, "RESPONSE_LABEL_COMPLIED": 2,
                          "RESPONSE_LABEL_COMPLIED_WITH_WARNING": 3, "RESPONSE_LABEL_REDIRECTED": 4,
                          "refused": 1, "complied": 2, "complied_with_warning": 3, "redirected": 4}


# ---------------------------------------------------------------- values

def to_bf16_bits(values):
    """float32 values -> bfloat16 bit patterns (uint16), rounding to nearest, ties to even.

    NumPy has no bfloat16: bf16 is the upper half of a binary32, so add 0x7FFF plus the lowest kept bit and
    truncate (the same rounding as PyTorch's .to(torch.bfloat16)). A NaN keeps its sign and upper payload bits and
    is made quiet (0x0040), so rounding can never turn it into an infinity.
    """
    bits = np.ascontiguousarray(values, dtype=np.float32).view(np.uint32)
    lsb = (bits >> np.uint32(16)) & np.uint32(1)
    rounded = ((bits + np.uint32(0x7FFF) + lsb) >> np.uint32(16)).astype(np.uint16)  # wraps only for NaN bits
    is_nan = ((bits & np.uint32(0x7F800000)) == np.uint32(0x7F800000)) & ((bits & np.uint32(0x007FFFFF)) != 0)
    quiet_nan = ((bits >> np.uint32(16)) | np.uint32(0x0040)).astype(np.uint16)
    return np.where(is_nan, quiet_nan, rounded)


def from_bf16_bits(bits):
    """bfloat16 bit patterns (uint16) -> float32, exactly."""
    return (np.asarray(bits, dtype=np.uint16).astype(np.uint32) << np.uint32(16)).view(np.float32)


def encode_values(values, dtype):
    """A 1-D array -> the layer's raw little-endian bytes in `dtype` (D_TYPE_*).

    float32/float16 inputs in their own dtype are copied bit for bit; wider inputs are rounded to nearest, ties to
    even (float64 -> float32 by NumPy, then -> float16 by NumPy or -> bfloat16 by to_bf16_bits).
    """
    a = np.asarray(values)
    if a.ndim != 1:
        raise ValueError("a layer's values must be 1-D [d], got shape %s" % (a.shape,))
    if a.size == 0:
        raise ValueError("a layer needs at least one value (d >= 1)")
    if not np.issubdtype(a.dtype, np.floating):
        raise ValueError("a layer's values must be floating point, got %s" % a.dtype)
    if dtype == D_TYPE_F32:
        return a.astype("<f4").tobytes()
    if dtype == D_TYPE_F16:
        return a.astype("<f2").tobytes()
    if dtype == D_TYPE_BF16:
        return to_bf16_bits(a.astype(np.float32)).astype("<u2").tobytes()
    raise ValueError("unsupported dtype %r; use D_TYPE_F32, D_TYPE_F16 or D_TYPE_BF16" % (dtype,))


def decode_values(dtype, data, dim):
    """A layer's raw bytes -> float32 array of length dim (exact widening)."""
    size = ELEMENT_SIZE.get(dtype)
    if size is None:
        raise ValueError("unsupported dtype %r" % (dtype,))
    if len(data) != dim * size:
        raise ValueError("layer data has %d bytes, expected %d (dim %d x %d)" % (len(data), dim * size, dim, size))
    if dtype == D_TYPE_F32:
        return np.frombuffer(data, dtype="<f4").astype(np.float32)
    if dtype == D_TYPE_F16:
        return np.frombuffer(data, dtype="<f2").astype(np.float32)
    return from_bf16_bits(np.frombuffer(data, dtype="<u2"))


# ---------------------------------------------------------------- messages

@dataclass
class Layer:
    """One LayerActivation: Hugging Face hidden_states index (0 = embeddings), dtype (D_TYPE_*), raw bytes."""
    layer: int
    dtype: int
    dim: int
    data: bytes

    @staticmethod
    def from_array(layer, values, dtype="f32"):
        """Encodes a 1-D float array (float32, float16 or float64) as layer `layer` in dtype f32/f16/bf16."""
        code = DTYPE_BY_NAME.get(dtype, dtype)
        if layer < 0:
            raise ValueError("layer index must be >= 0, got %d" % layer)
        data = encode_values(values, code)
        return Layer(int(layer), code, len(data) // ELEMENT_SIZE[code], data)

    def values(self):
        """The values widened to float32."""
        return decode_values(self.dtype, self.data, self.dim)


@dataclass
class Labels:
    harm: int = 0
    response: int = 0
    category: str = ""
    source: str = ""


@dataclass
class HiddenState:
    request_id: str
    model_id: str
    layers: List[Layer]
    model_revision: str = ""
    tenant: str = ""
    route: str = ""
    event_time_unix_ms: int = 0
    token_position: int = TOKEN_POSITION_LAST_PROMPT_TOKEN
    labels: Optional[Labels] = None
    prompt_tokens: int = 0
    schema_version: int = SCHEMA_VERSION
    unknown_fields: dict = field(default_factory=dict)


def _varint(v):
    v &= (1 << 64) - 1  # negative int64 as two's complement (10 bytes), as protobuf does
    out = bytearray()
    while True:
        b = v & 0x7F
        v >>= 7
        if v:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def _varint_field(number, v):
    return b"" if v == 0 else _varint(number << 3) + _varint(v)  # proto3 omits defaults


def _bytes_field(number, data, always=False):
    if not data and not always:
        return b""
    return _varint(number << 3 | 2) + _varint(len(data)) + data


def _string_field(number, s):
    return _bytes_field(number, s.encode("utf-8"))


def _check_uint32(name, v):
    if not 0 <= v < 1 << 32:
        raise ValueError("%s %d is outside uint32" % (name, v))


def encode(state):
    """HiddenState -> serialized protobuf bytes (the Kafka record value).

    Refuses records the monitor would dead-letter for a missing field (no request id, model id or layers, an
    unset schema version) or a repeated layer, so a producer bug shows up at the producer.
    """
    if not state.request_id:
        raise ValueError("request_id is empty")
    if not state.model_id:
        raise ValueError("model_id is empty")
    if not state.layers:
        raise ValueError("a HiddenState needs at least one layer")
    if state.schema_version == 0:
        raise ValueError("schema_version must be set (%d)" % SCHEMA_VERSION)
    _check_uint32("schema_version", state.schema_version)
    _check_uint32("prompt_tokens", state.prompt_tokens)
    if not -(1 << 63) <= state.event_time_unix_ms < 1 << 63:
        raise ValueError("event_time_unix_ms %d is outside int64" % state.event_time_unix_ms)
    seen = set()
    out = bytearray()
    out += _varint_field(1, state.schema_version)
    out += _string_field(2, state.request_id)
    out += _string_field(3, state.model_id)
    out += _string_field(4, state.model_revision)
    out += _string_field(5, state.tenant)
    out += _string_field(6, state.route)
    out += _varint_field(7, state.event_time_unix_ms)
    out += _varint_field(8, state.token_position)
    for layer in state.layers:
        if layer.layer in seen:
            raise ValueError("layer %d appears more than once" % layer.layer)
        seen.add(layer.layer)
        _check_uint32("layer index", layer.layer)
        if layer.dtype not in ELEMENT_SIZE:
            raise ValueError("layer %d: unsupported dtype %r" % (layer.layer, layer.dtype))
        if layer.dim <= 0 or len(layer.data) != layer.dim * ELEMENT_SIZE[layer.dtype]:
            raise ValueError("layer %d: data has %d bytes, expected dim %d x %d"
                             % (layer.layer, len(layer.data), layer.dim, ELEMENT_SIZE[layer.dtype]))
        body = (_varint_field(1, layer.layer) + _varint_field(2, layer.dtype) + _varint_field(3, layer.dim)
                + _bytes_field(4, bytes(layer.data)))
        out += _bytes_field(9, body, always=True)
    if state.labels is not None:
        lb = state.labels
        body = (_varint_field(1, lb.harm) + _varint_field(2, lb.response) + _string_field(3, lb.category)
                + _string_field(4, lb.source))
        out += _bytes_field(10, body, always=True)  # present-but-empty labels still mark a training sample
    out += _varint_field(11, state.prompt_tokens)
    return bytes(out)


def _read_varint(buf, pos):
    result = shift = 0
    while True:
        if pos >= len(buf):
            raise ValueError("truncated varint at byte %d" % pos)
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if b < 0x80:
            return result, pos
        shift += 7
        if shift > 63:
            raise ValueError("varint longer than 10 bytes at byte %d" % pos)


def _parse(buf):
    """Message bytes -> {field number: [value, ...]}: varints as int, length-delimited as bytes."""
    fields, pos = {}, 0
    while pos < len(buf):
        key, pos = _read_varint(buf, pos)
        number, wire = key >> 3, key & 7
        if number == 0:
            raise ValueError("field number 0 at byte %d" % pos)
        if wire == 0:
            value, pos = _read_varint(buf, pos)
        elif wire == 2:
            n, pos = _read_varint(buf, pos)
            if pos + n > len(buf):
                raise ValueError("field %d runs past the end of the message" % number)
            value, pos = bytes(buf[pos:pos + n]), pos + n
        elif wire in (1, 5):
            n = 8 if wire == 1 else 4
            if pos + n > len(buf):
                raise ValueError("field %d runs past the end of the message" % number)
            value, pos = bytes(buf[pos:pos + n]), pos + n
        else:
            raise ValueError("unsupported wire type %d for field %d" % (wire, number))
        fields.setdefault(number, []).append(value)
    return fields


def _one(fields, number, default):
    values = fields.get(number)
    return values[-1] if values else default  # proto3: the last occurrence wins


def _str(fields, number):
    return _one(fields, number, b"").decode("utf-8")


def decode(data):
    """Serialized bytes -> HiddenState (no validation beyond the wire format; unknown fields are kept aside)."""
    f = _parse(data)
    layers = []
    for raw in f.get(9, []):
        lf = _parse(raw)
        layers.append(Layer(_one(lf, 1, 0), _one(lf, 2, 0), _one(lf, 3, 0), _one(lf, 4, b"")))
    labels = None
    if 10 in f:
        lf = _parse(_one(f, 10, b""))
        labels = Labels(_one(lf, 1, 0), _one(lf, 2, 0), _str(lf, 3), _str(lf, 4))
    t = _one(f, 7, 0)
    return HiddenState(
        request_id=_str(f, 2), model_id=_str(f, 3), layers=layers, model_revision=_str(f, 4), tenant=_str(f, 5),
        route=_str(f, 6), event_time_unix_ms=t - (1 << 64) if t >= 1 << 63 else t,
        token_position=_one(f, 8, 0), labels=labels, prompt_tokens=_one(f, 11, 0), schema_version=_one(f, 1, 0),
        unknown_fields={k: v for k, v in f.items() if k > 11})
