package dev.refusalmonitor.activations;

import dev.refusalmonitor.contract.HalfFloats;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Writes NumPy {@code .npy} files: C order, little-endian f16, f32 or f64, format version 1.0 (2.0 only when the
 * header would not fit in 65,535 bytes). The header is padded so the data starts at a multiple of 64 bytes, as
 * numpy does. Narrowing to f16 rounds to nearest, ties to even ({@link HalfFloats#floatToF16}).
 */
public final class NpyWriter {
    private NpyWriter() {
    }

    /** Writes {@code array} in its dtype. */
    public static void write(Path file, NpyArray array) throws IOException {
        NpyDType dtype = array.dtype();
        try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(file), 1 << 20)) {
            writeHeader(out, array.shape(), dtype);
            ByteBuffer buf = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
            for (float v : array.data()) {
                if (buf.remaining() < 8) flush(out, buf);
                switch (dtype) {
                    case F16 -> buf.putShort(HalfFloats.floatToF16(v));
                    case F32 -> buf.putFloat(v);
                    case F64 -> buf.putDouble(v);
                }
            }
            flush(out, buf);
        }
    }

    /** Writes a double array as f64 without narrowing (for exchanging exact values with a reference). */
    public static void writeF64(Path file, int[] shape, double[] data) throws IOException {
        long count = NpyArray.elementCount(shape);
        if (count != data.length) throw new IllegalArgumentException("shape needs " + count + " values, got " + data.length);
        try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(file), 1 << 20)) {
            writeHeader(out, shape, NpyDType.F64);
            ByteBuffer buf = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
            for (double v : data) {
                if (buf.remaining() < 8) flush(out, buf);
                buf.putDouble(v);
            }
            flush(out, buf);
        }
    }

    private static void flush(OutputStream out, ByteBuffer buf) throws IOException {
        out.write(buf.array(), 0, buf.position());
        buf.clear();
    }

    static void writeHeader(OutputStream out, int[] shape, NpyDType dtype) throws IOException {
        StringBuilder s = new StringBuilder("(");
        for (int i = 0; i < shape.length; i++) {
            s.append(shape[i]);
            if (shape.length == 1 || i < shape.length - 1) s.append(", ");
        }
        s.append(')');
        String dict = "{'descr': '" + dtype.descr() + "', 'fortran_order': False, 'shape': " + s + ", }";
        // magic (6) + version (2) + header length (2 or 4) + dict + padding + '\n' is a multiple of 64.
        int major = 10 + dict.length() + 1 + 63 <= 0xffff ? 1 : 2;
        int preamble = major == 1 ? 10 : 12;
        int unpadded = preamble + dict.length() + 1;
        int pad = (64 - unpadded % 64) % 64;
        byte[] header = (dict + " ".repeat(pad) + "\n").getBytes(StandardCharsets.US_ASCII);
        out.write(new byte[]{(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', (byte) major, 0});
        ByteBuffer len = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(header.length);
        out.write(len.array(), 0, major == 1 ? 2 : 4);
        out.write(header);
    }
}
