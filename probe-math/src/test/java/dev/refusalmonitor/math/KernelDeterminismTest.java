package dev.refusalmonitor.math;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The SIMD kernels give the same bits in the interpreter as compiled (a score must not depend on JIT state): this JVM
 * runs them warm, a child JVM with -Xint runs them interpreted, and the hex bit patterns must agree.
 */
class KernelDeterminismTest {

    private static final int D = 300, K = 9;
    private static final float[] V = new float[K * D], X = new float[D], M = new float[D], H = new float[D], B = new float[D];
    private static final double[] W = new double[D];
    private static final short[] INT16 = new short[K * D];

    static {
        SplittableRandom rnd = new SplittableRandom(12);
        for (int i = 0; i < V.length; i++) V[i] = (float) rnd.nextGaussian();
        for (int i = 0; i < D; i++) {
            X[i] = (float) (rnd.nextGaussian() * 3);
            M[i] = (float) rnd.nextGaussian();
            H[i] = (float) rnd.nextGaussian();
            B[i] = (float) rnd.nextGaussian();
            W[i] = rnd.nextGaussian();
        }
        CompactRows.toScaledInt16(V, K, D, INT16, new double[K]);
    }

    /** Every kernel output for fixed inputs (d = 300, k = 9: vector loops, 4-row blocks, leftover rows and tails). */
    static String bits() {
        int d = D, k = K;
        float[] v = V, x = X, m = M, h = H, b = B, c = new float[d];
        double[] w = W;
        short[] int16 = INT16;
        StringBuilder s = new StringBuilder();
        float[] out = new float[k];
        FloatKernels.rowDots(v, k, x, d, out);
        for (float f : out) s.append(Integer.toHexString(Float.floatToRawIntBits(f))).append(' ');
        CompactRows.rowDotsInt16(int16, k, x, d, out);
        for (float f : out) s.append(Integer.toHexString(Float.floatToRawIntBits(f))).append(' ');
        s.append(Integer.toHexString(Float.floatToRawIntBits(FloatKernels.dot(x, 0, b, 0, d)))).append(' ');
        double[] two = new double[2];
        FloatKernels.centreAndSquaredNorms(x, 0, 0.7f, m, h, c, d, two);
        s.append(Long.toHexString(Double.doubleToRawLongBits(two[0]))).append(' ').append(Long.toHexString(Double.doubleToRawLongBits(two[1]))).append(' ');
        for (float f : c) s.append(Integer.toHexString(Float.floatToRawIntBits(f)).charAt(0));
        s.append(' ').append(Long.toHexString(Double.doubleToRawLongBits(FloatKernels.dotF64(x, 0, w, d)))).append(' ');
        FloatKernels.centredDots2F64(x, 0, m, b, h, d, two);
        s.append(Long.toHexString(Double.doubleToRawLongBits(two[0]))).append(' ').append(Long.toHexString(Double.doubleToRawLongBits(two[1])));
        return s.toString();
    }

    /** Entry point of the interpreted child JVM. */
    public static void main(String[] args) {
        System.out.print(bits());
    }

    @Test
    void interpretedAndCompiledKernelsGiveTheSameBits() throws IOException, InterruptedException {
        assertTrue(FloatKernels.SIMD, "the Vector API path is expected in the tests");
        String warm = null;
        for (int i = 0; i < 20_000; i++) warm = bits(); // enough calls for C2 to compile the kernels
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xint", "--add-modules", "jdk.incubator.vector", "-cp", System.getProperty("java.class.path"),
                KernelDeterminismTest.class.getName()));
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String interpreted = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "child JVM did not finish");
        assertEquals(0, p.exitValue(), "child JVM failed");
        assertEquals(warm, interpreted);
    }
}
