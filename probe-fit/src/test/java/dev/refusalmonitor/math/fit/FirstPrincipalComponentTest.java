package dev.refusalmonitor.math.fit;

import dev.refusalmonitor.math.testing.PythonOracle;
import dev.refusalmonitor.math.testing.Tolerances;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Path;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FirstPrincipalComponentTest {

    /** Data with a clear spectral gap: one strong direction, a few weaker ones, isotropic noise. */
    static float[] gapped(int n, int d, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        double[][] dirs = new double[4][d];
        for (double[] u : dirs) for (int j = 0; j < d; j++) u[j] = rnd.nextGaussian() / Math.sqrt(d);
        double[] weights = {6, 3, 2, 1.5};
        float[] x = new float[n * d];
        for (int i = 0; i < n; i++)
            for (int k = 0; k < 4; k++) {
                double z = rnd.nextGaussian() * weights[k];
                for (int j = 0; j < d; j++) x[i * d + j] += (float) (z * dirs[k][j] * Math.sqrt(d));
            }
        for (int i = 0; i < n * d; i++) x[i] += (float) (0.5 * rnd.nextGaussian() + 3.0); // noise and an offset
        return x;
    }

    @ParameterizedTest(name = "n={0} d={1}")
    @CsvSource({"300, 64", "100, 1024", "5, 200", "400, 3"})
    void matchesNumpySvdOfTheCentredData(int n, int d, @TempDir Path work) throws Exception {
        float[] x = gapped(n, d, n * 31L + d);
        double[] centre = dev.refusalmonitor.math.VectorOps.columnMeans(x, n, d);
        FirstPrincipalComponent.Result r = FirstPrincipalComponent.compute(x, n, d, centre, 1L);
        PythonOracle oracle = new PythonOracle(work).input("x", new int[]{n, d}, x);
        oracle.run("""
                X = load('x').astype(np.float64)
                A = X - X.mean(axis=0)
                U, S, Vt = np.linalg.svd(A, full_matrices=False)
                save('v', Vt[0]); save('ev', [S[0] ** 2])
                """);
        double[] v = oracle.output("v");
        double cos = Math.abs(FirstPrincipalComponent.dot(v, r.vector()));
        assertTrue(cos >= Tolerances.ORACLE_DIRECTION_COS, "cosine with numpy's first singular vector " + cos);
        assertEquals(oracle.scalar("ev"), r.eigenvalue(), 1e-6 * oracle.scalar("ev"));
    }
}
