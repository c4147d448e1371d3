package dev.refusalmonitor.math;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The CAST kernel's bits do not depend on the JIT tier: the same seeded inputs give the same bits in an interpreted
 * child JVM (-Xint), a C1-only child, and this JVM after the calls were warmed up until C2 compiled them. A
 * lane-wise TANH (intrinsic in C2, Math.tanh per lane in the interpreter) fails this test.
 */
class TanhCosineDeterminismTest {
    /** Enough rounds over the 6 cases for tiered compilation to reach C2 (tier 4 needs ~15000 invocations). */
    private static final int WARM_ROUNDS = 20000;

    @Test
    void interpretedC1AndC2GiveTheSameBits() throws Exception {
        assertTrue(FloatKernels.SIMD, "this test is about the Vector API path");
        List<String> interpreted = child(List.of("-Xint"), 0);
        assertTrue(interpreted.get(0).contains("interpreted"), "child JVM not interpreted: " + interpreted.get(0));
        List<String> c1 = child(List.of("-XX:TieredStopAtLevel=1"), 2000);

        List<String> cold = TanhCosineBitsMain.results(0);
        List<String> warm = TanhCosineBitsMain.results(WARM_ROUNDS);
        List<String> expected = interpreted.subList(1, interpreted.size());
        assertEquals(12, expected.size(), "child output: " + interpreted);
        assertEquals(expected, c1.subList(1, c1.size()), "C1-only child against the interpreter");
        assertEquals(expected, cold, "this JVM, first calls, against the interpreter");
        assertEquals(expected, warm, "this JVM after " + WARM_ROUNDS + " warm-up rounds against the interpreter");
    }

    /** Runs TanhCosineBitsMain in a child JVM with the same java binary, class path and Vector API module. */
    private static List<String> child(List<String> vmOptions, int warm) throws IOException, InterruptedException {
        String java = ProcessHandle.current().info().command().orElseThrow(
                () -> new IllegalStateException("cannot tell which java binary runs this test"));
        List<String> cmd = new ArrayList<>(List.of(java, "--add-modules", "jdk.incubator.vector"));
        cmd.addAll(vmOptions);
        cmd.addAll(Arrays.asList("-cp", System.getProperty("java.class.path"), TanhCosineBitsMain.class.getName(),
                Integer.toString(warm)));
        Path err = Files.createTempFile("tanh-cosine-child", ".err");
        try {
            Process p = new ProcessBuilder(cmd).redirectError(err.toFile()).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(300, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                fail("child JVM " + vmOptions + " did not finish");
            }
            if (p.exitValue() != 0)
                fail("child JVM " + vmOptions + " exited " + p.exitValue() + ": " + Files.readString(err));
            return out.lines().toList();
        } finally {
            Files.deleteIfExists(err);
        }
    }
}
