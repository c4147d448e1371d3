package dev.refusalmonitor.math.linalg;

import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;
import org.ejml.interfaces.decomposition.EigenDecomposition_F64;
import org.ejml.interfaces.decomposition.QRDecomposition;

import java.util.Arrays;
import java.util.Comparator;
import java.util.SplittableRandom;

/**
 * Eigenpairs of symmetric matrices without eigendecomposing a large one: the top k by randomized subspace
 * iteration with a Rayleigh–Ritz step (Halko, Martinsson and Tropp 2011, Alg. 4.4 with Ritz extraction), where
 * only a (k + oversample)² projected matrix goes to EJML's dense symmetric solver. Small problems (block ≥ d) are
 * solved directly.
 */
public final class SymmetricEigen {
    private SymmetricEigen() {
    }

    /** Default extra block columns beyond k (at least this many, at least k/2): they speed convergence of the k-th pair. */
    public static final int DEFAULT_OVERSAMPLE = 16;
    /** Rayleigh–Ritz and the residual check run every this many iterations; plain re-orthonormalisation between. */
    static final int RITZ_EVERY = 3;
    public static final int DEFAULT_MAX_ITERATIONS = 300;
    /** Default stop: every kept Ritz pair has ‖A z − θ z‖ ≤ tolerance · θ₁. */
    public static final double DEFAULT_TOLERANCE = 1e-7;

    /**
     * Eigenpairs, eigenvalues descending.
     *
     * @param vectors [k, d] row-major, rows orthonormal
     * @param values k eigenvalues, descending
     * @param iterations subspace iterations run (0 for a direct solve)
     * @param maxRelativeResidual max over kept pairs of ‖A z − θ z‖ / θ₁ (0 for a direct solve)
     */
    public record Eigenpairs(int d, int k, double[] vectors, double[] values, int iterations, double maxRelativeResidual) {
    }

    /**
     * All eigenpairs of a small symmetric A [d, d] (EJML), descending. Cubic in d: for d ≲ 1000 only.
     *
     * @param a [d, d], symmetric. Not modified.
     */
    public static Eigenpairs full(double[] a, int d) {
        DenseOps.checkSquare(a, d, "matrix");
        DMatrixRMaj m = new DMatrixRMaj(d, d);
        System.arraycopy(a, 0, m.data, 0, d * d);
        EigenDecomposition_F64<DMatrixRMaj> eig = DecompositionFactory_DDRM.eig(d, true, true);
        if (!eig.decompose(m)) throw new ArithmeticException("symmetric eigendecomposition did not converge");
        Integer[] order = new Integer[d];
        double[] val = new double[d];
        for (int i = 0; i < d; i++) {
            order[i] = i;
            val[i] = eig.getEigenvalue(i).getReal();
        }
        Arrays.sort(order, Comparator.comparingDouble((Integer i) -> val[i]).reversed());
        double[] values = new double[d];
        double[] vectors = new double[d * d];
        for (int r = 0; r < d; r++) {
            int i = order[r];
            values[r] = val[i];
            DMatrixRMaj v = eig.getEigenVector(i);
            double norm = 0;
            for (int j = 0; j < d; j++) norm += v.data[j] * v.data[j];
            norm = Math.sqrt(norm);
            for (int j = 0; j < d; j++) vectors[r * d + j] = v.data[j] / norm;
        }
        return new Eigenpairs(d, d, vectors, values, 0, 0.0);
    }

    /** The k largest eigenpairs of {@code op} with the default oversampling, iteration cap and tolerance. */
    public static Eigenpairs largest(SymmetricOperator op, int k, long seed) {
        return largest(op, k, Math.max(DEFAULT_OVERSAMPLE, k / 2), DEFAULT_MAX_ITERATIONS, DEFAULT_TOLERANCE, seed);
    }

