package dev.refusalmonitor.schemas;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/** The Python checker (numpy only, hand-written wire format) accepts the committed golden vectors. */
class PythonGoldenCheckTest {
    private static final String PYTHON = System.getProperty("oracle.python", "/usr/bin/python3");
    private static final String INSTALL_HINT = "golden/check_golden.py needs Debian's python3-numpy for " + PYTHON
            + ": run `apt-get install -y python3 python3-numpy`";
    private static final Path CHECKER = GoldenVectorsTest.GOLDEN.resolve("check_golden.py");

    @Test
    void checkerAcceptsTheCommittedVectors(@TempDir Path tmp) throws Exception {
        Result r = run(GoldenVectorsTest.GOLDEN, tmp);
        assertEquals(0, r.exit, "check_golden.py failed:\n" + r.output);
        assertTrue(r.output.contains("ok: 7 golden vectors"), r.output);
    }

    @Test
    void checkerRejectsAVectorWithOneFlippedBit(@TempDir Path tmp) throws Exception {
        Path copy = Files.createDirectories(tmp.resolve("golden"));
        try (Stream<Path> s = Files.list(GoldenVectorsTest.GOLDEN)) {
            for (Path p : (Iterable<Path>) s::iterator) Files.copy(p, copy.resolve(p.getFileName()));
        }
        Path bin = copy.resolve("training_sample.bin");
        byte[] bytes = Files.readAllBytes(bin);
        bytes[bytes.length - 10] ^= 0x01; // inside the last layer's data
        Files.write(bin, bytes);
        Result r = run(copy, tmp);
        assertNotEquals(0, r.exit, r.output);
        assertTrue(r.output.contains("FAIL training_sample"), r.output);
    }

    private record Result(int exit, String output) {
    }

    private static Result run(Path dir, Path tmp) throws IOException, InterruptedException {
        if (!Files.isExecutable(Path.of(PYTHON))) fail("no " + PYTHON + ": " + INSTALL_HINT);
        Path log = tmp.resolve("check.log");
        Process p = new ProcessBuilder(PYTHON, CHECKER.toString(), dir.toString())
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        if (!p.waitFor(2, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            fail("check_golden.py did not finish within 2 minutes");
        }
        String out = Files.readString(log);
        if (p.exitValue() == 97) fail(INSTALL_HINT + " (" + out.trim() + ")");
        return new Result(p.exitValue(), out);
    }
}
