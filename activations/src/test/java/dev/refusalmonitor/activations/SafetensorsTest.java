package dev.refusalmonitor.activations;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SafetensorsTest {
    @TempDir
    Path dir;

    /** A safetensors file built byte by byte from a header text and a data buffer. */
    private Path raw(String name, String header, int dataBytes) throws IOException {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(h.length).array());
        out.writeBytes(h);
        out.writeBytes(new byte[dataBytes]);
        return Files.write(dir.resolve(name), out.toByteArray());
    }

    private static void rejects(Path file, String... fragments) {
        ActivationFileException e = assertThrows(ActivationFileException.class, () -> SafetensorsReader.open(file));
        assertEquals(file, e.file());
        for (String f : fragments) assertTrue(e.getMessage().contains(f), "'" + f + "' in: " + e.getMessage());
    }

    @Test
    void writtenTensorsReadBackInEveryDtypeWithMetadata() throws IOException {
        float[] v = {1.5f, -2.25f, 0f, 1024f, -0.5f, 3f};
        Path p = dir.resolve("all.safetensors");
        new SafetensorsWriter()
                .metadata("format", "pt")
                .addFloats("f32", SafetensorsDType.F32, new int[]{2, 3}, v)
                .addFloats("f16", SafetensorsDType.F16, new int[]{2, 3}, v)
                .addFloats("bf16", SafetensorsDType.BF16, new int[]{6}, v)
                .addFloats("f64", SafetensorsDType.F64, new int[]{3, 2}, v)
                .addLongs("i64", SafetensorsDType.I64, new int[]{3}, new long[]{1L << 40, -7, 0})
                .addLongs("i32", SafetensorsDType.I32, new int[]{2}, new long[]{-3, 151643})
                .write(p);
        SafetensorsReader r = SafetensorsReader.open(p);
        assertEquals(Map.of("format", "pt"), r.metadata());
        assertEquals(List.of("f32", "f16", "bf16", "f64", "i64", "i32"), r.names());
        for (String name : List.of("f32", "f16", "bf16", "f64")) assertArrayEquals(v, r.readFloats(name), 0f, name);
        assertArrayEquals(new long[]{1L << 40, -7, 0}, r.readLongs("i64"));
        assertArrayEquals(new long[]{-3, 151643}, r.readLongs("i32"));
        assertArrayEquals(new int[]{3, 2}, r.tensor("f64").shape());
        assertArrayEquals(new float[]{0f, 1024f, -0.5f}, r.readFloats("f32", 2, 3), 0f);
        long headerLen = ByteBuffer.wrap(Files.readAllBytes(p), 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        assertEquals(0, headerLen % 8, "header padded to 8 bytes like the reference writer");
    }

    @Test
    void readsAByteExactHandBuiltFile() throws IOException {
        String header = "{\"x\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[0,4]},\"__metadata__\":{\"k\":\"v\"}}";
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + 4).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(h.length).put(h).putShort((short) 0x3c00).putShort((short) 0xc000); // 1.0, -2.0
        Path p = Files.write(dir.resolve("hand.safetensors"), b.array());
        SafetensorsReader r = SafetensorsReader.open(p);
        assertArrayEquals(new float[]{1f, -2f}, r.readFloats("x"), 0f);
        assertEquals("v", r.metadata().get("k"));
    }

    @Test
    void rejectsOverlappingOffsetsNamingBothTensors() throws IOException {
        rejects(raw("overlap.safetensors", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12), "'a'", "'b'", "overlap");
    }

    @Test
    void rejectsOffsetsPastTheBufferAndWrongLengths() throws IOException {
        rejects(raw("past.safetensors", "{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", 8),
                "tensor 'a'", "run past the end", "truncated");
        rejects(raw("len.safetensors", "{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 8),
                "tensor 'a'", "hold 8 bytes", "needs 12");
        rejects(raw("backwards.safetensors", "{\"a\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[8,4]}}", 8),
                "tensor 'a'", "bad data_offsets");
    }

    @Test
    void rejectsBadHeaders() throws IOException {
        rejects(raw("dtype.safetensors", "{\"a\":{\"dtype\":\"F128\",\"shape\":[1],\"data_offsets\":[0,16]}}", 16),
                "tensor 'a'", "unknown dtype \"F128\"");
        rejects(raw("shape.safetensors", "{\"a\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", 4),
                "tensor 'a'", "bad dimension");
        rejects(raw("noshape.safetensors", "{\"a\":{\"dtype\":\"F32\",\"data_offsets\":[0,4]}}", 4), "no \"shape\"");
        rejects(raw("offs.safetensors", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0]}}", 4),
                "data_offsets");
        rejects(raw("json.safetensors", "{\"a\": {\"dtype\": ", 0), "not valid JSON");
        rejects(raw("array.safetensors", "[1, 2]", 0), "not a JSON object");
        rejects(raw("dup.safetensors", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                + "\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8), "not valid JSON", "Duplicate");
        rejects(raw("meta.safetensors", "{\"__metadata__\":{\"n\":3}}", 0), "__metadata__", "not a string");
        rejects(Files.write(dir.resolve("short.safetensors"), new byte[]{1, 2, 3}), "truncated", "no header length");
        byte[] huge = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(1L << 40).array();
        rejects(Files.write(dir.resolve("huge.safetensors"), huge), "header length");
        byte[] cut = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(100).array();
        rejects(Files.write(dir.resolve("cut.safetensors"), cut), "truncated safetensors header");
    }

    @Test
    void readingTheWrongKindOfTensorNamesIt() throws IOException {
        Path p = dir.resolve("kinds.safetensors");
        new SafetensorsWriter()
                .addLongs("ids", SafetensorsDType.I64, new int[]{2}, new long[]{1, 2})
                .addFloats("x", SafetensorsDType.F32, new int[]{1}, new float[]{1})
                .write(p);
        SafetensorsReader r = SafetensorsReader.open(p);
        ActivationFileException e = assertThrows(ActivationFileException.class, () -> r.readFloats("ids"));
        assertTrue(e.getMessage().contains("'ids'") && e.getMessage().contains("I64"), e.getMessage());
        e = assertThrows(ActivationFileException.class, () -> r.readLongs("x"));
        assertTrue(e.getMessage().contains("'x'") && e.getMessage().contains("F32"), e.getMessage());
        e = assertThrows(ActivationFileException.class, () -> r.tensor("y"));
        assertTrue(e.getMessage().contains("no tensor 'y'") && e.getMessage().contains("[ids, x]"), e.getMessage());
        raw("u8.safetensors", "{\"m\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[0,2]}}", 2);
        SafetensorsReader u8 = SafetensorsReader.open(dir.resolve("u8.safetensors"));
        e = assertThrows(ActivationFileException.class, () -> u8.readFloats("m"));
        assertTrue(e.getMessage().contains("U8"), e.getMessage());
    }

    @Test
    void writerRejectsBadInput() {
        SafetensorsWriter w = new SafetensorsWriter().addFloats("a", SafetensorsDType.F32, new int[]{1}, new float[]{1});
        assertThrows(IllegalArgumentException.class, () -> w.addFloats("a", SafetensorsDType.F32, new int[]{1}, new float[]{1}));
        assertThrows(IllegalArgumentException.class, () -> w.addFloats("b", SafetensorsDType.F32, new int[]{2}, new float[]{1}));
        assertThrows(IllegalArgumentException.class, () -> w.addFloats("c", SafetensorsDType.I32, new int[]{1}, new float[]{1}));
        assertThrows(IllegalArgumentException.class, () -> w.addLongs("d", SafetensorsDType.I32, new int[]{1}, new long[]{1L << 33}));
        assertThrows(IllegalArgumentException.class, () -> w.addFloats("__metadata__", SafetensorsDType.F32, new int[]{1}, new float[]{1}));
    }
}
