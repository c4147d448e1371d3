package dev.refusalmonitor.activations;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads NumPy {@code .npy} files (format versions 1, 2 and 3) holding little-endian f16, f32 or f64 in C order.
 * Every rejection is an {@link ActivationFileException} that names the file and what is wrong.
 */
public final class NpyReader {
    private static final Pattern DESCR = Pattern.compile("'descr'\\s*:\\s*'([^']*)'");
    private static final Pattern FORTRAN = Pattern.compile("'fortran_order'\\s*:\\s*(True|False)");
    private static final Pattern SHAPE = Pattern.compile("'shape'\\s*:\\s*\\(([^)]*)\\)");

    private NpyReader() {
    }

    public static NpyArray read(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            ByteBuffer pre = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN);
            readFully(ch, pre, file);
            pre.flip();
            if (pre.remaining() < 10 || (pre.get(0) & 0xff) != 0x93 || pre.get(1) != 'N' || pre.get(2) != 'U'
                    || pre.get(3) != 'M' || pre.get(4) != 'P' || pre.get(5) != 'Y')
                throw new ActivationFileException(file, "not a NumPy .npy file (bad magic)");
            int major = pre.get(6) & 0xff;
            long headerLen;
            long headerStart;
            if (major == 1) {
                headerLen = pre.getShort(8) & 0xffff;
                headerStart = 10;
            } else if (major == 2 || major == 3) {
                if (pre.remaining() < 12) throw new ActivationFileException(file, "truncated header");
                headerLen = pre.getInt(8) & 0xffffffffL;
                headerStart = 12;
            } else {
                throw new ActivationFileException(file, "unsupported .npy format version " + major);
            }
            if (headerStart + headerLen > size) throw new ActivationFileException(file, "truncated header");
            ByteBuffer hb = ByteBuffer.allocate((int) headerLen);
            ch.position(headerStart);
            readFully(ch, hb, file);
            String header = new String(hb.array(), major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);

            NpyDType dtype = parseDType(file, header);
            Matcher f = FORTRAN.matcher(header);
            if (!f.find()) throw new ActivationFileException(file, "header has no 'fortran_order'");
            if (f.group(1).equals("True"))
                throw new ActivationFileException(file, "Fortran-ordered arrays are not supported; save with "
                        + "numpy.ascontiguousarray(a) (C order)");
            int[] shape = parseShape(file, header);
            long count = NpyArray.elementCount(shape);
            long dataBytes = count * dtype.size();
            long dataStart = headerStart + headerLen;
            if (size - dataStart != dataBytes)
                throw new ActivationFileException(file, "expected " + dataBytes + " data bytes for shape "
                        + java.util.Arrays.toString(shape) + " " + dtype.descr() + ", found " + (size - dataStart));
            if (count > Integer.MAX_VALUE - 8)
                throw new ActivationFileException(file, "array too large (" + count + " values)");
            float[] out = new float[(int) count];
            ByteBuffer buf = ByteBuffer.allocate(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
            ch.position(dataStart);
            int idx = 0;
            while (idx < out.length) {
                buf.clear();
                long want = Math.min(buf.capacity(), (long) (out.length - idx) * dtype.size());
                buf.limit((int) want);
                readFully(ch, buf, file);
                buf.flip();
                switch (dtype) {
                    case F32 -> { while (buf.remaining() >= 4) out[idx++] = buf.getFloat(); }
                    case F64 -> { while (buf.remaining() >= 8) out[idx++] = (float) buf.getDouble(); }
                    case F16 -> { while (buf.remaining() >= 2) out[idx++] = HalfFloats.f16ToFloat(buf.getShort()); }
                }
            }
            return new NpyArray(shape, out, dtype);
        }
    }

    private static NpyDType parseDType(Path file, String header) throws ActivationFileException {
        Matcher m = DESCR.matcher(header);
        if (!m.find()) throw new ActivationFileException(file, "header has no 'descr'");
        String d = m.group(1);
        return switch (d) {
            case "<f4" -> NpyDType.F32;
            case "<f8" -> NpyDType.F64;
            case "<f2" -> NpyDType.F16;
            default -> throw new ActivationFileException(file, "unsupported dtype '" + d
                    + "'; expected little-endian float16, float32 or float64 (<f2, <f4, <f8)");
        };
    }

    private static int[] parseShape(Path file, String header) throws ActivationFileException {
        Matcher m = SHAPE.matcher(header);
        if (!m.find()) throw new ActivationFileException(file, "header has no 'shape'");
        List<Integer> dims = new ArrayList<>();
        for (String part : m.group(1).split(",")) {
            String t = part.trim();
            if (t.isEmpty()) continue;
            try {
                long v = Long.parseLong(t.endsWith("L") ? t.substring(0, t.length() - 1) : t);
                if (v < 0 || v > Integer.MAX_VALUE) throw new NumberFormatException();
                dims.add((int) v);
            } catch (NumberFormatException e) {
                throw new ActivationFileException(file, "bad shape entry '" + t + "'");
            }
        }
        return dims.stream().mapToInt(Integer::intValue).toArray();
    }

    private static void readFully(FileChannel ch, ByteBuffer buf, Path file) throws IOException {
        while (buf.hasRemaining()) {
            if (ch.read(buf) < 0) {
                if (buf.position() == 0 || buf.limit() == 12) return; // caller checks what it got
                throw new ActivationFileException(file, "file ends early");
            }
        }
    }
}
