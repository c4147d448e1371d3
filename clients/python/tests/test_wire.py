"""Value conversions and message encoding rules of refusal_monitor_producer.wire."""
import struct
import unittest
from fractions import Fraction

import numpy as np

import _support  # noqa: F401  (sys.path)
from refusal_monitor_producer import wire


def bf16_oracle(x):
    """Round-to-nearest-even float32 -> bf16 bits by exact rational arithmetic (slow, obviously right)."""
    bits = struct.unpack("<I", struct.pack("<f", x))[0]
    if x != x:
        return ((bits >> 16) | 0x40) & 0xFFFF
    sign = bits & 0x80000000
    mag = bits & 0x7FFFFFFF
    if mag == 0x7F800000:
        return bits >> 16
    lo = mag >> 16

    def value(b16):
        if b16 >= 0x7F80:
            return Fraction(2) ** 128  # the first value past bf16's range; reaching it means overflow to inf
        return Fraction(struct.unpack("<f", struct.pack("<I", b16 << 16))[0])

    v = Fraction(struct.unpack("<f", struct.pack("<I", mag))[0])
    dlo, dhi = v - value(lo), value(lo + 1) - v
    pick = lo if dlo < dhi or (dlo == dhi and lo % 2 == 0) else lo + 1
    return (sign >> 16) | min(pick, 0x7F80)


class Bf16Test(unittest.TestCase):
    def test_known_roundings(self):
        cases = {
            1.0: 0x3F80,
            1.0 + 2 ** -8: 0x3F80,          # exact tie, even neighbour below
            1.0 + 3 * 2 ** -8: 0x3F82,      # exact tie, even neighbour above
            1.0 + 2 ** -8 + 2 ** -20: 0x3F81,  # just past the tie
            -2.5: 0xC020,
            3.4e38: 0x7F80,                 # past the largest finite bf16 (3.3895e38) + half ulp: infinity
            float("inf"): 0x7F80,
            float("-inf"): 0xFF80,
            -0.0: 0x8000,
            1e-40: 0x0001,                  # subnormal
        }
        for x, want in cases.items():
            with self.subTest(x=x):
                self.assertEqual(want, int(wire.to_bf16_bits(np.array([x], dtype=np.float32))[0]))

    def test_matches_exact_rounding_on_random_bit_patterns(self):
        rng = np.random.default_rng(20240611)
        bits = rng.integers(0, 1 << 32, size=4000, dtype=np.uint64).astype(np.uint32)
        # Half of them land exactly on or next to a tie.
        bits[:1000] = (bits[:1000] & np.uint32(0xFFFF0000)) | np.uint32(0x8000)
        bits[1000:2000] = (bits[1000:2000] & np.uint32(0xFFFF0000)) | np.uint32(0x7FFF)
        values = bits.view(np.float32)
        got = wire.to_bf16_bits(values)
        for k in range(len(values)):
            self.assertEqual(bf16_oracle(float(values[k])), int(got[k]), "bits 0x%08x" % int(bits[k]))

    def test_nan_stays_quiet_nan_with_its_sign(self):
        nans = np.array([0x7F800001, 0xFFC12345, 0x7FFFFFFF], dtype=np.uint32).view(np.float32)
        got = wire.to_bf16_bits(nans)
        self.assertEqual([0x7FC0, 0xFFC1, 0x7FFF], [int(b) for b in got])
        self.assertTrue(np.all(np.isnan(wire.from_bf16_bits(got))))

    def test_widening_is_exact(self):
        all_bits = np.arange(1 << 16, dtype=np.uint32).astype(np.uint16)
        widened = wire.from_bf16_bits(all_bits).view(np.uint32)
        np.testing.assert_array_equal(all_bits.astype(np.uint32) << 16, widened)


class EncodeTest(unittest.TestCase):
    def state(self, **kw):
        fields = dict(request_id="r1", model_id="m", layers=[wire.Layer.from_array(3, np.ones(4, np.float32))])
        fields.update(kw)
        return wire.HiddenState(**fields)

    def test_round_trip_of_every_dtype(self):
        rng = np.random.default_rng(7)
        x = rng.standard_normal(64).astype(np.float32)
        layers = [wire.Layer.from_array(0, x, "f32"), wire.Layer.from_array(4, x, "f16"),
                  wire.Layer.from_array(8, x, "bf16")]
        state = self.state(layers=layers, event_time_unix_ms=-5, tenant="t", prompt_tokens=9,
                           labels=wire.Labels(harm=1, category="c"))
        got = wire.decode(wire.encode(state))
        self.assertEqual(state, got)
        np.testing.assert_array_equal(x.view(np.uint32), got.layers[0].values().view(np.uint32))
        np.testing.assert_array_equal(x.astype(np.float16).astype(np.float32), got.layers[1].values())
        np.testing.assert_array_equal(wire.from_bf16_bits(wire.to_bf16_bits(x)), got.layers[2].values())

    def test_float16_and_float64_inputs(self):
        h = np.array([0.5, -2.0, 65504.0], dtype=np.float16)
        self.assertEqual(h.astype("<f2").tobytes(), wire.Layer.from_array(1, h, "f16").data)
        d = np.array([0.1, 1e-3], dtype=np.float64)
        self.assertEqual(d.astype("<f4").tobytes(), wire.Layer.from_array(1, d, "f32").data)

    def test_empty_labels_still_mark_a_training_sample(self):
        self.assertIsNotNone(wire.decode(wire.encode(self.state(labels=wire.Labels()))).labels)
        self.assertIsNone(wire.decode(wire.encode(self.state())).labels)

    def test_rejects_what_the_monitor_would_dead_letter(self):
        one = wire.Layer.from_array(3, np.ones(2, np.float32))
        bad = {
            "request_id is empty": self.state(request_id=""),
            "model_id is empty": self.state(model_id=""),
            "at least one layer": self.state(layers=[]),
            "more than once": self.state(layers=[one, one]),
            "schema_version": self.state(schema_version=0),
            "expected dim": self.state(layers=[wire.Layer(1, wire.D_TYPE_F32, 3, b"\0" * 8)]),
            "unsupported dtype": self.state(layers=[wire.Layer(1, 9, 2, b"\0" * 8)]),
        }
        for message, state in bad.items():
            with self.subTest(message=message):
                with self.assertRaisesRegex(ValueError, message):
                    wire.encode(state)

    def test_rejects_bad_arrays(self):
        for values, message in ((np.ones((2, 2), np.float32), "1-D"), (np.ones(0, np.float32), "at least one"),
                                (np.ones(3, np.int32), "floating point")):
            with self.subTest(message=message):
                with self.assertRaisesRegex(ValueError, message):
                    wire.Layer.from_array(0, values)
        with self.assertRaisesRegex(ValueError, "unsupported dtype"):
            wire.Layer.from_array(0, np.ones(2, np.float32), "f64")

    def test_truncated_bytes_fail_to_decode(self):
        data = wire.encode(self.state())
        with self.assertRaisesRegex(ValueError, "past the end|truncated"):
            wire.decode(data[:-3])


if __name__ == "__main__":
    unittest.main()