    /**
     * The k largest (algebraic) eigenpairs of a symmetric operator by subspace iteration on a block of
     * b = min(d, k + oversample) columns. Each step Y = A Q; every third step also B = Qᵀ Y, B = U Θ Uᵀ, Ritz pairs
     * (Q U, Θ) (the steps between just re-orthonormalise Y, which spans the same space); stops when
     * the k leading residuals are below {@code tolerance} · θ₁ or after {@code maxIterations} (then the result is
     * the best Ritz approximation, with its residual reported). When b ≥ d the operator is materialised and solved
     * directly.
     *
     * @param op the symmetric operator. Not modified.
     * @param seed seeds the random start block
     */
    public static Eigenpairs largest(SymmetricOperator op, int k, int oversample, int maxIterations, double tolerance, long seed) {
        int d = op.d();
        if (k < 1 || k > d) throw new IllegalArgumentException("k must be in [1, d = " + d + "], got " + k);
        if (oversample < 0) throw new IllegalArgumentException("oversample must be >= 0");
        if (maxIterations < 1) throw new IllegalArgumentException("maxIterations must be >= 1");
        int b = Math.min(d, k + oversample);
        if (b >= d) return truncate(full(materialise(op), d), k);

        SplittableRandom rnd = new SplittableRandom(seed);
        double[] q = new double[d * b];
        for (int i = 0; i < q.length; i++) q[i] = rnd.nextGaussian();
        q = orthonormalColumns(q, d, b);
        double[] y = new double[d * b];
        double[] z = new double[d * b];
        double[] az = new double[d * b];
        double[] theta = new double[b];
        double[] u = new double[b * b];
        double maxRes = Double.POSITIVE_INFINITY;
        int it = 0;
        while (it < maxIterations) {
            it++;
            op.times(q, b, y);
            if (it % RITZ_EVERY != 0 && it < maxIterations) {
                q = orthonormalColumns(y, d, b);
                continue;
            }
            // B = Qᵀ Y, symmetrised against rounding.
            double[] bm = new double[b * b];
            for (int r = 0; r < d; r++) {
                int off = r * b;
                for (int i = 0; i < b; i++) {
                    double qi = q[off + i];
                    if (qi == 0) continue;
                    for (int j = 0; j < b; j++) bm[i * b + j] += qi * y[off + j];
                }
            }
            for (int i = 0; i < b; i++) for (int j = 0; j < i; j++) {
                double s = 0.5 * (bm[i * b + j] + bm[j * b + i]);
                bm[i * b + j] = s;
                bm[j * b + i] = s;
            }
            Eigenpairs small = full(bm, b);
            System.arraycopy(small.values(), 0, theta, 0, b);
            // U with columns = small eigenvectors: u[i*b + c] = vectors[c*b + i].
            for (int c = 0; c < b; c++) for (int i = 0; i < b; i++) u[i * b + c] = small.vectors()[c * b + i];
            rowTimes(q, u, d, b, z);
            rowTimes(y, u, d, b, az);
            double scale = Math.max(Math.abs(theta[0]), Double.MIN_NORMAL);
            maxRes = 0;
            for (int c = 0; c < k; c++) {
                double s = 0;
                for (int r = 0; r < d; r++) {
                    double e = az[r * b + c] - theta[c] * z[r * b + c];
                    s += e * e;
                }
                maxRes = Math.max(maxRes, Math.sqrt(s) / scale);
            }
            if (maxRes <= tolerance) break;
            q = orthonormalColumns(az, d, b);
        }
        double[] vectors = new double[k * d];
        for (int c = 0; c < k; c++) for (int r = 0; r < d; r++) vectors[c * d + r] = z[r * b + c];
        return new Eigenpairs(d, k, vectors, Arrays.copyOf(theta, k), it, maxRes);
    }

    /** The operator as an explicit [d, d] matrix (A · I), symmetrised. Only for small d. */
    static double[] materialise(SymmetricOperator op) {
        int d = op.d();
        double[] eye = new double[d * d];
        for (int i = 0; i < d; i++) eye[i * d + i] = 1.0;
        double[] a = op.times(eye, d, null);
        for (int i = 0; i < d; i++) for (int j = 0; j < i; j++) {
            double s = 0.5 * (a[i * d + j] + a[j * d + i]);
            a[i * d + j] = s;
            a[j * d + i] = s;
        }
        return a;
    }

    private static Eigenpairs truncate(Eigenpairs all, int k) {
        if (k == all.k()) return all;
        return new Eigenpairs(all.d(), k, Arrays.copyOf(all.vectors(), k * all.d()), Arrays.copyOf(all.values(), k), 0, 0.0);
    }

    /** out = A U for A [d, b] and U [b, b], row-major. */
    private static void rowTimes(double[] a, double[] u, int d, int b, double[] out) {
        Arrays.fill(out, 0.0);
        for (int r = 0; r < d; r++) {
            int off = r * b;
            for (int i = 0; i < b; i++) {
                double v = a[off + i];
                if (v == 0) continue;
                int uo = i * b;
                for (int j = 0; j < b; j++) out[off + j] += v * u[uo + j];
            }
        }
    }

    /** An orthonormal basis (Householder QR, EJML) of the columns of M [d, b]; M not modified. */
    static double[] orthonormalColumns(double[] m, int d, int b) {
        DMatrixRMaj a = new DMatrixRMaj(d, b);
        System.arraycopy(m, 0, a.data, 0, d * b);
        QRDecomposition<DMatrixRMaj> qr = DecompositionFactory_DDRM.qr(d, b);
        if (!qr.decompose(a)) throw new ArithmeticException("QR decomposition failed");
        return qr.getQ(null, true).data;
    }
}
