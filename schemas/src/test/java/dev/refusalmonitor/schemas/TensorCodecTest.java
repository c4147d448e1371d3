package dev.refusalmonitor.schemas;

import com.google.protobuf.ByteString;
import dev.refusalmonitor.contract.HalfFloats;
import dev.refusalmonitor.schemas.v1.DType;
import dev.refusalmonitor.schemas.v1.LayerActivation;
import dev.refusalmonitor.schemas.v1.Tensor;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

class TensorCodecTest {
    private static final float[] F32_SPECIALS = {0f, -0f, Float.MIN_VALUE, -Float.MIN_VALUE, Float.MIN_NORMAL,
            Float.MAX_VALUE, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NaN,
            Float.intBitsToFloat(0x7fa00001), Float.intBitsToFloat(0xffc00123), 1f, -2.5f, 0.1f, 3.14159f};

    @Test
    void f32RoundTripsEveryBitPatternGivenIncludingNanPayloads() {
        ByteString bytes = TensorCodec.encode(F32_SPECIALS, DType.D_TYPE_F32);
        assertEquals(4 * F32_SPECIALS.length, bytes.size());
        // Little-endian on the wire, independent of the codec.
        ByteBuffer le = ByteBuffer.wrap(bytes.toByteArray()).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < F32_SPECIALS.length; i++) {
            assertEquals(Float.floatToRawIntBits(F32_SPECIALS[i]), le.getInt(4 * i), "wire element " + i);
        }
        float[] back = new float[F32_SPECIALS.length];
        TensorCodec.decode(DType.D_TYPE_F32, bytes, back.length, back, 0);
        assertBitsEqual(F32_SPECIALS, back);
    }

    @Test
    void f16DecodeIsBitExactAgainstHalfFloatsForAll65536Patterns() {
        byte[] raw = new byte[2 * 65536];
        for (int h = 0; h < 65536; h++) {
            raw[2 * h] = (byte) h;
            raw[2 * h + 1] = (byte) (h >>> 8);
        }
        float[] out = new float[65536];
        TensorCodec.decode(DType.D_TYPE_F16, ByteString.copyFrom(raw), 65536, out, 0);
        for (int h = 0; h < 65536; h++) {
            if (Float.floatToRawIntBits(HalfFloats.f16ToFloat((short) h)) != Float.floatToRawIntBits(out[h])) {
                fail("f16 pattern 0x" + Integer.toHexString(h) + " decoded to " + out[h]);
            }
        }
        // Spot checks on the special values themselves, so a wrong HalfFloats cannot hide.
        assertEquals(0x00000000, Float.floatToRawIntBits(out[0x0000]));
        assertEquals(0x80000000, Float.floatToRawIntBits(out[0x8000]));
        assertEquals(0x1p-24f, out[0x0001]);
        assertEquals(1023 * 0x1p-24f, out[0x03ff]);
        assertEquals(0x1p-14f, out[0x0400]);
        assertEquals(65504f, out[0x7bff]);
        assertEquals(Float.POSITIVE_INFINITY, out[0x7c00]);
        assertEquals(Float.NEGATIVE_INFINITY, out[0xfc00]);
        assertEquals(0x7fc00000, Float.floatToRawIntBits(out[0x7e00]));
    }

    @Test
    void bf16DecodeIsBitExactAgainstHalfFloatsForAll65536Patterns() {
        byte[] raw = new byte[2 * 65536];
        for (int h = 0; h < 65536; h++) {
            raw[2 * h] = (byte) h;
            raw[2 * h + 1] = (byte) (h >>> 8);
        }
        float[] out = new float[65536];
        TensorCodec.decode(DType.D_TYPE_BF16, ByteString.copyFrom(raw), 65536, out, 0);
        for (int h = 0; h < 65536; h++) {
            int bits = Float.floatToRawIntBits(out[h]);
            // bf16 is the upper half of a binary32.
            if (bits != Float.floatToRawIntBits(HalfFloats.bf16ToFloat((short) h)) || bits != h << 16) {
                fail("bf16 pattern 0x" + Integer.toHexString(h) + " decoded to " + out[h]);
            }
        }
    }

    @Test
    void halfEncodingRoundsLikeHalfFloats() {
        Random rnd = new Random(11);
        float[] v = new float[512];
        for (int i = 0; i < v.length; i++) v[i] = (float) (rnd.nextGaussian() * Math.pow(2, rnd.nextInt(40) - 20));
        System.arraycopy(F32_SPECIALS, 0, v, 0, F32_SPECIALS.length);
        ByteBuffer f16 = ByteBuffer.wrap(TensorCodec.encode(v, DType.D_TYPE_F16).toByteArray())
                .order(ByteOrder.LITTLE_ENDIAN);
        ByteBuffer bf16 = ByteBuffer.wrap(TensorCodec.encode(v, DType.D_TYPE_BF16).toByteArray())
                .order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < v.length; i++) {
            assertEquals(HalfFloats.floatToF16(v[i]), f16.getShort(2 * i), "f16 element " + i);
            assertEquals(HalfFloats.floatToBf16(v[i]), bf16.getShort(2 * i), "bf16 element " + i);
        }
    }

    @Test
    void decodesIntoCallerArrayAtOffsetWithoutTouchingTheRest() {
        float[] values = {1f, 2f, 3f};
        for (DType t : new DType[] {DType.D_TYPE_F32, DType.D_TYPE_F16, DType.D_TYPE_BF16}) {
            float[] dst = {-7f, -7f, -7f, -7f, -7f, -7f};
            TensorCodec.decode(t, TensorCodec.encode(values, t), 3, dst, 2);
            assertArrayEquals(new float[] {-7f, -7f, 1f, 2f, 3f, -7f}, dst, t.name());
        }
    }

    @Test
    void decodesASubstringWhoseBytesStartInsideALargerArray() {
        // Parsed or aliased ByteStrings can be views at an offset; decoding must start at the view's first byte.
        ByteString all = ByteString.copyFrom(new byte[] {9, 9, 9}).concat(TensorCodec.encode(
                new float[] {1.5f, -4f}, DType.D_TYPE_F32)).concat(ByteString.copyFrom(new byte[] {9}));
        ByteString view = all.substring(3, 11);
        assertArrayEquals(new float[] {1.5f, -4f}, decodeF32(view, 2));
        ByteString halfView = ByteString.copyFrom(new byte[] {9})
                .concat(TensorCodec.encode(new float[] {0.5f, -2f}, DType.D_TYPE_F16)).substring(1, 5);
        float[] h = new float[2];
        TensorCodec.decode(DType.D_TYPE_F16, halfView, 2, h, 0);
        assertArrayEquals(new float[] {0.5f, -2f}, h);
    }

    @Test
    void sizeMismatchNamesExpectedAndActualBytes() {
        LayerActivation bad = LayerActivation.newBuilder().setLayer(5).setDtype(DType.D_TYPE_F16).setDim(6)
                .setData(ByteString.copyFrom(new byte[10])).build();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TensorCodec.decode(bad));
        assertTrue(e.getMessage().contains("layer 5"), e.getMessage());
        assertTrue(e.getMessage().contains("has 10 bytes, expected 12"), e.getMessage());
        assertTrue(e.getMessage().contains("6 elements x 2 bytes"), e.getMessage());
    }

    @Test
    void destinationTooSmallIsRejected() {
        ByteString bytes = TensorCodec.encode(new float[4], DType.D_TYPE_F32);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TensorCodec.decode(DType.D_TYPE_F32, bytes, 4, new float[5], 2));
        assertTrue(e.getMessage().contains("float[5] cannot take 4 elements at offset 2"), e.getMessage());
    }

    @Test
    void unspecifiedDtypeIsRejected() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TensorCodec.encode(new float[1], DType.D_TYPE_UNSPECIFIED));
        assertTrue(e.getMessage().contains("D_TYPE_UNSPECIFIED"), e.getMessage());
    }

    @Test
    void tensorShapeMustMatchValuesAndData() {
        Tensor t = TensorCodec.tensor(new float[] {1, 2, 3, 4, 5, 6}, DType.D_TYPE_BF16, 2, 3);
        assertEquals(6, TensorCodec.elementCount(t));
        assertArrayEquals(new float[] {1, 2, 3, 4, 5, 6}, TensorCodec.decode(t));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TensorCodec.tensor(new float[5], DType.D_TYPE_F32, 2, 3));
        assertTrue(e.getMessage().contains("shape [2, 3] has 6 elements but 5 values"), e.getMessage());
        Tensor wrong = t.toBuilder().clearShape().addShape(3).addShape(3).build();
        e = assertThrows(IllegalArgumentException.class, () -> TensorCodec.decode(wrong));
        assertTrue(e.getMessage().contains("[3, 3]") && e.getMessage().contains("has 12 bytes, expected 18"),
                e.getMessage());
    }

    private static float[] decodeF32(ByteString b, int n) {
        float[] out = new float[n];
        TensorCodec.decode(DType.D_TYPE_F32, b, n, out, 0);
        return out;
    }

    static void assertBitsEqual(float[] expected, float[] actual) {
        assertEquals(expected.length, actual.length, "length");
        for (int i = 0; i < expected.length; i++) {
            assertEquals(Float.floatToRawIntBits(expected[i]), Float.floatToRawIntBits(actual[i]), "element " + i);
        }
    }
}
