package dev.refusalmonitor.activations;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads NumPy {@code .npy} files.
 *
 * <p>Format (numpy.lib.format): the magic {@code \x93NUMPY}, a major and minor version byte, the header length
 * (2 bytes little-endian for version 1.0, 4 bytes for 2.0 and 3.0), then the header: a Python dict literal
 * {@code {'descr': '<f4', 'fortran_order': False, 'shape': (n, d), }} (Latin-1 for 1.0/2.0, UTF-8 for 3.0), then the
 * raw values. Supported: versions 1.0, 2.0, 3.0; dtypes little-endian float16/float32/float64 ({@code <f2},
 * {@code <f4}, {@code <f8}); C order only. Values are widened to float (f64 is rounded to nearest float).
 *
 * <p>Every rejection is an {@link ActivationFileException} that names the file and what is wrong: bad magic,
 * unsupported version, truncated header or data, trailing bytes, Fortran order, unsupported dtype (big-endian,
 * integer, boolean, structured, object), bad shape, or more values than one Java array holds.
 */
public final class NpyReader {
    /** Largest element count we read into one float[] (the JVM's array limit is slightly below 2^31 - 1). */
    static final long MAX_ELEMENTS = Integer.MAX_VALUE - 8;
    private static final String SUPPORTED = "supported: little-endian float16, float32, float64 ('<f2', '<f4', '<f8')";

    private NpyReader() {
    }

    /** Reads the whole array, widened to float, in C (row-major) order. */
    public static NpyArray read(Path file) throws IOException {
        try (FileChannel ch = open(file)) {
            Header h = readHeader(file, ch, true);
            float[] out = new float[(int) h.count()];
            FloatDecoding.read(file, ch, h.dataStart(), FloatDecoding.of(h.dtype()), out, 0, out.length, "data");
            return new NpyArray(h.shape(), out, h.dtype());
        }
    }

    static FileChannel open(Path file) throws IOException {
        try {
            return FileChannel.open(file, StandardOpenOption.READ);
        } catch (NoSuchFileException e) {
            throw new ActivationFileException(file, "no such file");
        }
    }

    /** Parsed and validated header: where the data starts and how much there is (count may exceed MAX_ELEMENTS). */
    record Header(NpyDType dtype, int[] shape, long count, long dataStart) {
    }

