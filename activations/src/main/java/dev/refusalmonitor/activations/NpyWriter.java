package dev.refusalmonitor.activations;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Writes NumPy {@code .npy} files, format version 1.0, C order, little-endian f32 or f64. */
public final class NpyWriter {
    private NpyWriter() {
    }

    /** Writes {@code array} with its dtype (f32 or f64). */
    public static void write(Path file, NpyArray array) throws IOException {
        if (array.dtype() == NpyDType.F16) throw new IllegalArgumentException("writing f16 .npy is not supported; use f32");
        try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(file), 1 << 20)) {
            writeHeader(out, array.shape(), array.dtype());
            float[] data = array.data();
            boolean f32 = array.dtype() == NpyDType.F32;
            ByteBuffer buf = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
            for (float v : data) {
                if (buf.remaining() < 8) flush(out, buf);
                if (f32) buf.putFloat(v);
                else buf.putDouble(v);
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

    private static void writeHeader(OutputStream out, int[] shape, NpyDType dtype) throws IOException {
        StringBuilder s = new StringBuilder("(");
        for (int i = 0; i < shape.length; i++) {
            s.append(shape[i]);
            if (shape.length == 1 || i < shape.length - 1) s.append(", ");
        }
        s.append(')');
        String dict = "{'descr': '" + dtype.descr() + "', 'fortran_order': False, 'shape': " + s + ", }";
        // magic (6) + version (2) + header length (2) + dict + padding + '\n' is a multiple of 64.
        int unpadded = 10 + dict.length() + 1;
        int pad = (64 - unpadded % 64) % 64;
        byte[] header = (dict + " ".repeat(pad) + "\n").getBytes(StandardCharsets.US_ASCII);
        out.write(new byte[]{(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0});
        out.write(header.length & 0xff);
        out.write((header.length >>> 8) & 0xff);
        out.write(header);
    }
}
