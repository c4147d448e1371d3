package dev.refusalmonitor.schemas;

import com.google.protobuf.CodedOutputStream;
import dev.refusalmonitor.schemas.HiddenStateDecoder.Limits;
import dev.refusalmonitor.schemas.HiddenStateDecoder.Rejected;
import dev.refusalmonitor.schemas.v1.DType;
import dev.refusalmonitor.schemas.v1.DeadLetter;
import dev.refusalmonitor.schemas.v1.DeadLetterReason;
import dev.refusalmonitor.schemas.v1.HiddenState;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Issue 15: every limit is its own reason, checked before the memory it guards; decode is linear. */
class HiddenStateDecoderLimitsTest {

    private static Rejected rejected(HiddenStateDecoder decoder, byte[] bytes) {
        return assertInstanceOf(Rejected.class, decoder.decode(bytes));
    }

    @Test
    void rejectsARecordOverTheByteLimitBeforeParsingIt() {
        HiddenStateDecoder d = new HiddenStateDecoder(new Limits(1000, 256, 65536, 512, 1e6));
        byte[] ok = HostileRecords.withValues("r", "m", 3, new float[200]);
        assertInstanceOf(HiddenStateDecoder.Decoded.class, d.decode(ok));
        Rejected r = rejected(d, HostileRecords.withValues("r", "m", 3, new float[300]));
        assertEquals(DeadLetterReason.DEAD_LETTER_REASON_RECORD_TOO_LARGE, r.reason());
        assertTrue(r.detail().contains("the limit is 1000"), r.detail());
    }

    @Test
    void rejectsTooManyLayersAndTheQuadraticRecordWithDefaults() {
        byte[] pill = HostileRecords.manyTinyLayers("r", "m", 266_000);
        assertTrue(pill.length > 4_000_000, "the issue's record is 4.25 MB, got " + pill.length);
        assertEquals(DeadLetterReason.DEAD_LETTER_REASON_RECORD_TOO_LARGE, rejected(new HiddenStateDecoder(), pill).reason());
        HiddenStateDecoder bigRecords = new HiddenStateDecoder(new Limits(8 << 20, 256, 65536, 512, 1e6));
        Rejected r = rejected(bigRecords, pill);
        assertEquals(DeadLetterReason.DEAD_LETTER_REASON_TOO_MANY_LAYERS, r.reason());
        assertTrue(r.detail().contains("more than 256 layers"), r.detail());
        assertInstanceOf(HiddenStateDecoder.Decoded.class, bigRecords.decode(HostileRecords.manyTinyLayers("r", "m", 256)));
    }

    @Test
    void decodesManyLayersInLinearTime() {
        // With the layer limit lifted, the duplicate check must not be quadratic: 266,000 layers took 11.75 s before.
        HiddenStateDecoder unlimited = new HiddenStateDecoder(new Limits(64 << 20, 1 << 20, 65536, 512, 1e6));
        byte[] pill = HostileRecords.manyTinyLayers("r", "m", 266_000);
        unlimited.decode(HostileRecords.manyTinyLayers("r", "m", 10_000)); // warm-up
        long t0 = System.nanoTime();
        DecodedHiddenState s = assertInstanceOf(HiddenStateDecoder.Decoded.class, unlimited.decode(pill)).state();
        double seconds = (System.nanoTime() - t0) / 1e9;
        assertEquals(266_000, s.layerCount());
        // Generous bound (a loaded 2-core machine); the quadratic check needed 11.75 s on this machine.
        assertTrue(seconds < 3.0, "266,000 layers took " + seconds + " s");
        byte[] dup = HostileRecords.manyTinyLayers("r", "m", 100_000);
        // Turn the last layer's index into a duplicate of layer 0: found by the linear check too.
        HiddenState withDup = HiddenState.newBuilder(parse(dup)).addLayers(parse(dup).getLayers(0)).build();
        assertEquals(DeadLetterReason.DEAD_LETTER_REASON_DUPLICATE_LAYER, rejected(unlimited, withDup.toByteArray()).reason());
    }

    @Test
    void rejectsALargeDimBeforeAllocatingIt() {
        HiddenStateDecoder d = new HiddenStateDecoder(new Limits(4 << 20, 256, 1024, 512, 1e6));
        Rejected r = rejected(d, HostileRecords.withValues("r", "m", 0, new float[1025]));
        assertEquals(DeadLetterReason.DEAD_LETTER_REASON_DIM_TOO_LARGE, r.reason());
        assertTrue(r.detail().contains("dim 1025 is over the limit 1024"), r.detail());
        // A dim of 2^32-1 with no data: DIM_TOO_LARGE, not an attempt to allocate.
        HiddenState huge = HiddenState.newBuilder().setSchemaVersion(1).setRequestId("r").setModelId("m")
                .addLayers(dev.refusalmonitor.schemas.v1.LayerActivation.newBuilder().setLayer(0)
                        .setDtype(DType.D_TYPE_F32).setDim(-1)).build();
        assertEquals(DeadLetterReason.DEAD_LETTER_REASON_DIM_TOO_LARGE, rejected(new HiddenStateDecoder(), huge.toByteArray()).reason());
    }