    /**
     * Reads and validates the header and checks that the file holds exactly the data it declares; with
     * {@code oneArray}, also that all values fit in one Java array.
     */
    static Header readHeader(Path file, FileChannel ch, boolean oneArray) throws IOException {
        long size = ch.size();
        ByteBuffer pre = ByteBuffer.allocate((int) Math.min(12, size)).order(ByteOrder.LITTLE_ENDIAN);
        readFully(file, ch, pre, 0, "header");
        byte[] magic = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
        for (int i = 0; i < magic.length; i++) {
            if (i >= pre.limit() || pre.get(i) != magic[i])
                throw new ActivationFileException(file, "not a NumPy .npy file (bad magic; expected \\x93NUMPY)");
        }
        if (pre.limit() < 8) throw new ActivationFileException(file, "truncated header (no version bytes)");
        int major = pre.get(6) & 0xff;
        int minor = pre.get(7) & 0xff;
        if ((major != 1 && major != 2 && major != 3) || minor != 0)
            throw new ActivationFileException(file, "unsupported .npy format version " + major + "." + minor
                    + "; supported: 1.0, 2.0, 3.0");
        int lenBytes = major == 1 ? 2 : 4;
        if (pre.limit() < 8 + lenBytes) throw new ActivationFileException(file, "truncated header (no header length)");
        long headerLen = major == 1 ? pre.getShort(8) & 0xffff : pre.getInt(8) & 0xffffffffL;
        long headerStart = 8 + lenBytes;
        if (headerStart + headerLen > size)
            throw new ActivationFileException(file, "truncated header: it declares " + headerLen + " bytes but the file has "
                    + (size - headerStart) + " after the preamble");
        if (headerLen > (1 << 24)) throw new ActivationFileException(file, "header of " + headerLen + " bytes is implausibly large");
        ByteBuffer hb = ByteBuffer.allocate((int) headerLen);
        readFully(file, ch, hb, headerStart, "header");
        String text = new String(hb.array(), major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);

        Map<String, Object> dict = new HeaderParser(file, text).parseDict();
        Object descr = dict.get("descr");
        if (descr == null) throw new ActivationFileException(file, "header has no 'descr' (element type)");
        NpyDType dtype = dtypeOf(file, descr);
        Object fortran = dict.get("fortran_order");
        if (!(fortran instanceof Boolean))
            throw new ActivationFileException(file, "header has no boolean 'fortran_order'");
        Object shapeObj = dict.get("shape");
        if (!(shapeObj instanceof long[] dims))
            throw new ActivationFileException(file, "header has no 'shape' tuple of integers");
        int[] shape = new int[dims.length];
        for (int i = 0; i < dims.length; i++) {
            if (dims[i] < 0)
                throw new ActivationFileException(file, "bad dimension " + dims[i] + " in shape " + Arrays.toString(dims));
            if (dims[i] > MAX_ELEMENTS)
                throw new ActivationFileException(file, "dimension " + dims[i] + " of shape " + Arrays.toString(dims)
                        + " is too large for one Java array (limit " + MAX_ELEMENTS + " values)");
            shape[i] = (int) dims[i];
        }
        long count = saturatedCount(shape);
        if ((Boolean) fortran && dims.length > 1 && count > 1)
            throw new ActivationFileException(file, "Fortran-ordered (column-major) arrays are not supported; save in C order,"
                    + " e.g. np.save(path, np.ascontiguousarray(a))");
        if (oneArray && count > MAX_ELEMENTS)
            throw new ActivationFileException(file, "array of shape " + Arrays.toString(shape)
                    + " is too large for one Java array (limit " + MAX_ELEMENTS + " values); split it into several files");
        long dataStart = headerStart + headerLen;
        long dataBytes = count * dtype.size();
        long found = size - dataStart;
        if (found < dataBytes)
            throw new ActivationFileException(file, "truncated data: shape " + Arrays.toString(shape) + " of " + dtype.descr()
                    + " needs " + dataBytes + " bytes, the file has " + found);
        if (found > dataBytes)
            throw new ActivationFileException(file, (found - dataBytes) + " unexpected bytes after the data of shape "
                    + Arrays.toString(shape) + " " + dtype.descr());
        return new Header(dtype, shape, count, dataStart);
    }

    /** product(shape), saturating at 2^59 (more than any file holds) so that times 8 bytes cannot overflow. */
    static long saturatedCount(int[] shape) {
        for (int s : shape) if (s == 0) return 0;
        long c = 1;
        for (int s : shape) c = c > (1L << 59) / s ? 1L << 59 : c * s;
        return c;
    }

    private static NpyDType dtypeOf(Path file, Object descr) throws ActivationFileException {
        if (!(descr instanceof String d))
            throw new ActivationFileException(file, "structured dtype " + describe(descr) + " is not supported; " + SUPPORTED);
        switch (d) {
            case "<f2": return NpyDType.F16;
            case "<f4": return NpyDType.F32;
            case "<f8": return NpyDType.F64;
            default: break;
        }
        String why;
        if (d.startsWith(">") && d.length() > 1 && d.charAt(1) == 'f') {
            why = "big-endian floats; convert with a.astype('<" + d.substring(1) + "')";
        } else if (d.contains("O")) {
            why = "object arrays (pickled Python objects) cannot be read";
        } else if (d.contains("b") || d.contains("?")) {
            why = "boolean arrays are not activations";
        } else if (d.contains("i") || d.contains("u")) {
            why = "integer arrays are not activations; convert with a.astype(np.float32)";
        } else {
            why = "not a float16/32/64 element type";
        }
        throw new ActivationFileException(file, "unsupported dtype '" + d + "' (" + why + "); " + SUPPORTED);
    }

    private static String describe(Object o) {
        if (o instanceof List<?> l) return "list of " + l.size() + " fields";
        return String.valueOf(o);
    }

