package dev.refusalmonitor.demo;

import dev.refusalmonitor.monitor.cli.MonitorServiceCli;

import dev.refusalmonitor.math.testing.PythonOracle;
import dev.refusalmonitor.cli.ExitCodes;
import dev.refusalmonitor.trainer.cli.ProbeTrainerCli;
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

/** Runs the real {@code monitor-service} and {@code probe-trainer} command lines with captured output. */
final class ScoreHarness {
    private ScoreHarness() {
    }

    /** One finished command: exit code and what it wrote. */
    record Run(int code, String out, String err) {
        @Override
        public String toString() {
            return "exit " + code + "\n--- stdout ---\n" + out + "--- stderr ---\n" + err;
        }
    }

    static Run monitorService(Object... args) {
        return run(MonitorServiceCli::commandLine, args);
    }

    static Run probeTrainer(Object... args) {
        return run(ProbeTrainerCli::commandLine, args);
    }

    private static Run run(BiFunction<PrintWriter, PrintWriter, CommandLine> factory, Object... args) {
        CliRun r = CliRun.run(factory, args);
        return new Run(r.code(), r.out(), r.err());
    }

    static Run ok(Run r) {
        assertEquals(ExitCodes.OK, r.code(), r::toString);
        return r;
    }

    /** Asserts exit code 2 and that stderr holds every fragment. */
    static Run usage(Run r, Object... fragments) {
        assertEquals(ExitCodes.USAGE, r.code(), r::toString);
        for (Object f : fragments)
            assertTrue(r.err().contains(String.valueOf(f)), () -> "stderr lacks '" + f + "':\n" + r);
        return r;
    }

    /** Planted-truth harmful.npy / harmless.npy ([n, L, d] f32) in {@code dir}. */
    static void generate(Path dir, int nHarmful, int nHarmless, int d, int layers, long seed) {
        ok(probeTrainer("generate", "--out", dir, "--harmful", nHarmful, "--harmless", nHarmless, "--d", d,
                "--layers", layers, "--seed", seed));
    }

    /** Runs a numpy script in /usr/bin/python3 with {@code p(name)} = a path in {@code dir}; fails if numpy is missing. */
    static void numpy(Path dir, String script) throws IOException, InterruptedException {
        new PythonOracle(dir).run("""
                def p(name):
                    return os.path.join(WORK, name)
                """ + script);
    }
}
