package dev.refusalmonitor.activations;

import dev.refusalmonitor.contract.HalfFloats;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Builds a safetensors file (format in {@link SafetensorsReader}): add tensors and metadata, then {@link #write}.
 * Tensors are laid out contiguously in the order added; the JSON header is padded with spaces to a multiple of 8
 * bytes, as the reference implementation does. Floats narrow to F16/BF16 by round-to-nearest-even. The arrays given
 * are kept (not copied) until {@link #write}.
 */
public final class SafetensorsWriter {
    private record Entry(String name, SafetensorsDType dtype, int[] shape, float[] floats, long[] longs) {
    }

    private final List<Entry> entries = new ArrayList<>();
    private final Map<String, String> metadata = new LinkedHashMap<>();

    /** Adds a {@code __metadata__} entry. */
    public SafetensorsWriter metadata(String key, String value) {
        metadata.put(Objects.requireNonNull(key), Objects.requireNonNull(value));
        return this;
    }

    /** Adds a floating tensor (dtype F16, BF16, F32 or F64); {@code data} is C order, length product(shape). */
    public SafetensorsWriter addFloats(String name, SafetensorsDType dtype, int[] shape, float[] data) {
        if (!dtype.isFloat()) throw new IllegalArgumentException("addFloats needs F16, BF16, F32 or F64, not " + dtype);
        add(new Entry(name, dtype, shape.clone(), data, null), data.length);
        return this;
    }

    /** Adds an integer tensor (dtype I32 or I64); values must fit the dtype. */
    public SafetensorsWriter addLongs(String name, SafetensorsDType dtype, int[] shape, long[] data) {
        if (!dtype.isInteger()) throw new IllegalArgumentException("addLongs needs I32 or I64, not " + dtype);
        if (dtype == SafetensorsDType.I32)
            for (long v : data)
                if (v != (int) v) throw new IllegalArgumentException("value " + v + " of tensor '" + name + "' does not fit I32");
        add(new Entry(name, dtype, shape.clone(), null, data), data.length);
        return this;
    }

    private void add(Entry e, int length) {
        if (e.name().equals("__metadata__")) throw new IllegalArgumentException("'__metadata__' is reserved");
        for (Entry x : entries)
            if (x.name().equals(e.name())) throw new IllegalArgumentException("duplicate tensor '" + e.name() + "'");
        long count = NpyArray.elementCount(e.shape());
        if (count != length)
            throw new IllegalArgumentException("tensor '" + e.name() + "': shape " + Arrays.toString(e.shape()) + " needs "
                    + count + " values, got " + length);
        entries.add(e);
    }

    /** Writes the file (replacing an existing one). */
    public void write(Path file) throws IOException {
        ObjectMapper json = new ObjectMapper();
        ObjectNode root = json.createObjectNode();
        if (!metadata.isEmpty()) {
            ObjectNode m = root.putObject("__metadata__");
            metadata.forEach(m::put);
        }
        long offset = 0;
        for (Entry e : entries) {
            ObjectNode t = root.putObject(e.name());
            t.put("dtype", e.dtype().name());
            ArrayNode shape = t.putArray("shape");
            for (int s : e.shape()) shape.add(s);
            long len = NpyArray.elementCount(e.shape()) * e.dtype().size();
            t.putArray("data_offsets").add(offset).add(offset + len);
            offset += len;
        }
        byte[] header = json.writeValueAsBytes(root);
        int padded = (header.length + 7) / 8 * 8;
        byte[] full = Arrays.copyOf(header, padded);
        Arrays.fill(full, header.length, padded, (byte) ' ');
        try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(file), 1 << 20)) {
            out.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(padded).array());
            out.write(full);
            ByteBuffer buf = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
            for (Entry e : entries) {
                if (e.floats() != null) {
                    for (float v : e.floats()) {
                        if (buf.remaining() < 8) flush(out, buf);
                        switch (e.dtype()) {
                            case F16 -> buf.putShort(HalfFloats.floatToF16(v));
                            case BF16 -> buf.putShort(HalfFloats.floatToBf16(v));
                            case F32 -> buf.putFloat(v);
                            case F64 -> buf.putDouble(v);
                            default -> throw new IllegalStateException(e.dtype().toString());
                        }
                    }
                } else {
                    for (long v : e.longs()) {
                        if (buf.remaining() < 8) flush(out, buf);
                        if (e.dtype() == SafetensorsDType.I64) buf.putLong(v);
                        else buf.putInt((int) v);
                    }
                }
            }
            flush(out, buf);
        }
    }

    private static void flush(OutputStream out, ByteBuffer buf) throws IOException {
        out.write(buf.array(), 0, buf.position());
        buf.clear();
    }
}
