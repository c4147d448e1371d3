package dev.refusalmonitor.math.testing;

import dev.refusalmonitor.activations.NpyArray;
import dev.refusalmonitor.activations.NpyReader;
import dev.refusalmonitor.activations.NpyWriter;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * Runs a numpy/scikit-learn reference computation in Debian's {@code /usr/bin/python3} (never used by the product).
 *
 * <p>Inputs go in as {@code .npy} files in a work directory; the script (given as text) reads them with
 * {@code np.load(os.path.join(WORK, name + '.npy'))} where {@code WORK = sys.argv[1]}, and writes outputs the same way
 * with {@code np.save}. When the interpreter or a library is missing, the calling test FAILS with a message saying
 * what to install; it never passes silently.
 */
public final class PythonOracle {
    public static final String PYTHON = System.getProperty("oracle.python", "/usr/bin/python3");
    private static final String INSTALL_HINT =
            "the numpy/scikit-learn oracle needs Debian's python3-numpy and python3-sklearn for " + PYTHON
                    + ": run `apt-get install -y python3-numpy python3-sklearn` (.ci/run does this)";

    private final Path work;
    private final Map<String, Path> inputs = new LinkedHashMap<>();

    public PythonOracle(Path work) {
        this.work = work;
    }

    /** Adds an f32 input array. */
    public PythonOracle input(String name, int[] shape, float[] data) throws IOException {
        Path p = work.resolve(name + ".npy");
        NpyWriter.write(p, new NpyArray(shape, data, dev.refusalmonitor.activations.NpyDType.F32));
        inputs.put(name, p);
        return this;
    }

    /** Adds an f64 input array. */
    public PythonOracle input(String name, int[] shape, double[] data) throws IOException {
        Path p = work.resolve(name + ".npy");
        NpyWriter.writeF64(p, shape, data);
        inputs.put(name, p);
        return this;
    }

    /**
     * Runs {@code script} with the inputs; returns when it exits 0, fails the test otherwise.
     * The script gets {@code np}, {@code WORK}, {@code load(name)} and {@code save(name, array)} predefined.
     */
    public void run(String script) throws IOException, InterruptedException {
        Path file = work.resolve("oracle.py");
        String prelude = """
                import os, sys, json
                try:
                    import numpy as np
                    import sklearn
                except ImportError as e:
                    print("MISSING:" + str(e), file=sys.stderr)
                    sys.exit(97)
                WORK = sys.argv[1]
                def load(name):
                    return np.load(os.path.join(WORK, name + '.npy'))
                def save(name, a):
                    np.save(os.path.join(WORK, name + '.npy'), np.asarray(a, dtype=np.float64))
                """;
        Files.writeString(file, prelude + script, StandardCharsets.UTF_8);
        if (!Files.isExecutable(Path.of(PYTHON))) fail("no " + PYTHON + ": " + INSTALL_HINT);
        ProcessBuilder pb = new ProcessBuilder(PYTHON, file.toString(), work.toString());
        pb.environment().put("OMP_NUM_THREADS", "2");
        pb.redirectErrorStream(true);
        Path log = work.resolve("oracle.log");
        pb.redirectOutput(log.toFile());
        Process proc = pb.start();
        if (!proc.waitFor(10, TimeUnit.MINUTES)) {
            proc.destroyForcibly();
            fail("python oracle timed out after 10 minutes");
        }
        String out = Files.readString(log);
        if (proc.exitValue() == 97) fail(INSTALL_HINT + " (" + out.trim() + ")");
        if (proc.exitValue() != 0) fail("python oracle failed (exit " + proc.exitValue() + "):\n" + out);
    }

    /** An output array written by the script with {@code save(name, ...)}, as doubles (flattened, C order). */
    public double[] output(String name) throws IOException {
        NpyArray a = NpyReader.read(work.resolve(name + ".npy"));
        // f64 outputs are narrowed by NpyReader's float[]; re-read exactly instead.
        return readF64(work.resolve(name + ".npy"), a);
    }

    /** A scalar output. */
    public double scalar(String name) throws IOException {
        double[] v = output(name);
        if (v.length != 1) fail("oracle output " + name + " has " + v.length + " values, expected 1");
        return v[0];
    }

    private static double[] readF64(Path file, NpyArray shapeInfo) throws IOException {
        byte[] all = Files.readAllBytes(file);
        int n = shapeInfo.data().length;
        int start = all.length - n * 8;
        java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(all, start, n * 8).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        double[] out = new double[n];
        for (int i = 0; i < n; i++) out[i] = b.getDouble();
        return out;
    }
}