    /**
     * Reads exactly {@code buf.remaining()} bytes at {@code position}; a short file is an error naming {@code what}.
     */
    static void readFully(Path file, FileChannel ch, ByteBuffer buf, long position, String what) throws IOException {
        long pos = position;
        while (buf.hasRemaining()) {
            int r = ch.read(buf, pos);
            if (r < 0) throw new ActivationFileException(file, "truncated " + what + ": file ends at byte " + pos);
            pos += r;
        }
    }

    /**
     * Parses the Python literal numpy writes as the header: a dict with string keys whose values are strings,
     * booleans, integers, tuples or lists (structured dtypes). Strict: anything else is an error.
     */
    private static final class HeaderParser {
        private final Path file;
        private final String s;
        private int i;

        HeaderParser(Path file, String s) {
            this.file = file;
            this.s = s;
        }

        Map<String, Object> parseDict() throws ActivationFileException {
            skipWs();
            expect('{');
            Map<String, Object> out = new LinkedHashMap<>();
            while (true) {
                skipWs();
                if (peek() == '}') { i++; break; }
                Object key = value();
                if (!(key instanceof String k)) throw error("dict key is not a string");
                skipWs();
                expect(':');
                Object v = value();
                if (out.put(k, v) != null) throw error("duplicate key '" + k + "'");
                skipWs();
                if (peek() == ',') { i++; continue; }
                skipWs();
                if (peek() == '}') { i++; break; }
                throw error("expected ',' or '}'");
            }
            skipWs();
            if (i != s.length()) throw error("unexpected text after the header dict");
            return out;
        }

        private Object value() throws ActivationFileException {
            skipWs();
            char c = peek();
            if (c == '\'' || c == '"') return string(c);
            if (c == '(' || c == '[') return sequence(c == '(' ? ')' : ']');
            if (s.startsWith("True", i)) { i += 4; return Boolean.TRUE; }
            if (s.startsWith("False", i)) { i += 5; return Boolean.FALSE; }
            if (c == '-' || Character.isDigit(c)) return integer();
            throw error("unexpected character '" + c + "'");
        }

        private String string(char quote) throws ActivationFileException {
            int start = ++i;
            while (i < s.length() && s.charAt(i) != quote) {
                if (s.charAt(i) == '\\') throw error("escaped characters in strings are not supported");
                i++;
            }
            if (i >= s.length()) throw error("unterminated string");
            return s.substring(start, i++);
        }

        private Long integer() throws ActivationFileException {
            int start = i;
            if (peek() == '-') i++;
            while (i < s.length() && Character.isDigit(s.charAt(i))) i++;
            String t = s.substring(start, i);
            if (i < s.length() && s.charAt(i) == 'L') i++; // Python 2 long literal, written by old numpy
            try {
                return Long.parseLong(t);
            } catch (NumberFormatException e) {
                throw error("bad integer '" + t + "'");
            }
        }

        /** A tuple of integers becomes long[] (a shape); anything else a List. */
        private Object sequence(char close) throws ActivationFileException {
            i++;
            List<Object> items = new ArrayList<>();
            while (true) {
                skipWs();
                if (peek() == close) { i++; break; }
                items.add(value());
                skipWs();
                if (peek() == ',') { i++; continue; }
                if (peek() == close) { i++; break; }
                throw error("expected ',' or '" + close + "'");
            }
            if (close == ')' && items.stream().allMatch(o -> o instanceof Long))
                return items.stream().mapToLong(o -> (Long) o).toArray();
            return items;
        }

        private void skipWs() {
            while (i < s.length() && Character.isWhitespace(s.charAt(i))) i++;
        }

        private char peek() throws ActivationFileException {
            if (i >= s.length()) throw error("header ends early");
            return s.charAt(i);
        }

        private void expect(char c) throws ActivationFileException {
            if (peek() != c) throw error("expected '" + c + "'");
            i++;
        }

        private ActivationFileException error(String what) {
            return new ActivationFileException(file, "malformed header (" + what + " at offset " + i + "): " + s.strip());
        }
    }
}