    @Test
    void rejectsOverlongIdsAndNamesTheField() {
        String longId = "x".repeat(513);
        for (String field : new String[] {"request_id", "model_id", "model_revision", "tenant", "route"}) {
            HiddenState.Builder b = HiddenState.newBuilder(parse(HostileRecords.withValues("r", "m", 0, new float[] {1f})));
            switch (field) {
                case "request_id" -> b.setRequestId(longId);
                case "model_id" -> b.setModelId(longId);
                case "model_revision" -> b.setModelRevision(longId);
                case "tenant" -> b.setTenant(longId);
                default -> b.setRoute(longId);
            }
            Rejected r = rejected(new HiddenStateDecoder(), b.build().toByteArray());
            assertEquals(DeadLetterReason.DEAD_LETTER_REASON_FIELD_TOO_LONG, r.reason(), field);
            assertTrue(r.detail().startsWith(field), r.detail());
        }
        // Multi-byte characters count in bytes: 200 × 3 bytes = 600 > 512.
        HiddenState wide = HiddenState.newBuilder(parse(HostileRecords.withValues("r", "m", 0, new float[] {1f})))
                .setModelId("\u20ac".repeat(200)).build();
        assertEquals(DeadLetterReason.DEAD_LETTER_REASON_FIELD_TOO_LONG, rejected(new HiddenStateDecoder(), wide.toByteArray()).reason());
    }

    @Test
    void boundsUnknownFields() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(HostileRecords.withValues("r", "m", 0, new float[] {1f}));
        CodedOutputStream c = CodedOutputStream.newInstance(out);
        for (int i = 0; i < 2000; i++) c.writeUInt32(1000, i);
        c.flush();
        Rejected r = rejected(new HiddenStateDecoder(), out.toByteArray());
        assertEquals(DeadLetterReason.DEAD_LETTER_REASON_MALFORMED, r.reason());
        assertTrue(r.detail().contains("unknown fields"), r.detail());
    }

    @Test
    void extremeFiniteValuesAreOutOfRangeNotScoringFailures() {
        HiddenStateDecoder monitorLike = new HiddenStateDecoder(Limits.DEFAULTS.withMaxAbsValue(1e6));
        for (float big : new float[] {1e17f, 1e30f, Float.MAX_VALUE, -3e38f, 1.0000001e6f}) {
            float[] v = new float[64];
            Arrays.fill(v, 0.5f);
            v[17] = big;
            assertInstanceOf(HiddenStateDecoder.Decoded.class, new HiddenStateDecoder().decode(
                    HostileRecords.withValues("r", "m", 4, v)), "the wire format accepts any finite value");
            Rejected r = rejected(monitorLike, HostileRecords.withValues("r", "m", 4, v));
            assertEquals(DeadLetterReason.DEAD_LETTER_REASON_OUT_OF_RANGE, r.reason(), "value " + big);
            assertTrue(r.detail().contains("layer 4") && r.detail().contains("element 17 of 64"), r.detail());
            assertFalse(r.detail().contains(Float.toString(big)), "no values in details: " + r.detail());
        }
        float[] edge = new float[8];
        edge[3] = 1e6f;
        edge[4] = -1e6f;
        assertInstanceOf(HiddenStateDecoder.Decoded.class, monitorLike.decode(HostileRecords.withValues("r", "m", 4, edge)));
    }

    @Test
    void deadLetterOfThePoisonPillFitsAndSaysItWasTruncated() throws Exception {
        byte[] pill = HostileRecords.malformed(1_048_450);
        Rejected r = rejected(new HiddenStateDecoder(), pill);
        assertEquals(DeadLetterReason.DEAD_LETTER_REASON_MALFORMED, r.reason());
        byte[] key = "k".repeat(5000).getBytes();
        DeadLetter d = DeadLetters.deadLetter(r.reason(), r.detail(), "hidden-states", 3, 42, key, pill, 1L);
        assertTrue(d.getSerializedSize() < 1_000_000, "dead letter of " + d.getSerializedSize() + " bytes");
        assertTrue(d.getOriginalValueTruncated());
        assertEquals(DeadLetters.DEFAULT_MAX_ORIGINAL_BYTES, d.getOriginalValue().size());
        assertEquals(1_048_450, d.getOriginalValueSize());
        assertEquals(DeadLetters.sha256Hex(pill), d.getOriginalValueSha256());
        assertTrue(d.getOriginalKeyTruncated());
        assertEquals(5000, d.getOriginalKeySize());
        assertEquals(DeadLetters.MAX_ORIGINAL_KEY_BYTES, d.getOriginalKey().size());
        assertEquals("hidden-states", d.getSourceTopic());
        assertEquals(42, d.getSourceOffset());
        DeadLetter small = DeadLetters.deadLetter(r.reason(), "x".repeat(10_000), "t", 0, 0, null, new byte[10], 1L, 4);
        assertTrue(small.getOriginalValueTruncated());
        assertEquals(4, small.getOriginalValue().size());
        assertTrue(small.getDetail().length() <= DeadLetters.MAX_DETAIL_CHARS, "detail clipped");
        assertTrue(small.getDetail().endsWith("[10000 chars]"), small.getDetail());
    }

    private static HiddenState parse(byte[] b) {
        try {
            return HiddenState.parseFrom(b);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }
}
