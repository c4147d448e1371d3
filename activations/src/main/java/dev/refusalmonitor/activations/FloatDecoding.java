package dev.refusalmonitor.activations;

import dev.refusalmonitor.contract.HalfFloats;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;

/** Bulk decoding of little-endian F16/BF16/F32/F64 values from a file region into a float[]. */
final class FloatDecoding {
    private static final int CHUNK = 1 << 20;

    private FloatDecoding() {
    }

    static SafetensorsDType of(NpyDType t) {
        return switch (t) {
            case F16 -> SafetensorsDType.F16;
            case F32 -> SafetensorsDType.F32;
            case F64 -> SafetensorsDType.F64;
        };
    }

    /** Reads {@code count} values of {@code type} starting at byte {@code pos} into {@code out[off..off+count)}. */
    static void read(Path file, FileChannel ch, long pos, SafetensorsDType type, float[] out, int off, int count,
                     String what) throws IOException {
        int size = type.size();
        ByteBuffer buf = ByteBuffer.allocate(Math.min(CHUNK, Math.max(size, count * size))).order(ByteOrder.LITTLE_ENDIAN);
        int perChunk = buf.capacity() / size;
        for (int idx = 0; idx < count; ) {
            int k = Math.min(perChunk, count - idx);
            buf.clear().limit(k * size);
            NpyReader.readFully(file, ch, buf, pos, what);
            pos += (long) k * size;
            buf.flip();
            int o = off + idx;
            switch (type) {
                case F32 -> buf.asFloatBuffer().get(out, o, k);
                case F64 -> { for (int i = 0; i < k; i++) out[o + i] = (float) buf.getDouble(); }
                case F16 -> { for (int i = 0; i < k; i++) out[o + i] = HalfFloats.f16ToFloat(buf.getShort()); }
                case BF16 -> { for (int i = 0; i < k; i++) out[o + i] = HalfFloats.bf16ToFloat(buf.getShort()); }
                default -> throw new IllegalArgumentException("not a float type: " + type);
            }
            idx += k;
        }
    }
}
