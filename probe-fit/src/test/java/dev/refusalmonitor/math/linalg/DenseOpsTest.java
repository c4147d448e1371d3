package dev.refusalmonitor.math.linalg;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.refusalmonitor.math.testing.Tolerances;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DenseOpsTest {

    private static double[] random(SplittableRandom r, int n) {
        double[] x = new double[n];
        for (int i = 0; i < n; i++) x[i] = r.nextGaussian();
        return x;
    }

    /** A well-conditioned SPD matrix: Xᵀ X / n + I. */
    private static double[] spd(SplittableRandom r, int d) {
        int n = 2 * d;
        double[] x = random(r, n * d);
        double[] a = new double[d * d];
        for (int i = 0; i < d; i++) for (int j = 0; j < d; j++) {
            double s = 0;
            for (int k = 0; k < n; k++) s += x[k * d + i] * x[k * d + j];
            a[i * d + j] = s / n + (i == j ? 1 : 0);
        }
        return a;
    }

    private static double[] naiveMult(double[] a, double[] b, int n, int m, int p) {
        double[] c = new double[n * p];
        for (int i = 0; i < n; i++) for (int j = 0; j < p; j++) {
            double s = 0;
            for (int k = 0; k < m; k++) s += a[i * m + k] * b[k * p + j];
            c[i * p + j] = s;
        }
        return c;
    }

    private static void assertClose(double[] expected, double[] actual, double relTol) {
        assertEquals(expected.length, actual.length);
        double scale = 0;
        for (double v : expected) scale = Math.max(scale, Math.abs(v));
        for (int i = 0; i < expected.length; i++)
            assertEquals(expected[i], actual[i], relTol * Math.max(scale, 1e-300), "element " + i);
    }

    @Test
    void pytorchEngineLoadsOfflineAndComputesInFloat64AndFloat32() {
        assertEquals("true", System.getProperty("ai.djl.offline"), "surefire must run DJL offline");
        assertEquals(DenseOps.ENGINE, Engine.getEngine(DenseOps.ENGINE).getEngineName());
        try (NDManager m = DenseOps.newManager()) {
            NDArray a = m.create(new double[] {4, 1, 1, 3}, new Shape(2, 2));
            assertEquals(DataType.FLOAT64, a.getDataType());
            double[] inv = a.inverse().toDoubleArray();
            // [[4,1],[1,3]]⁻¹ = [[3,-1],[-1,4]] / 11
            assertClose(new double[] {3 / 11.0, -1 / 11.0, -1 / 11.0, 4 / 11.0}, inv, Tolerances.F64_REL);
            NDArray f = m.create(new float[] {1, 2, 3, 4}, new Shape(2, 2));
            float[] p = f.matMul(f).toFloatArray();
            assertEquals(7f, p[0]);
            assertEquals(22f, p[3]);
        }
    }

    @Test
    void productsMatchNaiveLoops() {
        SplittableRandom r = new SplittableRandom(1);
        int n = 37, m = 23, p = 11;
        double[] a = random(r, n * m), b = random(r, m * p);
        assertClose(naiveMult(a, b, n, m, p), DenseOps.mult(a, b, n, m, p, null), Tolerances.F64_REL);
        double[] at = new double[m * n];
        for (int i = 0; i < n; i++) for (int j = 0; j < m; j++) at[j * n + i] = a[i * m + j];
        assertClose(naiveMult(at, a, m, n, m), DenseOps.transposeTimesSelf(a, n, m, null), Tolerances.F64_REL);
        double[] x = random(r, m);
        assertClose(naiveMult(a, x, n, m, 1), DenseOps.multVector(a, n, m, x, null), Tolerances.F64_REL);
    }

    @Test
    void inverseAndCholeskyReconstruct() {
        SplittableRandom r = new SplittableRandom(2);
        int d = 40;
        double[] a = spd(r, d);
        double[] inv = DenseOps.invertSPD(a, d, null);
        double[] eye = new double[d * d];
        for (int i = 0; i < d; i++) eye[i * d + i] = 1;
        assertClose(eye, naiveMult(a, inv, d, d, d), 1e-12);
        double[] l = DenseOps.cholesky(a, d);
        double[] lt = new double[d * d];
        for (int i = 0; i < d; i++) for (int j = 0; j < d; j++) lt[j * d + i] = l[i * d + j];
        assertClose(a, naiveMult(l, lt, d, d, d), 1e-12);
        for (int i = 0; i < d; i++) for (int j = i + 1; j < d; j++) assertEquals(0.0, l[i * d + j]);
    }

    @Test
    void singularAndIndefiniteInputsAreRejected() {
        int d = 3;
        double[] indefinite = {1, 0, 0, 0, -1, 0, 0, 0, 1};
        assertThrows(ArithmeticException.class, () -> DenseOps.cholesky(indefinite, d));
        double[] singular = {1, 1, 0, 1, 1, 0, 0, 0, 1};
        assertThrows(ArithmeticException.class, () -> DenseOps.invertSPD(singular, d, null));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> DenseOps.invert(new double[5], 2, null));
        assertTrue(e.getMessage().contains("expected 2 x 2"), e.getMessage());
    }

    @Test
    void packedLowerTriangleIsRowByRow() {
        double[] a = {1, 9, 9, 2, 3, 9, 4, 5, 6};
        float[] p = DenseOps.packLowerF32(a, 3);
        assertEquals(6, p.length);
        for (int i = 0; i < 6; i++) assertEquals(i + 1, p[i]);
    }
}
