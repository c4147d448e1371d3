package dev.refusalmonitor.activations;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * Runs a short numpy script in Debian's {@code /usr/bin/python3} (tests only). A missing interpreter or numpy FAILS
 * the calling test with what to install; it never skips.
 */
final class Numpy {
    static final String PYTHON = System.getProperty("oracle.python", "/usr/bin/python3");
    private static final String HINT = "these tests need numpy for " + PYTHON
            + ": run `apt-get install -y python3-numpy` (.ci/run does this)";

    private Numpy() {
    }

    /** Runs {@code script} with {@code np} imported and {@code WORK} = the directory (a string). */
    static void run(Path work, String script) throws IOException, InterruptedException {
        if (!Files.isExecutable(Path.of(PYTHON))) fail("no " + PYTHON + "; " + HINT);
        Path file = work.resolve("numpy_script.py");
        String prelude = """
                import os, sys
                try:
                    import numpy as np
                except ImportError as e:
                    print("MISSING: " + str(e), file=sys.stderr)
                    sys.exit(97)
                WORK = sys.argv[1]
                def path(name):
                    return os.path.join(WORK, name)
                """;
        Files.writeString(file, prelude + script, StandardCharsets.UTF_8);
        ProcessBuilder pb = new ProcessBuilder(PYTHON, file.toString(), work.toString()).redirectErrorStream(true);
        Path log = work.resolve("numpy_script.log");
        pb.redirectOutput(log.toFile());
        Process p = pb.start();
        if (!p.waitFor(2, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            fail("numpy script did not finish in 2 minutes");
        }
        String out = Files.readString(log);
        if (p.exitValue() == 97) fail(HINT + " (" + out.trim() + ")");
        if (p.exitValue() != 0) fail("numpy script failed (exit " + p.exitValue() + "):\n" + out);
    }
}
