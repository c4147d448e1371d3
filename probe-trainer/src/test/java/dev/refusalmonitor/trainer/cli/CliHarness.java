package dev.refusalmonitor.trainer.cli;

import dev.refusalmonitor.cli.ExitCodes;

import dev.refusalmonitor.activations.ActivationSet;
import dev.refusalmonitor.activations.NpyArray;
import dev.refusalmonitor.activations.NpyDType;
import dev.refusalmonitor.activations.NpyWriter;
import dev.refusalmonitor.math.testing.PythonOracle;
import dev.refusalmonitor.cli.testing.CliRun;
import picocli.CommandLine;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.function.BiFunction;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Runs the real command lines with captured output, and writes small activation files for them. */
final class CliHarness {
    private CliHarness() {
    }

    /** One finished command: exit code and what it wrote. */
    record Run(int code, String out, String err) {
        @Override
        public String toString() {
            return "exit " + code + "\n--- stdout ---\n" + out + "--- stderr ---\n" + err;
        }
    }

    /** Runs {@code probe-trainer} with {@code args} (Paths and numbers are turned into strings). */
    static Run probeTrainer(Object... args) {
        return run(ProbeTrainerCli::commandLine, args);
    }

    static Run run(BiFunction<PrintWriter, PrintWriter, CommandLine> factory, Object... args) {
        CliRun r = CliRun.run(factory, args);
        return new Run(r.code(), r.out(), r.err());
    }

    /** Asserts success. */
    static Run ok(Run r) {
        assertEquals(ExitCodes.OK, r.code(), r::toString);
        return r;
    }

    /** Asserts exit code 2 and that stderr holds every fragment (file names, rows, layers). */
    static Run usage(Run r, Object... fragments) {
        assertEquals(ExitCodes.USAGE, r.code(), r::toString);
        for (Object f : fragments)
            assertTrue(r.err().contains(String.valueOf(f)), () -> "stderr lacks '" + f + "':\n" + r);
        return r;
    }

    /** {@code probe-trainer generate}: planted-truth harmful.npy / harmless.npy ([n, L, d] f32) in {@code dir}. */
    static void generate(Path dir, int nHarmful, int nHarmless, int d, int layers, long seed) {
        ok(probeTrainer("generate", "--out", dir, "--harmful", nHarmful, "--harmless", nHarmless, "--d", d,
                "--layers", layers, "--seed", seed));
    }

    /** Writes one layer of {@code set} as an [n, d] f32 .npy. */
    static void writeLayer(Path file, ActivationSet set, int layer) throws IOException {
        NpyWriter.write(file, new NpyArray(new int[]{set.n(), set.d()}, set.layer(layer), NpyDType.F32));
    }

    /** Rows [from, to) of every layer of {@code set}, as a new in-memory set. */
    static ActivationSet rows(ActivationSet set, int from, int to) {
        int[] layers = set.layers();
        int d = set.d();
        float[][] data = new float[layers.length][];
        for (int k = 0; k < layers.length; k++) data[k] = Arrays.copyOfRange(set.layer(layers[k]), from * d, to * d);
        return ActivationSet.of(set.source(), to - from, d, layers, data);
    }

    /**
     * Runs a numpy script in Debian's /usr/bin/python3 (numpy writes the files real users have); {@code WORK} is
     * {@code dir}. A missing interpreter or numpy fails the test with what to install.
     */
    static void numpy(Path dir, String script) throws IOException, InterruptedException {
        new PythonOracle(dir).run("""
                def p(name):
                    return os.path.join(WORK, name)
                """ + script);
    }
}
