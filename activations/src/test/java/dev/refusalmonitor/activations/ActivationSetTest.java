package dev.refusalmonitor.activations;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ActivationSetTest {
    @TempDir
    Path dir;

    /** [n, L, d] values v[i][l][j] = 100 i + 10 l + j. */
    private static float[] cube(int n, int layers, int d) {
        float[] v = new float[n * layers * d];
        for (int i = 0; i < n; i++)
            for (int l = 0; l < layers; l++)
                for (int j = 0; j < d; j++) v[(i * layers + l) * d + j] = 100 * i + 10 * l + j;
        return v;
    }

    private static float[] layerOfCube(int n, int d, int l) {
        float[] v = new float[n * d];
        for (int i = 0; i < n; i++) for (int j = 0; j < d; j++) v[i * d + j] = 100 * i + 10 * l + j;
        return v;
    }

    private static void assertMessage(Exception e, String... fragments) {
        for (String f : fragments) assertTrue(e.getMessage().contains(f), "'" + f + "' in: " + e.getMessage());
    }

    @Test
    void npyWithLayerAxisGivesOneArrayPerLayer() throws IOException {
        Path p = dir.resolve("h.npy");
        NpyWriter.write(p, new NpyArray(new int[]{3, 4, 2}, cube(3, 4, 2), NpyDType.F32));
        ActivationSet s = ActivationSet.load(p);
        assertEquals(3, s.n());
        assertEquals(2, s.d());
        assertArrayEquals(new int[]{0, 1, 2, 3}, s.layers());
        for (int l = 0; l < 4; l++) assertArrayEquals(layerOfCube(3, 2, l), s.layer(l), 0f);

        ActivationSet mapped = ActivationSet.load(p, LoadOptions.DEFAULT.withAxisLayers(8, 2, 4, 6).withLayers(6, 2));
        assertArrayEquals(new int[]{2, 6}, mapped.layers());
        assertArrayEquals(layerOfCube(3, 2, 1), mapped.layer(2), 0f);
        assertArrayEquals(layerOfCube(3, 2, 3), mapped.layer(6), 0f);

        assertMessage(assertThrows(ActivationFileException.class,
                () -> ActivationSet.load(p, LoadOptions.DEFAULT.withAxisLayers(1, 2))), "4 entries", "2 layer indices");
        assertMessage(assertThrows(ActivationFileException.class,
                () -> ActivationSet.load(p, LoadOptions.DEFAULT.withLayers(9))), "no layer 9", "[0, 1, 2, 3]");
    }

    @Test
    void npyOfOneLayerIsLayerZeroUnlessTold() throws IOException {
        Path p = dir.resolve("one.npy");
        NpyWriter.write(p, new NpyArray(new int[]{2, 3}, new float[]{1, 2, 3, 4, 5, 6}, NpyDType.F64));
        assertArrayEquals(new int[]{0}, ActivationSet.load(p).layers());
        ActivationSet s = ActivationSet.load(p, LoadOptions.DEFAULT.withAxisLayers(12));
        assertArrayEquals(new int[]{12}, s.layers());
        assertArrayEquals(new float[]{1, 2, 3, 4, 5, 6}, s.layer(12), 0f);
    }

    @Test
    void loadsAnF16FileWrittenByNumpy() throws Exception {
        Numpy.run(dir, """
                n, L, d = 3, 4, 2
                a = np.array([[[100 * i + 10 * l + j for j in range(d)] for l in range(L)] for i in range(n)])
                np.save(path('np16.npy'), a.astype(np.float16))
                """);
        ActivationSet s = ActivationSet.load(dir.resolve("np16.npy"));
        assertArrayEquals(new int[]{0, 1, 2, 3}, s.layers());
        for (int l = 0; l < 4; l++) assertArrayEquals(layerOfCube(3, 2, l), s.layer(l), 0f);
    }

    @Test
    void rejectsOtherRanksEmptyArraysAndNonFiniteValues() throws IOException {
        Path r1 = dir.resolve("r1.npy");
        NpyWriter.write(r1, new NpyArray(new int[]{4}, new float[4], NpyDType.F32));
        assertMessage(assertThrows(ActivationFileException.class, () -> ActivationSet.load(r1)), "r1.npy", "rank 1", "[n, d]");
        Path r4 = dir.resolve("r4.npy");
        NpyWriter.write(r4, new NpyArray(new int[]{1, 1, 2, 2}, new float[4], NpyDType.F32));
        assertMessage(assertThrows(ActivationFileException.class, () -> ActivationSet.load(r4)), "rank 4");
        Path empty = dir.resolve("empty.npy");
        NpyWriter.write(empty, new NpyArray(new int[]{0, 5}, new float[0], NpyDType.F32));
        assertMessage(assertThrows(ActivationFileException.class, () -> ActivationSet.load(empty)), "empty.npy", "empty", "n = 0");

        float[] v = cube(20, 4, 3);
        v[(17 * 4 + 3) * 3 + 1] = Float.NaN;
        Path nan = dir.resolve("nan.npy");
        NpyWriter.write(nan, new NpyArray(new int[]{20, 4, 3}, v, NpyDType.F32));
        ActivationFileException e = assertThrows(ActivationFileException.class, () -> ActivationSet.load(nan));
        assertTrue(e.getMessage().startsWith(nan + ": row 17, layer 3 has a non-finite value"), e.getMessage());
        // A NaN in a layer that is not kept does not matter.
        assertEquals(20, ActivationSet.load(nan, LoadOptions.DEFAULT.withLayers(0, 1)).n());
        v[(17 * 4 + 3) * 3 + 1] = Float.POSITIVE_INFINITY;
        NpyWriter.write(nan, new NpyArray(new int[]{20, 4, 3}, v, NpyDType.F32));
        assertMessage(assertThrows(ActivationFileException.class, () -> ActivationSet.load(nan)), "row 17, layer 3", "Infinity");
        Path txt = Files.writeString(dir.resolve("x.csv"), "1,2");
        assertMessage(assertThrows(ActivationFileException.class, () -> ActivationSet.load(txt)), "unknown activation file type");
    }

    @Test
    void safetensorsLayerNamingConventions() throws IOException {
        String[][] conventions = {{"layer.3", "layer.7"}, {"layers.3", "layers.7"}, {"hidden_states.3", "hidden_states.7"},
                {"3", "7"}};
        for (String[] names : conventions) {
            Path p = dir.resolve("st_" + names[0] + ".safetensors");
            new SafetensorsWriter()
                    .addFloats(names[1], SafetensorsDType.BF16, new int[]{2, 2}, new float[]{1, 2, 3, 4})
                    .addFloats(names[0], SafetensorsDType.F32, new int[]{2, 2}, new float[]{5, 6, 7, 8})
                    .write(p);
            ActivationSet s = ActivationSet.load(p);
            assertArrayEquals(new int[]{3, 7}, s.layers(), names[0]);
            assertArrayEquals(new float[]{5, 6, 7, 8}, s.layer(3), 0f);
            assertArrayEquals(new float[]{1, 2, 3, 4}, s.layer(7), 0f);
        }
        Path stray = dir.resolve("stray.safetensors");
        new SafetensorsWriter().addFloats("layer.1", SafetensorsDType.F32, new int[]{1, 1}, new float[]{1})
                .addFloats("labels", SafetensorsDType.F32, new int[]{1, 1}, new float[]{1}).write(stray);
        assertMessage(assertThrows(ActivationFileException.class, () -> ActivationSet.load(stray)), "'labels'", "layer.{i}");
        Path dup = dir.resolve("dup.safetensors");
        new SafetensorsWriter().addFloats("layer.1", SafetensorsDType.F32, new int[]{1, 1}, new float[]{1})
                .addFloats("1", SafetensorsDType.F32, new int[]{1, 1}, new float[]{1}).write(dup);
        assertMessage(assertThrows(ActivationFileException.class, () -> ActivationSet.load(dup)), "both claim layer 1");
        Path mismatch = dir.resolve("mismatch.safetensors");
        new SafetensorsWriter().addFloats("layer.1", SafetensorsDType.F32, new int[]{1, 2}, new float[]{1, 2})
                .addFloats("layer.2", SafetensorsDType.F32, new int[]{1, 3}, new float[]{1, 2, 3}).write(mismatch);
        assertMessage(assertThrows(ActivationFileException.class, () -> ActivationSet.load(mismatch)), "'layer.2'", "[1, 3]");
        Path nan = dir.resolve("nan.safetensors");
        new SafetensorsWriter().addFloats("layer.4", SafetensorsDType.F16, new int[]{3, 1}, new float[]{1, Float.NaN, 2}).write(nan);
        assertMessage(assertThrows(ActivationFileException.class, () -> ActivationSet.load(nan)), "nan.safetensors",
                "row 1, layer 4 has a non-finite value");
    }

    @Test
    void safetensorsSingleTensorIsReadLikeNpy() throws IOException {
        Path p = dir.resolve("cube.safetensors");
        new SafetensorsWriter().addFloats("acts", SafetensorsDType.F16, new int[]{3, 4, 2}, cube(3, 4, 2)).write(p);
        ActivationSet s = ActivationSet.load(p, LoadOptions.DEFAULT.withAxisLayers(0, 5, 10, 15));
        assertArrayEquals(new int[]{0, 5, 10, 15}, s.layers());
        assertArrayEquals(layerOfCube(3, 2, 2), s.layer(10), 0f);
    }

    private static void vllmFile(Path p, long[] tokens, SafetensorsDType idType, int layers, int hidden, float[] hs)
            throws IOException {
        new SafetensorsWriter()
                .addFloats("hidden_states", SafetensorsDType.BF16, new int[]{tokens.length, layers, hidden}, hs)
                .addLongs("token_ids", idType, new int[]{tokens.length}, tokens)
                .write(p);
    }

    @Test
    void vllmDirectoryPoolsEachFileToOneRowInFileNameOrder() throws IOException {
        Path d = Files.createDirectory(dir.resolve("vllm"));
        // seq 3, 2 layers, hidden 2: position t, layer l.
        vllmFile(d.resolve("b_req.safetensors"), new long[]{151644, 872, 198}, SafetensorsDType.I64, 2, 2,
                new float[]{1, 2, 3, 4, /* t1 */ 3, 4, 5, 6, /* t2 */ 5, 9, 7, 8});
        vllmFile(d.resolve("a_req.safetensors"), new long[]{42}, SafetensorsDType.I32, 2, 2, new float[]{10, 20, 30, 40});
        Files.writeString(d.resolve("b_req.safetensors.lock"), "");
        ActivationSet last = ActivationSet.load(d);
        assertEquals(2, last.n());
        assertArrayEquals(new int[]{0, 1}, last.layers());
        assertArrayEquals(new float[]{10, 20, 5, 9}, last.layer(0), 0f);
        assertArrayEquals(new float[]{30, 40, 7, 8}, last.layer(1), 0f);
        ActivationSet mean = ActivationSet.load(d, LoadOptions.DEFAULT.withPooling(Pooling.MEAN).withAxisLayers(4, 9));
        assertArrayEquals(new int[]{4, 9}, mean.layers());
        assertArrayEquals(new float[]{10, 20, 3, 5}, mean.layer(4), 0f); // (1+3+5)/3, (2+4+9)/3
        assertArrayEquals(new float[]{30, 40, 5, 6}, mean.layer(9), 0f); // (3+5+7)/3, (4+6+8)/3
        ActivationSet single = ActivationSet.load(d.resolve("b_req.safetensors"), LoadOptions.DEFAULT.withPooling(Pooling.MEAN));
        assertEquals(1, single.n());
        assertArrayEquals(new float[]{5, 6}, single.layer(1), 0f);
        ActivationSet listed = ActivationSet.loadVllm(List.of(d.resolve("b_req.safetensors"), d.resolve("a_req.safetensors")),
                LoadOptions.DEFAULT);
        assertArrayEquals(new float[]{5, 9, 10, 20}, listed.layer(0), 0f, "rows follow the list order");
    }

    @Test
    void vllmBadFilesAreNamed() throws IOException {
        Path d = Files.createDirectory(dir.resolve("bad"));
        vllmFile(d.resolve("a.safetensors"), new long[]{1}, SafetensorsDType.I64, 2, 2, new float[]{1, 2, 3, 4});
        vllmFile(d.resolve("b.safetensors"), new long[]{1}, SafetensorsDType.I64, 1, 4, new float[]{1, 2, 3, 4});
        assertMessage(assertThrows(ActivationFileException.class, () -> ActivationSet.load(d)), "b.safetensors",
                "1 layers of size 4", "a.safetensors");
        Files.delete(d.resolve("b.safetensors"));
        new SafetensorsWriter().addFloats("hidden_states", SafetensorsDType.F32, new int[]{0, 2, 2}, new float[0])
                .addLongs("token_ids", SafetensorsDType.I64, new int[]{0}, new long[0]).write(d.resolve("c.safetensors"));
        assertMessage(assertThrows(ActivationFileException.class, () -> ActivationSet.load(d)), "c.safetensors", "no tokens");
        new SafetensorsWriter().addFloats("hidden_states", SafetensorsDType.F32, new int[]{2, 2, 2}, new float[8])
                .addLongs("token_ids", SafetensorsDType.I64, new int[]{3}, new long[3]).write(d.resolve("c.safetensors"));
        assertMessage(assertThrows(ActivationFileException.class, () -> ActivationSet.load(d)), "c.safetensors", "seq = 3");
        vllmFile(d.resolve("c.safetensors"), new long[]{1, 2}, SafetensorsDType.I64, 2, 2,
                new float[]{1, 2, 3, 4, 5, Float.NaN, 7, 8});
        assertMessage(assertThrows(ActivationFileException.class, () -> ActivationSet.load(d)), "c.safetensors",
                "row 1, layer 0 has a non-finite value");
        Path z = Files.createDirectory(dir.resolve("zst"));
        Files.write(z.resolve("r.safetensors.zst"), new byte[]{1});
        assertMessage(assertThrows(ActivationFileException.class, () -> ActivationSet.load(z)), "zstd -d");
    }

    @Test
    void selectAndRequireSameShape() throws IOException {
        ActivationSet a = ActivationSet.of(dir.resolve("harmful.npy"), 2, 2, new int[]{5, 1}, new float[][]{{1, 2, 3, 4}, {5, 6, 7, 8}});
        assertArrayEquals(new int[]{1, 5}, a.layers());
        assertArrayEquals(new float[]{5, 6, 7, 8}, a.layer(1), 0f);
        ActivationSet only5 = a.select(5);
        assertArrayEquals(new int[]{5}, only5.layers());
        assertMessage(assertThrows(ActivationFileException.class, () -> a.select(1, 3)), "harmful.npy", "no layer 3",
                "available layers [1, 5]");
        assertMessage(assertThrows(IllegalArgumentException.class, () -> a.layer(2)), "available layers [1, 5]");

        ActivationSet b = ActivationSet.of(dir.resolve("harmless.npy"), 3, 2, new int[]{1, 5}, new float[][]{new float[6], new float[6]});
        a.requireSameShape(b); // different n is fine
        ActivationSet wide = ActivationSet.of(dir.resolve("wide.npy"), 1, 3, new int[]{1, 5}, new float[][]{new float[3], new float[3]});
        assertMessage(assertThrows(ActivationFileException.class, () -> a.requireSameShape(wide)), "wide.npy", "d = 3",
                "d = 2", "harmful.npy");
        assertMessage(assertThrows(ActivationFileException.class, () -> a.requireSameShape(b.select(1))), "layers [1]", "[1, 5]");
        assertMessage(assertThrows(IllegalArgumentException.class, () -> ActivationSet.of(dir.resolve("m.npy"), 1, 2,
                new int[]{0}, new float[][]{{1, Float.NaN}})), "row 0, layer 0 has a non-finite value");
    }

    @Test
    void writerOutputLoadsBackAndNumpyAgrees() throws Exception {
        ActivationSet s = ActivationSet.of(dir.resolve("mem"), 3, 2, new int[]{0, 1, 2},
                new float[][]{layerOfCube(3, 2, 0), layerOfCube(3, 2, 1), layerOfCube(3, 2, 2)});
        Path npy = dir.resolve("out.npy");
        ActivationSetWriter.writeNpy(npy, s, NpyDType.F16);
        ActivationSet back = ActivationSet.load(npy);
        for (int l = 0; l < 3; l++) assertArrayEquals(s.layer(l), back.layer(l), 0f);
        Path st = dir.resolve("out.safetensors");
        ActivationSetWriter.writeSafetensors(st, s.select(0, 2), SafetensorsDType.F32);
        ActivationSet backSt = ActivationSet.load(st);
        assertArrayEquals(new int[]{0, 2}, backSt.layers());
        assertArrayEquals(s.layer(2), backSt.layer(2), 0f);
        Numpy.run(dir, """
                a = np.load(path('out.npy'))
                assert a.dtype == np.float16 and a.shape == (3, 3, 2), (a.dtype, a.shape)
                expected = np.array([[[100 * i + 10 * l + j for j in range(2)] for l in range(3)] for i in range(3)])
                assert np.array_equal(a.astype(np.float64), expected)
                """);
    }
}
