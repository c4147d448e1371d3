"""The producer's encoder and decoder against the golden vectors in schemas/golden/ (bytes identical)."""
import json
import os
import unittest

import numpy as np

from _support import GOLDEN_DIR
from refusal_monitor_producer import wire


def golden_hidden_states():
    names = sorted(n[:-5] for n in os.listdir(GOLDEN_DIR) if n.endswith(".json"))
    out = []
    for name in names:
        with open(os.path.join(GOLDEN_DIR, name + ".json"), encoding="utf-8") as f:
            doc = json.load(f)
        if doc["message"] != "refusalmonitor.v1.HiddenState":
            continue
        with open(os.path.join(GOLDEN_DIR, name + ".bin"), "rb") as f:
            out.append((name, doc["fields"], f.read()))
    return out


def from_json(fields, layers):
    labels = None
    if fields["labels"] is not None:
        lb = fields["labels"]
        labels = wire.Labels(wire.HARM_LABEL_BY_NAME[lb["harm"]], wire.RESPONSE_LABEL_BY_NAME[lb["response"]],
                             lb["category"], lb["source"])
    return wire.HiddenState(
        request_id=fields["request_id"], model_id=fields["model_id"], layers=layers,
        model_revision=fields["model_revision"], tenant=fields["tenant"], route=fields["route"],
        event_time_unix_ms=fields["event_time_unix_ms"],
        token_position=wire.TOKEN_POSITION_BY_NAME[fields["token_position"]], labels=labels,
        prompt_tokens=fields["prompt_tokens"], schema_version=fields["schema_version"])


def raw_layers(fields):
    """Layers built from the JSON's raw element bits (no rounding involved)."""
    layers = []
    for wl in fields["layers"]:
        dtype = wire.DTYPE_BY_NAME[wl["dtype"]]
        raws = [int(v["raw"], 16) for v in wl["values"]]
        data = np.array(raws, dtype="<u4" if dtype == wire.D_TYPE_F32 else "<u2").tobytes()
        layers.append(wire.Layer(wl["layer"], dtype, wl["dim"], data))
    return layers


def f32_values(wl):
    return np.array([int(v["f32"], 16) for v in wl["values"]], dtype=np.uint32).view(np.float32)


class GoldenVectorTest(unittest.TestCase):
    def test_there_are_golden_hidden_states(self):
        self.assertGreaterEqual(len(golden_hidden_states()), 6, "expected the golden vectors in " + GOLDEN_DIR)

    def test_encoding_the_json_gives_the_golden_bytes(self):
        for name, fields, binary in golden_hidden_states():
            with self.subTest(vector=name):
                self.assertEqual(binary.hex(), wire.encode(from_json(fields, raw_layers(fields))).hex())

    def test_decoding_the_golden_bytes_gives_the_json(self):
        for name, fields, binary in golden_hidden_states():
            with self.subTest(vector=name):
                got = wire.decode(binary)
                want = from_json(fields, raw_layers(fields))
                for attr in ("schema_version", "request_id", "model_id", "model_revision", "tenant", "route",
                             "event_time_unix_ms", "token_position", "prompt_tokens", "labels", "unknown_fields"):
                    self.assertEqual(getattr(want, attr), getattr(got, attr), attr)
                self.assertEqual(len(fields["layers"]), len(got.layers))
                for layer, wl in zip(got.layers, fields["layers"]):
                    self.assertEqual((wl["layer"], wire.DTYPE_BY_NAME[wl["dtype"]], wl["dim"]),
                                     (layer.layer, layer.dtype, layer.dim))
                    self.assertEqual(wl["data_hex"], layer.data.hex())
                    # f32 bits of every element, NaN payloads included.
                    np.testing.assert_array_equal(f32_values(wl).view(np.uint32), layer.values().view(np.uint32))

    def test_encoding_float32_arrays_reproduces_finite_golden_layers(self):
        """Layer.from_array narrows float32 values that are exact in the target dtype to the very same bits."""
        for name, fields, binary in golden_hidden_states():
            if not all(np.all(np.isfinite(f32_values(wl))) for wl in fields["layers"]):
                continue
            with self.subTest(vector=name):
                layers = [wire.Layer.from_array(wl["layer"], f32_values(wl), wl["dtype"]) for wl in fields["layers"]]
                self.assertEqual(binary, wire.encode(from_json(fields, layers)))

    def test_non_finite_values_survive_narrowing(self):
        for name, fields, _ in golden_hidden_states():
            for wl in fields["layers"]:
                values = f32_values(wl)
                if np.all(np.isfinite(values)):
                    continue
                with self.subTest(vector=name, layer=wl["layer"]):
                    got = wire.Layer.from_array(wl["layer"], values, wl["dtype"]).values()
                    np.testing.assert_array_equal(np.isnan(values), np.isnan(got))
                    finite = ~np.isnan(values)
                    np.testing.assert_array_equal(values[finite].view(np.uint32), got[finite].view(np.uint32))


if __name__ == "__main__":
    unittest.main()
