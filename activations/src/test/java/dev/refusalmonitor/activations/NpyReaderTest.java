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
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class NpyReaderTest {
    @TempDir
    Path dir;

    /** The values numpy scripts below write: np.arange(24).reshape(2, 3, 4) * 0.5 - 3 (exact in f16). */
    private static float[] arange24() {
        float[] v = new float[24];
        for (int i = 0; i < 24; i++) v[i] = i * 0.5f - 3;
        return v;
    }

    /** A .npy file built byte by byte: magic, version, header length, header text, data. */
    private static byte[] npy(int major, int minor, String header, byte[] data) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(new byte[]{(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', (byte) major, (byte) minor});
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer len = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(h.length);
        out.write(len.array(), 0, major == 1 ? 2 : 4);
        out.writeBytes(h);
        out.writeBytes(data);
        return out.toByteArray();
    }

    private static byte[] f32(float... v) {
        ByteBuffer b = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float x : v) b.putFloat(x);
        return b.array();
    }

    private Path write(String name, byte[] bytes) throws IOException {
        return Files.write(dir.resolve(name), bytes);
    }

    private ActivationFileException rejects(Path file, String... fragments) {
        ActivationFileException e = assertThrows(ActivationFileException.class, () -> NpyReader.read(file));
        assertEquals(file, e.file());
        assertTrue(e.getMessage().startsWith(file.toString() + ": "), e.getMessage());
        for (String f : fragments) assertTrue(e.getMessage().contains(f), "'" + f + "' in: " + e.getMessage());
        return e;
    }

    @Test
    void writerOutputReadsBackInEveryDtype() throws IOException {
        float[] v = arange24();
        for (NpyDType t : NpyDType.values()) {
            Path p = dir.resolve("a_" + t + ".npy");
            NpyWriter.write(p, new NpyArray(new int[]{2, 3, 4}, v, t));
            NpyArray a = NpyReader.read(p);
            assertArrayEquals(new int[]{2, 3, 4}, a.shape());
            assertEquals(t, a.dtype());
            assertArrayEquals(v, a.data(), 0f);
            assertEquals(0, dataOffset(p) % 64, "data aligned to 64 bytes as numpy does");
        }
    }

    private static long dataOffset(Path p) throws IOException {
        byte[] b = Files.readAllBytes(p);
        return 10 + ((b[8] & 0xff) | (b[9] & 0xff) << 8);
    }

    @Test
    void readsFilesWrittenByNumpyInEveryDtypeAndFormatVersion() throws Exception {
        Numpy.run(dir, """
                a = np.arange(24).reshape(2, 3, 4) * 0.5 - 3
                for t in ['f2', 'f4', 'f8']:
                    np.save(path('np_' + t + '.npy'), a.astype('<' + t))
                for v in [(1, 0), (2, 0), (3, 0)]:
                    with open(path('v%d.npy' % v[0]), 'wb') as f:
                        np.lib.format.write_array(f, a.astype('<f4'), version=v)
                np.save(path('scalar_shape.npy'), np.float32(2.5))
                np.save(path('empty.npy'), np.zeros((0, 5), dtype=np.float32))
                """);
        float[] expected = arange24();
        for (String name : new String[]{"np_f2", "np_f4", "np_f8", "v1", "v2", "v3"}) {
            NpyArray a = NpyReader.read(dir.resolve(name + ".npy"));
            assertArrayEquals(new int[]{2, 3, 4}, a.shape(), name);
            assertArrayEquals(expected, a.data(), 0f, name);
        }
        assertEquals(NpyDType.F16, NpyReader.read(dir.resolve("np_f2.npy")).dtype());
        NpyArray scalar = NpyReader.read(dir.resolve("scalar_shape.npy"));
        assertEquals(0, scalar.rank());
        assertArrayEquals(new float[]{2.5f}, scalar.data());
        assertArrayEquals(new int[]{0, 5}, NpyReader.read(dir.resolve("empty.npy")).shape());
    }

    @Test
    void numpyReadsWhatTheWriterWrites() throws Exception {
        float[] v = arange24();
        for (NpyDType t : NpyDType.values()) NpyWriter.write(dir.resolve("j_" + t + ".npy"), new NpyArray(new int[]{2, 3, 4}, v, t));
        NpyWriter.write(dir.resolve("j_1d.npy"), new NpyArray(new int[]{3}, new float[]{1, 2, 3}, NpyDType.F32));
        Numpy.run(dir, """
                expected = np.arange(24).reshape(2, 3, 4) * 0.5 - 3
                for t, dt in [('F16', '<f2'), ('F32', '<f4'), ('F64', '<f8')]:
                    a = np.load(path('j_' + t + '.npy'))
                    assert a.dtype == np.dtype(dt), (t, a.dtype)
                    assert a.shape == (2, 3, 4), a.shape
                    assert np.array_equal(a, expected), t
                b = np.load(path('j_1d.npy'))
                assert b.shape == (3,) and list(b) == [1, 2, 3], b
                """);
    }

    @Test
    void rejectsFortranOrderWithTheFixInTheMessage() throws Exception {
        Numpy.run(dir, "np.save(path('fortran.npy'), np.asfortranarray(np.ones((3, 4), dtype=np.float32)))");
        rejects(dir.resolve("fortran.npy"), "Fortran", "C order", "np.ascontiguousarray");
    }

    @Test
    void rejectsUnsupportedDtypesSayingWhatIsSupported() throws Exception {
        Numpy.run(dir, """
                np.save(path('big.npy'), np.ones((2, 3), dtype='>f4'))
                np.save(path('int.npy'), np.ones((2, 3), dtype='<i4'))
                np.save(path('bool.npy'), np.ones((2, 3), dtype=bool))
                np.save(path('obj.npy'), np.array([{'a': 1}, None], dtype=object), allow_pickle=True)
                np.save(path('rec.npy'), np.zeros(2, dtype=[('x', '<f4'), ('y', '<f4')]))
                np.save(path('c64.npy'), np.zeros(2, dtype=np.complex64))
                """);
        rejects(dir.resolve("big.npy"), "'>f4'", "big-endian", "astype('<f4')", "'<f2', '<f4', '<f8'");
        rejects(dir.resolve("int.npy"), "'<i4'", "integer", "'<f2', '<f4', '<f8'");
        rejects(dir.resolve("bool.npy"), "'|b1'", "boolean");
        rejects(dir.resolve("obj.npy"), "'|O'", "object arrays");
        rejects(dir.resolve("rec.npy"), "structured dtype", "supported");
        rejects(dir.resolve("c64.npy"), "'<c8'", "supported");
    }

    @Test
    void rejectsBadMagicAndUnsupportedVersions() throws IOException {
        rejects(write("empty.npy", new byte[0]), "bad magic");
        rejects(write("text.npy", "hello world, not numpy".getBytes(StandardCharsets.US_ASCII)), "bad magic");
        String h = "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }\n";
        rejects(write("v4.npy", npy(4, 0, h, f32(1, 2))), "version 4.0", "1.0, 2.0, 3.0");
        rejects(write("v11.npy", npy(1, 1, h, f32(1, 2))), "version 1.1");
        // Sanity: the same bytes with a supported version read fine, in all three versions.
        for (int v = 1; v <= 3; v++)
            assertArrayEquals(new float[]{1, 2}, NpyReader.read(write("ok" + v + ".npy", npy(v, 0, h, f32(1, 2)))).data());
    }

    @Test
    void rejectsTruncatedHeadersAndData() throws IOException {
        String h = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }\n";
        byte[] good = npy(1, 0, h, f32(1, 2, 3, 4, 5, 6));
        assertEquals(6, NpyReader.read(write("good.npy", good)).data().length);
        rejects(write("magic_only.npy", Arrays.copyOf(good, 6)), "truncated header");
        rejects(write("no_length.npy", Arrays.copyOf(good, 9)), "truncated header");
        rejects(write("v2_no_length.npy", Arrays.copyOf(npy(2, 0, h, new byte[0]), 11)), "truncated header");
        rejects(write("half_header.npy", Arrays.copyOf(good, 30)), "truncated header");
        rejects(write("short_data.npy", Arrays.copyOf(good, good.length - 3)), "truncated data", "needs 24 bytes", "has 21");
        rejects(write("no_data.npy", npy(1, 0, h, new byte[0])), "truncated data");
        byte[] longer = Arrays.copyOf(good, good.length + 4);
        rejects(write("trailing.npy", longer), "4 unexpected bytes after the data");
    }

    @Test
    void rejectsMalformedHeaders() throws IOException {
        rejects(write("nodescr.npy", npy(1, 0, "{'fortran_order': False, 'shape': (2,), }\n", f32(1, 2))), "no 'descr'");
        rejects(write("noshape.npy", npy(1, 0, "{'descr': '<f4', 'fortran_order': False, }\n", f32(1, 2))), "no 'shape'");
        rejects(write("nofo.npy", npy(1, 0, "{'descr': '<f4', 'shape': (2,), }\n", f32(1, 2))), "fortran_order");
        rejects(write("garbage.npy", npy(1, 0, "{'descr': '<f4', 'fortran_order': Maybe, 'shape': (2,), }\n",
                f32(1, 2))), "malformed header");
        rejects(write("negative.npy", npy(1, 0, "{'descr': '<f4', 'fortran_order': False, 'shape': (-2,), }\n",
                f32(1, 2))), "bad dimension -2");
        rejects(write("dup.npy", npy(1, 0, "{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (2,), }\n",
                f32(1, 2))), "duplicate key");
        rejects(write("notdict.npy", npy(1, 0, "['<f4', (2,)]\n", f32(1, 2))), "malformed header");
    }

    @Test
    void rejectsArraysTooLargeForOneJavaArray() throws IOException {
        // 3 * 10^9 values declared; the check fires from the header alone, before any data is needed.
        Path p = write("huge.npy", npy(1, 0, "{'descr': '<f2', 'fortran_order': False, 'shape': (3000000000,), }\n",
                new byte[0]));
        rejects(p, "too large for one Java array");
        Path q = write("huge3.npy", npy(1, 0,
                "{'descr': '<f8', 'fortran_order': False, 'shape': (100000, 100000, 100000), }\n", new byte[0]));
        rejects(q, "too large for one Java array");
    }

    @Test
    void missingFileIsNamed() {
        rejects(dir.resolve("nope.npy"), "no such file");
    }
}
