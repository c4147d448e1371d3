package dev.refusalmonitor.schemas;

import com.google.protobuf.ByteString;
import dev.refusalmonitor.schemas.v1.DType;
import dev.refusalmonitor.schemas.v1.DeadLetterReason;
import dev.refusalmonitor.schemas.v1.HarmLabel;
import dev.refusalmonitor.schemas.v1.HiddenState;
import dev.refusalmonitor.schemas.v1.LayerActivation;
import dev.refusalmonitor.schemas.v1.ResponseLabel;
import dev.refusalmonitor.schemas.v1.TokenPosition;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HiddenStateDecoderTest {
    private final HiddenStateDecoder decoder = new HiddenStateDecoder();

    private static HiddenStateBuilder valid() {
        return HiddenStateBuilder.create("req-1", "model-a").modelRevision("rev-3").tenant("acme").route("/chat")
                .eventTimeUnixMs(1_700_000_000_123L).promptTokens(17)
                .layer(2, new float[] {1f, -2f, 0.5f}, DType.D_TYPE_F32)
                .layer(7, new float[] {0.25f, 3f, -1f}, DType.D_TYPE_F16)
                .layer(9, new float[] {1.5f, -0f, 8f}, DType.D_TYPE_BF16);
    }

    @Test
    void decodesEveryFieldOfAValidRecord() {
        byte[] bytes = valid().labels(HarmLabel.HARM_LABEL_HARMFUL, ResponseLabel.RESPONSE_LABEL_REFUSED, "cyber",
                "eval-harness").toByteArray();
        DecodedHiddenState s = decoded(bytes);
        assertEquals("req-1", s.requestId());
        assertEquals("model-a", s.modelId());
        assertEquals("rev-3", s.modelRevision());
        assertEquals("acme", s.tenant());
        assertEquals("/chat", s.route());
        assertEquals(1_700_000_000_123L, s.eventTimeUnixMs());
        assertEquals(TokenPosition.TOKEN_POSITION_LAST_PROMPT_TOKEN, s.tokenPosition());
        assertEquals(17, s.promptTokens());
        assertArrayEquals(new int[] {2, 7, 9}, s.layerIndices());
        assertArrayEquals(new float[] {1f, -2f, 0.5f}, s.layer(2));
        assertArrayEquals(new float[] {0.25f, 3f, -1f}, s.layer(7));
        TensorCodecTest.assertBitsEqual(new float[] {1.5f, -0f, 8f}, s.layer(9));
        assertNull(s.layer(3));
        assertEquals(HarmLabel.HARM_LABEL_HARMFUL, s.labels().getHarm());
        assertEquals(ResponseLabel.RESPONSE_LABEL_REFUSED, s.labels().getResponse());
        assertEquals("cyber", s.labels().getCategory());
        assertEquals("eval-harness", s.labels().getSource());
        assertFalse(s.toString().contains("0.5"), "toString must not print hidden-state values");
    }

    @Test
    void theOnePassValueCheckAgreesWithFiniteAndAtMostTheLimitForEveryValueAndLimit() {
        float[] limits = {1e6f, Float.MAX_VALUE, 1.5f, 1e-30f, Float.MIN_VALUE};
        java.util.SplittableRandom random = new java.util.SplittableRandom(42);
        for (double max : new double[] {1e6, Double.POSITIVE_INFINITY, Float.MAX_VALUE, 1.5, 1e-30, 1e300, 0.1, 1e-50}) {
            int bits = HiddenStateDecoder.limitBits(max);
            java.util.List<Float> probes = new java.util.ArrayList<>(java.util.List.of(Float.NaN, Float.POSITIVE_INFINITY,
                    Float.NEGATIVE_INFINITY, Float.intBitsToFloat(0x7fc00001), Float.intBitsToFloat(0xff800001), 0f, -0f,
                    Float.MAX_VALUE, -Float.MAX_VALUE, Float.MIN_VALUE));
            for (float l : limits) {
                probes.add(l);
                probes.add(Math.nextUp(l));
                probes.add(Math.nextDown(l));
            }
            float near = (float) Math.min(max, Float.MAX_VALUE);
            for (float x : new float[] {near, Math.nextUp(near), Math.nextDown(near)}) {
                probes.add(x);
                probes.add(-x);
            }
            for (int i = 0; i < 10_000; i++) probes.add(Float.intBitsToFloat(random.nextInt()));
            for (float x : probes) {
                boolean outside = !(Float.isFinite(x) && Math.abs(x) <= max);
                for (int d : new int[] {1, 7, 4096}) {
                    float[] v = new float[d];
                    java.util.Arrays.fill(v, 0.5f * (float) Math.min(max, 1.0));
                    v[random.nextInt(d)] = x;
                    assertEquals(outside, HiddenStateDecoder.anyOutside(v, bits), "max " + max + ", x " + x + ", d " + d);
                }
            }
        }
    }

    @Test
    void aNonFiniteValueIsReportedAsSuchEvenAfterAnEarlierValueOverTheLimit() {
        HiddenStateDecoder bounded = new HiddenStateDecoder(HiddenStateDecoder.Limits.DEFAULTS.withMaxAbsValue(10));
        byte[] bytes = HiddenStateBuilder.create("r", "m").layer(3, new float[] {1f, 50f, 2f, Float.NaN}).toByteArray();
        HiddenStateDecoder.Rejected r = assertInstanceOf(HiddenStateDecoder.Rejected.class, bounded.decode(bytes));
        assertEquals(DeadLetterReason.DEAD_LETTER_REASON_NON_FINITE, r.reason());
        assertTrue(r.detail().contains("element 3 of 4"), r.detail());
        r = assertInstanceOf(HiddenStateDecoder.Rejected.class, bounded.decode(HiddenStateBuilder.create("r", "m")
                .layer(3, new float[] {1f, 2f, -50f, 10f}).toByteArray()));
        assertEquals(DeadLetterReason.DEAD_LETTER_REASON_OUT_OF_RANGE, r.reason());
        assertTrue(r.detail().contains("element 2 of 4"), r.detail());
        assertInstanceOf(HiddenStateDecoder.Decoded.class, bounded.decode(HiddenStateBuilder.create("r", "m")
                .layer(3, new float[] {1f, 2f, -10f, 10f}).toByteArray()));
    }

    @Test
    void findsADuplicateLayerAmongManyLayers() {
        for (int n : new int[] {2, 32, 33, 200}) {
            HiddenStateBuilder b = HiddenStateBuilder.create("r", "m");
            for (int l = 0; l < n; l++) b.layer(l * 8, new float[] {1f});
            assertInstanceOf(HiddenStateDecoder.Decoded.class, decoder.decode(b.toByteArray()), n + " distinct layers");
            b.layer((n / 2) * 8, new float[] {2f});
            Rejected r = rejected(b.toByteArray());
            assertEquals(DeadLetterReason.DEAD_LETTER_REASON_DUPLICATE_LAYER, r.reason());
            assertTrue(r.detail().contains("entries " + (n / 2) + " and " + n), r.detail());
        }
    }

    @Test
    void liveTrafficHasNoLabels() {
        assertNull(decoded(valid().toByteArray()).labels());
    }

    @Test
    void decodedValuesDoNotAliasTheInputBytes() {
        // The parser aliases the input array; the decoded floats must be copies that survive its reuse.
        byte[] bytes = HiddenStateBuilder.create("r", "m").layer(0, new float[] {1f, 2f}).toByteArray();
        DecodedHiddenState s = decoded(bytes);
        java.util.Arrays.fill(bytes, (byte) 0x7f);
        assertArrayEquals(new float[] {1f, 2f}, s.layer(0));
    }

    @Test
    void rejectsBytesThatAreNotProtobuf() {
        Rejected r = rejected(new byte[] {(byte) 0xff, (byte) 0xff, (byte) 0xff, 0x01});
        assertEquals(DeadLetterReason.DEAD_LETTER_REASON_MALFORMED, r.reason());
        assertTrue(r.detail().contains("4 bytes"), r.detail());
        // A truncated record (length-delimited field cut short).
        byte[] ok = valid().toByteArray();
        assertEquals(DeadLetterReason.DEAD_LETTER_REASON_MALFORMED,
                rejected(java.util.Arrays.copyOf(ok, ok.length - 5)).reason());
        assertEquals(DeadLetterReason.DEAD_LETTER_REASON_MALFORMED, rejected(null).reason());
    }

    @Test
    void rejectsUnsetSchemaVersionAsMissingField() {
        Rejected r = rejected(valid().build().toBuilder().setSchemaVersion(0).build().toByteArray());
        assertEquals(DeadLetterReason.DEAD_LETTER_REASON_MISSING_FIELD, r.reason());
        assertTrue(r.detail().contains("schema_version is unset"), r.detail());
    }

    @Test
    void rejectsAnUnknownSchemaVersion() {
        Rejected r = rejected(valid().build().toBuilder().setSchemaVersion(2).build().toByteArray());
        assertEquals(DeadLetterReason.DEAD_LETTER_REASON_UNSUPPORTED_SCHEMA_VERSION, r.reason());
        assertTrue(r.detail().contains("schema_version 2"), r.detail());
    }

    @Test
    void rejectsMissingRequestIdModelIdAndLayers() {
        HiddenState ok = valid().build();
        Rejected r = rejected(ok.toBuilder().clearRequestId().build().toByteArray());
        assertEquals(DeadLetterReason.DEAD_LETTER_REASON_MISSING_FIELD, r.reason());
        assertTrue(r.detail().contains("request_id"), r.detail());
        r = rejected(ok.toBuilder().clearModelId().build().toByteArray());
        assertEquals(DeadLetterReason.DEAD_LETTER_REASON_MISSING_FIELD, r.reason());
        assertTrue(r.detail().contains("model_id"), r.detail());
        r = rejected(ok.toBuilder().clearLayers().build().toByteArray());
        assertEquals(DeadLetterReason.DEAD_LETTER_REASON_MISSING_FIELD, r.reason());
        assertTrue(r.detail().contains("no layers"), r.detail());
    }

    @Test
    void rejectsADuplicateLayerIndex() {
        HiddenState s = valid().layer(7, new float[] {1f, 1f, 1f}).build();
        Rejected r = rejected(s.toByteArray());
        assertEquals(DeadLetterReason.DEAD_LETTER_REASON_DUPLICATE_LAYER, r.reason());
        assertTrue(r.detail().contains("layer 7") && r.detail().contains("entries 1 and 3"), r.detail());
    }

    @Test
    void rejectsUnspecifiedAndUnknownDtypes() {
        HiddenState ok = valid().build();
        HiddenState unspecified = ok.toBuilder().setLayers(1,
                ok.getLayers(1).toBuilder().setDtype(DType.D_TYPE_UNSPECIFIED)).build();
        Rejected r = rejected(unspecified.toByteArray());
        assertEquals(DeadLetterReason.DEAD_LETTER_REASON_UNSUPPORTED_DTYPE, r.reason());
        assertTrue(r.detail().contains("layer 7") && r.detail().contains("D_TYPE_UNSPECIFIED"), r.detail());
        HiddenState unknown = ok.toBuilder().setLayers(2, ok.getLayers(2).toBuilder().setDtypeValue(9)).build();
        r = rejected(unknown.toByteArray());
        assertEquals(DeadLetterReason.DEAD_LETTER_REASON_UNSUPPORTED_DTYPE, r.reason());
        assertTrue(r.detail().contains("layer 9") && r.detail().contains("value 9"), r.detail());
    }

    @Test
    void rejectsDataWhoseLengthIsNotDimTimesElementSize() {
        HiddenState ok = valid().build();
        LayerActivation l = ok.getLayers(1); // layer 7, f16, dim 3 -> 6 bytes
        HiddenState bad = ok.toBuilder().setLayers(1, l.toBuilder().setData(l.getData().concat(
                ByteString.copyFrom(new byte[] {0})))).build();
        Rejected r = rejected(bad.toByteArray());
        assertEquals(DeadLetterReason.DEAD_LETTER_REASON_SIZE_MISMATCH, r.reason());
        assertTrue(r.detail().contains("layer 7: data has 7 bytes, expected 6 (dim 3 x 2 bytes for D_TYPE_F16)"),
                r.detail());
        HiddenState wrongDim = ok.toBuilder().setLayers(0, ok.getLayers(0).toBuilder().setDim(4)).build();
        r = rejected(wrongDim.toByteArray());
        assertEquals(DeadLetterReason.DEAD_LETTER_REASON_SIZE_MISMATCH, r.reason());
        assertTrue(r.detail().contains("layer 2: data has 12 bytes, expected 16 (dim 4 x 4 bytes"), r.detail());
    }

    @Test
    void rejectsAZeroDimAsMissing() {
        HiddenState ok = valid().build();
        HiddenState bad = ok.toBuilder().setLayers(0, ok.getLayers(0).toBuilder().setDim(0)
                .setData(ByteString.EMPTY)).build();
        Rejected r = rejected(bad.toByteArray());
        assertEquals(DeadLetterReason.DEAD_LETTER_REASON_MISSING_FIELD, r.reason());
        assertTrue(r.detail().contains("layer 2: dim is 0"), r.detail());
    }

    @Test
    void rejectsNonFiniteValuesNamingTheLayerAndElementButNotTheValue() {
        for (DType t : new DType[] {DType.D_TYPE_F32, DType.D_TYPE_F16, DType.D_TYPE_BF16}) {
            for (float special : new float[] {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY}) {
                byte[] bytes = HiddenStateBuilder.create("r", "m").layer(1, new float[] {1f, 2f})
                        .layer(12, new float[] {0.5f, 0.25f, special, 1f}, t).toByteArray();
                Rejected r = rejected(bytes);
                assertEquals(DeadLetterReason.DEAD_LETTER_REASON_NON_FINITE, r.reason(), t + " " + special);
                assertTrue(r.detail().contains("layer 12") && r.detail().contains("element 2 of 4"), r.detail());
                assertFalse(r.detail().contains("0.5") || r.detail().contains("0.25"), r.detail());
            }
        }
    }

    @Test
    void halfPrecisionLargeButFiniteValuesAreAccepted() {
        // 65504 is f16's largest finite value; 70000 overflows to infinity when encoded, and must be rejected.
        assertArrayEquals(new float[] {65504f}, decoded(HiddenStateBuilder.create("r", "m")
                .layer(0, new float[] {65504f}, DType.D_TYPE_F16).toByteArray()).layer(0));
        assertEquals(DeadLetterReason.DEAD_LETTER_REASON_NON_FINITE, rejected(HiddenStateBuilder.create("r", "m")
                .layer(0, new float[] {70000f}, DType.D_TYPE_F16).toByteArray()).reason());
    }

    private DecodedHiddenState decoded(byte[] bytes) {
        HiddenStateDecoder.Result result = decoder.decode(bytes);
        if (result instanceof HiddenStateDecoder.Rejected r) {
            throw new AssertionError("rejected: " + r.reason() + " " + r.detail());
        }
        return assertInstanceOf(HiddenStateDecoder.Decoded.class, result).state();
    }

    private Rejected rejected(byte[] bytes) {
        HiddenStateDecoder.Result result = decoder.decode(bytes);
        HiddenStateDecoder.Rejected r = assertInstanceOf(HiddenStateDecoder.Rejected.class, result);
        return new Rejected(r.reason(), r.detail());
    }

    private record Rejected(DeadLetterReason reason, String detail) {
    }
}
