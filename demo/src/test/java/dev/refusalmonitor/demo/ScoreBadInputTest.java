package dev.refusalmonitor.demo;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.SplittableRandom;

import static dev.refusalmonitor.demo.ScoreHarness.monitorService;
import static dev.refusalmonitor.demo.ScoreHarness.ok;
import static dev.refusalmonitor.demo.ScoreHarness.probeTrainer;
import static dev.refusalmonitor.demo.ScoreHarness.usage;
import static org.junit.jupiter.api.Assertions.assertFalse;

/**
 * Bad input to {@code monitor-service score}: a corrupt or missing directions.pb, activations that do not fit the
 * set, and malformed activation files. Exit 2, a message naming the file, and no output file.
 */
class ScoreBadInputTest {
    static final int D = 48;

    @TempDir
    static Path dir;
    static Path harmless;
    /** Fitted on layers 0..2; every layer is in the ensemble, so scoring needs all three. */
    static Path set;
    static byte[] setBytes;

    @BeforeAll
    static void fit() throws Exception {
        ScoreHarness.generate(dir.resolve("g"), 60, 80, D, 3, 5);
        Path harmful = dir.resolve("g/harmful.npy");
        harmless = dir.resolve("g/harmless.npy");
        ok(probeTrainer("fit", "--harmful", harmful, "--harmless", harmless, "--out", dir.resolve("set"), "--quiet"));
        set = dir.resolve("set/directions.pb");
        setBytes = Files.readAllBytes(set);
        ScoreHarness.numpy(dir, """
                s = np.load(p("g/harmless.npy"))
                np.save(p("fortran.npy"), np.asfortranarray(s))
                np.save(p("int64.npy"), s.astype(np.int64))
                nan = s.copy(); nan[9, 2, 47] = np.nan
                np.save(p("nan.npy"), nan)
                inf = s.astype(np.float16); inf[0, 1, 0] = np.inf
                np.save(p("inf_f16.npy"), inf)
                np.save(p("empty.npy"), np.zeros((0, 3, 48), dtype=np.float32))
                np.save(p("d32.npy"), s[:, :, :32])
                np.save(p("layer0.npy"), s[:, 0, :])
                """);
    }

    private static ScoreHarness.Run score(Path directions, Path input, Object... more) {
        Object[] base = {"score", "--directions", directions, "--input", input, "--out", dir.resolve("scores.jsonl")};
        Object[] all = Arrays.copyOf(base, base.length + more.length);
        System.arraycopy(more, 0, all, base.length, more.length);
        return monitorService(all);
    }

    private static void assertNoOutput() {
        assertFalse(Files.exists(dir.resolve("scores.jsonl")), "scores written despite bad input");
    }

    private static Path write(String name, byte[] bytes) throws Exception {
        Path p = dir.resolve(name);
        Files.write(p, bytes);
        return p;
    }

    @Test
    void missingDirections() {
        Path missing = dir.resolve("nowhere/directions.pb");
        usage(score(missing, harmless), missing, "no such file");
        usage(score(dir.resolve("set"), harmless), dir.resolve("set"), "a directory");
        assertNoOutput();
    }

    @Test
    void outInAMissingDirectory() {
        Path out = dir.resolve("no-dir/scores.jsonl");
        usage(monitorService("score", "--directions", set, "--input", harmless, "--out", out), out,
                "no such file or directory");
    }

    @Test
    void truncatedDirections() throws Exception {
        Path half = write("half.pb", Arrays.copyOf(setBytes, setBytes.length / 2));
        usage(score(half, harmless), half, "not a usable direction set", "CORRUPT");
        Path empty = write("empty.pb", new byte[0]);
        usage(score(empty, harmless), empty, "not a usable direction set");
        assertNoOutput();
    }

    @Test
    void flippedByteFailsTheChecksum() throws Exception {
        byte[] flipped = setBytes.clone();
        // The payload is nearly the whole envelope: a byte in the middle is payload, caught by its SHA-256.
        flipped[flipped.length / 2] ^= 0x10;
        Path p = write("flipped.pb", flipped);
        usage(score(p, harmless), p, "CHECKSUM_MISMATCH");
        assertNoOutput();
    }

    @Test
    void randomBytesAndOtherFilesAreNotDirectionSets() throws Exception {
        byte[] noise = new byte[4096];
        new SplittableRandom(1).nextBytes(noise);
        Path p = write("noise.pb", noise);
        usage(score(p, harmless), p, "not a usable direction set");
        // An activation file passed where the set belongs.
        usage(score(harmless, harmless), harmless, "not a usable direction set");
        Path text = write("text.pb", "model: default\n".getBytes(StandardCharsets.UTF_8));
        usage(score(text, harmless), text, "not a usable direction set");
        assertNoOutput();
    }

    @Test
    void inputDimensionDiffersFromTheSet() {
        Path d32 = dir.resolve("d32.npy");
        usage(score(set, d32), d32, "d = 32", set, "d = 48");
        assertNoOutput();
    }

    @Test
    void inputLacksALayerTheSetNeeds() {
        Path layer0 = dir.resolve("layer0.npy");
        usage(score(set, layer0), layer0, "has layers [0]", "needs [0, 1, 2]", "--axis-layers");
        usage(score(set, harmless, "--layers", "0,1"), harmless, "has layers [0, 1]", "needs [0, 1, 2]");
        usage(score(set, harmless, "--layers", "7"), harmless, "no layer 7", "available layers [0, 1, 2]");
        assertNoOutput();
    }

    @Test
    void nonFiniteRowsNameTheRowAndLayer() {
        Path nan = dir.resolve("nan.npy");
        usage(score(set, nan), nan, "row 9, layer 2", "NaN", "column 47");
        Path inf = dir.resolve("inf_f16.npy");
        usage(score(set, inf), inf, "row 0, layer 1", "Infinity");
        assertNoOutput();
    }

    @Test
    void malformedActivationFiles() throws Exception {
        Path fortran = dir.resolve("fortran.npy");
        usage(score(set, fortran), fortran, "Fortran-ordered");
        Path ints = dir.resolve("int64.npy");
        usage(score(set, ints), ints, "unsupported dtype '<i8'");
        Path empty = dir.resolve("empty.npy");
        usage(score(set, empty), empty, "empty activations");
        byte[] good = Files.readAllBytes(harmless);
        Path truncated = write("truncated.npy", Arrays.copyOf(good, good.length - 7));
        usage(score(set, truncated), truncated, "truncated data");
        Path missing = dir.resolve("missing.npy");
        usage(score(set, missing), missing, "no such file");
        assertNoOutput();
    }
}
