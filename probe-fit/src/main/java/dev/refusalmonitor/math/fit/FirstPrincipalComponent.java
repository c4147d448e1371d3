package dev.refusalmonitor.math.fit;

import java.util.SplittableRandom;

/**
 * First principal component (first right singular vector) of a centred data matrix A = X − 1 cᵀ, where X is a
 * row-major [n, d] {@code float[]} and c a centre (or none). Never forms a d × d or n × n matrix: block subspace
 * iteration on AᵀA with a Rayleigh–Ritz step, where each step costs 2k mat-vecs with A (k ≤ 8). When min(n, d) ≤ k
 * the block spans the whole row space after one step and the answer is exact.
 */
public final class FirstPrincipalComponent {
    private static final int BLOCK = 8;
    private static final int MAX_ITERATIONS = 2000;
    /** Stop when 1 − |cos(v_t, v_{t−1})| falls below this (about 1e-7 rad of change). */
    private static final double CONVERGED = 1e-14;

    private FirstPrincipalComponent() {
    }

    /**
     * @param vector unit first right singular vector of A [d] (its sign is arbitrary; callers fix it)
     * @param eigenvalue σ₁², the largest eigenvalue of AᵀA (not divided by n); 0 when A is zero
     * @param iterations subspace iterations used
     */
    public record Result(double[] vector, double eigenvalue, int iterations) {
    }

    /**
     * First right singular vector of A = X − 1 cᵀ.
     *
     * @param x row-major [n, d], not modified
     * @param centre c [d] subtracted from every row, or null for none; not modified
     * @param seed seed of the random start block
     */
    public static Result compute(float[] x, int n, int d, double[] centre, long seed) {
        Inputs.matrix("x", x, n, d, 1);
        if (centre != null && centre.length != d)
            throw new IllegalArgumentException("centre: length " + centre.length + " != d = " + d);
        int k = Math.min(BLOCK, Math.min(n, d));
        boolean exact = k == Math.min(n, d);
        double[][] q = new double[k][d];
        SplittableRandom rnd = new SplittableRandom(seed);
        if (d == k) {
            for (int v = 0; v < k; v++) q[v][v] = 1; // the whole space: exact
        } else {
            for (double[] col : q) for (int j = 0; j < d; j++) col[j] = rnd.nextGaussian();
            orthonormalise(q, rnd);
        }
        double[][] y = new double[k][n];
        double[] previous = null;
        double[] pc = new double[d];
        double lambda = 0;
        int it = 0;
        while (true) {
            it++;
            multiply(x, n, d, centre, q, y);
            // After multiplying by Aᵀ, the block spans AᵀA q; when n ≤ k that is the whole row space (exact).
            double[][] z = new double[k][d];
            multiplyTransposed(x, n, d, centre, y, z);
            orthonormalise(z, rnd);
            q = z;
            multiply(x, n, d, centre, q, y);
            // Rayleigh–Ritz on span(q): B = (A q)ᵀ (A q), top eigenvector u, pc = q u.
            double[][] b = new double[k][k];
            for (int a = 0; a < k; a++)
                for (int c = a; c < k; c++) {
                    double s = 0;
                    for (int i = 0; i < n; i++) s += y[a][i] * y[c][i];
                    b[a][c] = s;
                    b[c][a] = s;
                }
            double[] u = new double[k];
            lambda = topEigen(b, u);
            java.util.Arrays.fill(pc, 0);
            for (int v = 0; v < k; v++) for (int j = 0; j < d; j++) pc[j] += u[v] * q[v][j];
            normalise(pc);
            if (exact || lambda <= 0) break;
            if (previous != null) {
                double cos = Math.abs(dot(previous, pc));
                if (1 - cos < CONVERGED || it >= MAX_ITERATIONS) break;
            }
            previous = pc.clone();
        }
        return new Result(pc, Math.max(lambda, 0), it);
    }

    /** y_v = A q_v for each block column v. */
    private static void multiply(float[] x, int n, int d, double[] centre, double[][] q, double[][] y) {
        int k = q.length;
        double[] shift = new double[k];
        if (centre != null) for (int v = 0; v < k; v++) shift[v] = dot(centre, q[v]);
        for (int i = 0; i < n; i++) {
            int off = i * d;
            for (int v = 0; v < k; v++) {
                double[] col = q[v];
                double s0 = 0, s1 = 0;
                int j = 0;
                for (; j + 1 < d; j += 2) {
                    s0 += x[off + j] * col[j];
                    s1 += x[off + j + 1] * col[j + 1];
                }
                if (j < d) s0 += x[off + j] * col[j];
                y[v][i] = s0 + s1 - shift[v];
            }
        }
    }

