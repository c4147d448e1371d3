package dev.refusalmonitor.activations;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads safetensors files (huggingface/safetensors).
 *
 * <p>Format: an 8-byte little-endian unsigned header length N; N bytes of UTF-8 JSON
 * {@code {"name": {"dtype": "F32", "shape": [n, d], "data_offsets": [begin, end]}, ..., "__metadata__": {"k": "v"}}}
 * (optionally padded with spaces); then the byte buffer. Offsets are relative to the start of the buffer, values are
 * little-endian, C order. {@link #open} validates the whole header: JSON syntax, known dtypes, non-negative shapes,
 * {@code end - begin = product(shape) * element size}, offsets inside the buffer, no two tensors overlapping, a
 * string-to-string {@code __metadata__}. Every problem is an {@link ActivationFileException} naming the file and
 * the tensor. Tensor data is read on demand, so a large file is never loaded whole.
 */
public final class SafetensorsReader {
    /** The reference implementation's limit on the header size; larger is taken as a corrupt length. */
    static final long MAX_HEADER_BYTES = 100_000_000L;
    private static final ObjectMapper JSON = new ObjectMapper().enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

    /**
     * One tensor's header entry.
     *
     * @param begin offset of the first byte in the data buffer
     * @param end offset one past the last byte
     */
    public record TensorInfo(String name, SafetensorsDType dtype, int[] shape, long begin, long end) {
        /** product(shape). */
        public long elementCount() {
            return (end - begin) / dtype.size();
        }

        @Override
        public String toString() {
            return name + " " + dtype + Arrays.toString(shape);
        }
    }

    private final Path file;
    private final long dataStart;
    private final Map<String, TensorInfo> tensors;
    private final Map<String, String> metadata;

    private SafetensorsReader(Path file, long dataStart, Map<String, TensorInfo> tensors, Map<String, String> metadata) {
        this.file = file;
        this.dataStart = dataStart;
        this.tensors = tensors;
        this.metadata = metadata;
    }

    /** Reads and validates the header of {@code file}. */
    public static SafetensorsReader open(Path file) throws IOException {
        try (FileChannel ch = NpyReader.open(file)) {
            long size = ch.size();
            if (size < 8) throw new ActivationFileException(file, "truncated safetensors file: " + size + " bytes, no header length");
            ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            NpyReader.readFully(file, ch, lenBuf, 0, "header length");
            long n = lenBuf.getLong(0);
            if (n < 2 || n > MAX_HEADER_BYTES)
                throw new ActivationFileException(file, "not a safetensors file: header length " + Long.toUnsignedString(n)
                        + " is outside 2.." + MAX_HEADER_BYTES);
            if (8 + n > size)
                throw new ActivationFileException(file, "truncated safetensors header: it declares " + n + " bytes, the file has "
                        + (size - 8) + " after the length");
            ByteBuffer hb = ByteBuffer.allocate((int) n);
            NpyReader.readFully(file, ch, hb, 8, "header");
            String text = new String(hb.array(), StandardCharsets.UTF_8);
            if (!text.startsWith("{")) throw new ActivationFileException(file, "not a safetensors file: header is not a JSON object");
            JsonNode root;
            try {
                root = JSON.readTree(text);
            } catch (JsonProcessingException e) {
                throw new ActivationFileException(file, "safetensors header is not valid JSON: " + e.getOriginalMessage());
            }
            if (root == null || !root.isObject())
                throw new ActivationFileException(file, "safetensors header is not a JSON object");
            long bufferLen = size - 8 - n;
            Map<String, String> metadata = Map.of();
            List<TensorInfo> list = new ArrayList<>();
            for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                if (e.getKey().equals("__metadata__")) {
                    metadata = parseMetadata(file, e.getValue());
                } else {
                    list.add(parseTensor(file, e.getKey(), e.getValue(), bufferLen));
                }
            }
            list.sort(Comparator.comparingLong(TensorInfo::begin).thenComparingLong(TensorInfo::end));
            for (int i = 1; i < list.size(); i++) {
                TensorInfo a = list.get(i - 1);
                TensorInfo b = list.get(i);
                if (a.end() > b.begin())
                    throw new ActivationFileException(file, "tensors '" + a.name() + "' [" + a.begin() + ", " + a.end()
                            + ") and '" + b.name() + "' [" + b.begin() + ", " + b.end() + ") overlap in the data buffer");
            }
            Map<String, TensorInfo> byName = new LinkedHashMap<>();
            for (TensorInfo t : list) byName.put(t.name(), t);
            return new SafetensorsReader(file, 8 + n, Collections.unmodifiableMap(byName), metadata);
        }
    }

    private static Map<String, String> parseMetadata(Path file, JsonNode node) throws ActivationFileException {
        if (node.isNull()) return Map.of();
        if (!node.isObject()) throw new ActivationFileException(file, "__metadata__ must be a JSON object of strings");
        Map<String, String> out = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (!e.getValue().isTextual())
                throw new ActivationFileException(file, "__metadata__ value for '" + e.getKey() + "' is not a string");
            out.put(e.getKey(), e.getValue().asText());
        }
        return Collections.unmodifiableMap(out);
    }

    private static TensorInfo parseTensor(Path file, String name, JsonNode node, long bufferLen)
            throws ActivationFileException {
        String where = "tensor '" + name + "': ";
        if (!node.isObject()) throw new ActivationFileException(file, where + "header entry is not a JSON object");
        JsonNode dt = node.get("dtype");
        if (dt == null || !dt.isTextual()) throw new ActivationFileException(file, where + "no \"dtype\" string");
        SafetensorsDType dtype = SafetensorsDType.parse(dt.asText());
        if (dtype == null)
            throw new ActivationFileException(file, where + "unknown dtype \"" + dt.asText() + "\"; known: "
                    + Arrays.toString(SafetensorsDType.values()));
        JsonNode sh = node.get("shape");
        if (sh == null || !sh.isArray()) throw new ActivationFileException(file, where + "no \"shape\" array");
        int[] shape = new int[sh.size()];
        for (int i = 0; i < shape.length; i++) {
            JsonNode v = sh.get(i);
            if (!v.canConvertToLong() || !v.isIntegralNumber() || v.asLong() < 0 || v.asLong() > Integer.MAX_VALUE)
                throw new ActivationFileException(file, where + "bad dimension " + v + " in shape " + sh);
            shape[i] = v.asInt();
        }
        long count = NpyReader.saturatedCount(shape);
        JsonNode off = node.get("data_offsets");
        if (off == null || !off.isArray() || off.size() != 2 || !off.get(0).isIntegralNumber()
                || !off.get(1).isIntegralNumber() || !off.get(0).canConvertToLong() || !off.get(1).canConvertToLong())
            throw new ActivationFileException(file, where + "\"data_offsets\" must be [begin, end] integers");
        long begin = off.get(0).asLong();
        long end = off.get(1).asLong();
        if (begin < 0 || end < begin)
            throw new ActivationFileException(file, where + "bad data_offsets [" + begin + ", " + end + "]");
        if (end > bufferLen)
            throw new ActivationFileException(file, where + "data_offsets [" + begin + ", " + end + "] run past the end of the "
                    + bufferLen + "-byte data buffer (truncated file?)");
        long expected = count * dtype.size();
        if (end - begin != expected)
            throw new ActivationFileException(file, where + "data_offsets [" + begin + ", " + end + "] hold " + (end - begin)
                    + " bytes, but shape " + Arrays.toString(shape) + " of " + dtype + " needs " + expected);
        return new TensorInfo(name, dtype, shape, begin, end);
    }

    /** File offset of the data buffer (8 + header length). */
    long dataStart() {
        return dataStart;
    }

    public Path file() {
        return file;
    }

    /** The {@code __metadata__} map (empty when absent). */
    public Map<String, String> metadata() {
        return metadata;
    }

    /** Tensor names in data-buffer order. */
    public List<String> names() {
        return List.copyOf(tensors.keySet());
    }

    public boolean has(String name) {
        return tensors.containsKey(name);
    }

    /** The header entry of {@code name}; an error listing the tensors present when there is none. */
    public TensorInfo tensor(String name) throws ActivationFileException {
        TensorInfo t = tensors.get(name);
        if (t == null) throw new ActivationFileException(file, "no tensor '" + name + "'; the file has " + tensors.keySet());
        return t;
    }

    /** All values of a F16/BF16/F32/F64 tensor, widened to float, C order. */
    public float[] readFloats(String name) throws IOException {
        TensorInfo t = tensor(name);
        return readFloats(name, 0, checkedCount(t));
    }

    /**
     * {@code count} consecutive values (C order) of a F16/BF16/F32/F64 tensor starting at element {@code first},
     * widened to float: e.g. one position of a [seq, layers, hidden] tensor without reading the rest.
     */
    public float[] readFloats(String name, long first, int count) throws IOException {
        TensorInfo t = tensor(name);
        if (!t.dtype().isFloat())
            throw new ActivationFileException(file, "tensor '" + name + "' has dtype " + t.dtype()
                    + "; activations must be F16, BF16, F32 or F64");
        if (first < 0 || count < 0 || first + count > t.elementCount())
            throw new IndexOutOfBoundsException("elements [" + first + ", " + (first + count) + ") of tensor '" + name
                    + "' with " + t.elementCount());
        float[] out = new float[count];
        try (FileChannel ch = NpyReader.open(file)) {
            FloatDecoding.read(file, ch, dataStart + t.begin() + first * t.dtype().size(), t.dtype(), out, 0, count,
                    "data of tensor '" + name + "'");
        }
        return out;
    }

    /** All values of an I32/I64 tensor (e.g. token ids), C order. */
    public long[] readLongs(String name) throws IOException {
        TensorInfo t = tensor(name);
        if (!t.dtype().isInteger())
            throw new ActivationFileException(file, "tensor '" + name + "' has dtype " + t.dtype() + "; expected I32 or I64");
        int count = checkedCount(t);
        ByteBuffer buf = ByteBuffer.allocate(Math.multiplyExact(count, t.dtype().size())).order(ByteOrder.LITTLE_ENDIAN);
        try (FileChannel ch = NpyReader.open(file)) {
            NpyReader.readFully(file, ch, buf, dataStart + t.begin(), "data of tensor '" + name + "'");
        }
        buf.flip();
        long[] out = new long[count];
        for (int i = 0; i < count; i++) out[i] = t.dtype() == SafetensorsDType.I64 ? buf.getLong() : buf.getInt();
        return out;
    }

    private int checkedCount(TensorInfo t) throws ActivationFileException {
        if (t.elementCount() > NpyReader.MAX_ELEMENTS)
            throw new ActivationFileException(file, "tensor '" + t.name() + "' of shape " + Arrays.toString(t.shape())
                    + " is too large for one Java array (limit " + NpyReader.MAX_ELEMENTS + " values)");
        return (int) t.elementCount();
    }
}
