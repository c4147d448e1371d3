package dev.refusalmonitor.trainer.cli;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import static dev.refusalmonitor.trainer.cli.CliHarness.probeTrainer;
import static dev.refusalmonitor.trainer.cli.CliHarness.usage;
import static org.junit.jupiter.api.Assertions.assertFalse;

/**
 * Bad input to {@code probe-trainer fit}: exit 2, one clear message naming the file (and the row and layer of a
 * non-finite value), and nothing written.
 */
class FitBadInputTest {
    static final int D = 64;

    @TempDir
    static Path dir;
    static Path harmful;
    static Path harmless;

    @BeforeAll
    static void files() throws Exception {
        CliHarness.generate(dir.resolve("g"), 60, 80, D, 3, 3);
        harmful = dir.resolve("g/harmful.npy");
        harmless = dir.resolve("g/harmless.npy");
        CliHarness.numpy(dir, """
                h = np.load(p("g/harmful.npy"))
                s = np.load(p("g/harmless.npy"))
                np.save(p("fortran.npy"), np.asfortranarray(h))
                np.save(p("int32.npy"), h.astype(np.int32))
                np.save(p("bigendian.npy"), h.astype(">f4"))
                np.save(p("complex.npy"), h.astype(np.complex64))
                nan = h.copy(); nan[7, 1, 5] = np.nan
                np.save(p("nan.npy"), nan)
                inf = s.astype(np.float64); inf[3, 0, 60] = -np.inf
                np.save(p("inf.npy"), inf)
                big = s.astype(np.float64); big[4, 2, 0] = 1e300
                np.save(p("overflow.npy"), big)
                np.save(p("empty.npy"), np.zeros((0, 3, 64), dtype=np.float32))
                np.save(p("vector.npy"), h[:, 0, 0])
                np.save(p("d32.npy"), s[:, :, :32])
                np.save(p("two_layers.npy"), s[:, :2, :])
                np.save(p("eight_rows.npy"), h[:8])
                np.save(p("fifteen_rows.npy"), h[:15])
                np.save(p("harmful_copy.npy"), h)
                np.save(p("one_holdout_row.npy"), s[:1])
                """);
    }

    private static CliHarness.Run fit(Object harmfulFile, Object harmlessFile, Object... more) {
        Object[] args = {"fit", "--harmful", harmfulFile, "--harmless", harmlessFile, "--out", dir.resolve("out"), "--quiet"};
        Object[] all = Arrays.copyOf(args, args.length + more.length);
        System.arraycopy(more, 0, all, args.length, more.length);
        return probeTrainer(all);
    }

    private static void assertNothingWritten() {
        assertFalse(Files.exists(dir.resolve("out/directions.pb")), "directions.pb written despite bad input");
    }

    @Test
    void missingFile() {
        Path missing = dir.resolve("no-such.npy");
        usage(fit(harmful, missing), missing, "no such file");
        usage(fit(missing, harmless), missing, "no such file");
        assertNothingWritten();
    }

    @Test
    void malformedNpy() throws Exception {
        Path magic = dir.resolve("not-numpy.npy");
        Files.writeString(magic, "index,value\n0,1.5\n", StandardCharsets.US_ASCII);
        usage(fit(magic, harmless), magic, "not a NumPy .npy file");

        byte[] good = Files.readAllBytes(harmless);
        Path truncated = dir.resolve("truncated.npy");
        Files.write(truncated, Arrays.copyOf(good, good.length - 100));
        usage(fit(harmful, truncated), truncated, "truncated data");

        Path trailing = dir.resolve("trailing.npy");
        Files.write(trailing, Arrays.copyOf(good, good.length + 4));
        usage(fit(harmful, trailing), trailing, "unexpected bytes");

        // A header dict that numpy would never write (unterminated string).
        byte[] header = "{'descr': '<f4, 'fortran_order': False, 'shape': (2, 64), }".getBytes(StandardCharsets.ISO_8859_1);
        byte[] bad = new byte[10 + header.length];
        bad[0] = (byte) 0x93;
        System.arraycopy("NUMPY".getBytes(StandardCharsets.US_ASCII), 0, bad, 1, 5);
        bad[6] = 1;
        bad[8] = (byte) header.length;
        System.arraycopy(header, 0, bad, 10, header.length);
        Path garbled = dir.resolve("garbled-header.npy");
        Files.write(garbled, bad);
        usage(fit(garbled, harmless), garbled, "malformed header");

        Path rank1 = dir.resolve("vector.npy");
        usage(fit(rank1, harmless), rank1, "rank 1", "[n, d]");
        assertNothingWritten();
    }