    /** z_v = Aᵀ y_v for each block column v. */
    private static void multiplyTransposed(float[] x, int n, int d, double[] centre, double[][] y, double[][] z) {
        int k = y.length;
        for (int i = 0; i < n; i++) {
            int off = i * d;
            for (int v = 0; v < k; v++) {
                double yi = y[v][i];
                double[] col = z[v];
                for (int j = 0; j < d; j++) col[j] += x[off + j] * yi;
            }
        }
        if (centre != null)
            for (int v = 0; v < k; v++) {
                double sum = 0;
                for (int i = 0; i < n; i++) sum += y[v][i];
                for (int j = 0; j < d; j++) z[v][j] -= centre[j] * sum;
            }
    }

    /** Modified Gram–Schmidt, twice for stability; a column that collapses is replaced by a random one. */
    static void orthonormalise(double[][] q, SplittableRandom rnd) {
        for (int v = 0; v < q.length; v++) {
            double before = Math.sqrt(dot(q[v], q[v]));
            for (int pass = 0; pass < 2; pass++)
                for (int u = 0; u < v; u++) {
                    double p = dot(q[u], q[v]);
                    for (int j = 0; j < q[v].length; j++) q[v][j] -= p * q[u][j];
                }
            double after = Math.sqrt(dot(q[v], q[v]));
            if (!(after > 1e-12 * before) || after == 0) {
                for (int j = 0; j < q[v].length; j++) q[v][j] = rnd.nextGaussian();
                v--; // redo this column with the random replacement
                continue;
            }
            for (int j = 0; j < q[v].length; j++) q[v][j] /= after;
        }
    }

    /** Largest eigenvalue of a small symmetric matrix by cyclic Jacobi; its unit eigenvector goes to {@code out}. */
    static double topEigen(double[][] a0, double[] out) {
        int k = a0.length;
        double[][] a = new double[k][];
        for (int i = 0; i < k; i++) a[i] = a0[i].clone();
        double[][] v = new double[k][k];
        for (int i = 0; i < k; i++) v[i][i] = 1;
        for (int sweep = 0; sweep < 100; sweep++) {
            double off = 0, total = 0;
            for (int p = 0; p < k; p++)
                for (int r = 0; r < k; r++) {
                    total += a[p][r] * a[p][r];
                    if (p != r) off += a[p][r] * a[p][r];
                }
            if (off <= 1e-30 * total || off == 0) break;
            for (int p = 0; p < k - 1; p++)
                for (int r = p + 1; r < k; r++) {
                    if (a[p][r] == 0) continue;
                    double theta = (a[r][r] - a[p][p]) / (2 * a[p][r]);
                    double t = Math.signum(theta) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
                    if (theta == 0) t = 1;
                    double c = 1 / Math.sqrt(t * t + 1), s = t * c;
                    for (int m = 0; m < k; m++) { // rotate columns p, r
                        double amp = a[m][p], amr = a[m][r];
                        a[m][p] = c * amp - s * amr;
                        a[m][r] = s * amp + c * amr;
                    }
                    for (int m = 0; m < k; m++) { // rotate rows p, r
                        double apm = a[p][m], arm = a[r][m];
                        a[p][m] = c * apm - s * arm;
                        a[r][m] = s * apm + c * arm;
                    }
                    for (int m = 0; m < k; m++) {
                        double vmp = v[m][p], vmr = v[m][r];
                        v[m][p] = c * vmp - s * vmr;
                        v[m][r] = s * vmp + c * vmr;
                    }
                }
        }
        int best = 0;
        for (int i = 1; i < k; i++) if (a[i][i] > a[best][best]) best = i;
        for (int i = 0; i < k; i++) out[i] = v[i][best];
        return a[best][best];
    }

    static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) s += a[i] * b[i];
        return s;
    }

    static void normalise(double[] x) {
        double norm = Math.sqrt(dot(x, x));
        if (norm > 0) for (int i = 0; i < x.length; i++) x[i] /= norm;
    }
}