    @Test
    void outIsAFile() throws Exception {
        Path file = dir.resolve("a-file");
        Files.writeString(file, "not a directory");
        usage(probeTrainer("fit", "--harmful", harmful, "--harmless", harmless, "--out", file, "--quiet"), file,
                "exists and is not a directory");
    }

    @Test
    void fortranOrderedNpy() {
        Path f = dir.resolve("fortran.npy");
        usage(fit(f, harmless), f, "Fortran-ordered", "np.ascontiguousarray");
    }

    @Test
    void unsupportedDtypes() {
        usage(fit(dir.resolve("int32.npy"), harmless), dir.resolve("int32.npy"), "unsupported dtype '<i4'", "float32");
        usage(fit(harmful, dir.resolve("bigendian.npy")), dir.resolve("bigendian.npy"), "unsupported dtype '>f4'",
                "big-endian");
        usage(fit(dir.resolve("complex.npy"), harmless), dir.resolve("complex.npy"), "unsupported dtype '<c8'");
        Path txt = dir.resolve("harmful.csv");
        usage(fit(txt, harmless), txt);
    }

    @Test
    void dimensionMismatchBetweenFiles() {
        Path d32 = dir.resolve("d32.npy");
        usage(fit(harmful, d32), d32, "d = 32", "d = 64", harmful);
        Path twoLayers = dir.resolve("two_layers.npy");
        usage(fit(harmful, twoLayers), twoLayers, "layers [0, 1]", "[0, 1, 2]", harmful);
        // Held-out files must match the training files too.
        usage(fit(harmful, harmless, "--holdout-harmful", harmful, "--holdout-harmless", d32), d32, "d = 32");
        assertNothingWritten();
    }

    @Test
    void nonFiniteRowsNameTheRowAndLayer() {
        Path nan = dir.resolve("nan.npy");
        usage(fit(nan, harmless), nan, "row 7, layer 1", "NaN", "column 5");
        Path inf = dir.resolve("inf.npy");
        usage(fit(harmful, inf), inf, "row 3, layer 0", "Infinity", "column 60");
        // A finite f64 that overflows f32 is not silently turned into infinity.
        Path overflow = dir.resolve("overflow.npy");
        usage(fit(harmful, overflow), overflow, "row 4, layer 2");
        // --layers skips the bad layer: the NaN sits in layer 1 only.
        Path out = dir.resolve("skip-bad-layer");
        CliHarness.ok(probeTrainer("fit", "--harmful", nan, "--harmless", harmless, "--layers", "0,2", "--out", out, "--quiet"));
        assertNothingWritten();
    }

    @Test
    void fewerThanTheMinimumRowsPerClass() {
        Path eight = dir.resolve("eight_rows.npy");
        usage(fit(eight, harmless), eight, "--harmful", "8 row(s)", "10", "--min-per-class");
        Path fifteen = dir.resolve("fifteen_rows.npy");
        usage(fit(harmful, fifteen, "--min-per-class", "20"), fifteen, "--harmless", "15 row(s)", "20");
        Path one = dir.resolve("one_holdout_row.npy");
        usage(fit(harmful, harmless, "--holdout-harmful", harmful, "--holdout-harmless", one), one, "1 row(s)");
        usage(fit(harmful, harmless, "--min-per-class", "2"), "--min-per-class must be >= 4");
        usage(fit(harmful, harmless, "--holdout-fraction", "1.5"), "--holdout-fraction", "1.5");
        assertNothingWritten();
    }

    @Test
    void singleClass() {
        // A zero-row class: there is nothing to contrast the other class with.
        Path empty = dir.resolve("empty.npy");
        usage(fit(harmful, empty), empty, "empty activations", "n = 0");
        // The same file as both classes.
        usage(fit(harmful, harmful), harmful, "both the harmful and the harmless input");
        usage(fit(harmful, dir.resolve("g/../g/harmful.npy")), "both the harmful and the harmless input");
        // Two files with the same rows: the fitter finds no difference between the classes.
        Path copy = dir.resolve("harmful_copy.npy");
        usage(fit(harmful, copy), harmful, copy, "class means are identical");
        assertNothingWritten();
    }
}
