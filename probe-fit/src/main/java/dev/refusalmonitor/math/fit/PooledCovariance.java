package dev.refusalmonitor.math.fit;

import dev.refusalmonitor.math.VectorOps;
import dev.refusalmonitor.math.linalg.DenseOps;
import dev.refusalmonitor.math.linalg.NativeSymmetric;
import dev.refusalmonitor.math.linalg.SymmetricEigen;

/**
 * The pooled within-class covariance of DESIGN "The scores": each class centred on its own mean, the rows stacked,
 * S = XᵀX / n (n = n_H + n_S), shrunk by {@link LedoitWolf} to Σ = (1 − δ) S + δ μ I. Holds the class means, Σ and
 * Σ⁻¹ (both [d, d] float64: 2 × 128 MiB at d = 4096), the eigenvalue floor and the condition number; computes the
 * exact whitening factor and the top-k eigenpairs on request. Immutable.
 *
 * <p>With {@code l2Normalize} (Mahalanobis++) every row is first scaled to unit L2 norm, so the class means and Σ
 * live in the normalised space: the scorer must then normalise x and use these means, not the raw ones.
 */
public final class PooledCovariance {
    /** Fixed seed for the randomised eigen-solvers, so a fit is reproducible. */
    static final long EIGEN_SEED = 0x5EED_C0DEL;
    /** Below this d the extremes come from a direct eigendecomposition of Σ. */
    static final int DIRECT_EIGEN_MAX_D = 64;

    private final int d;
    private final boolean l2Normalize;
    private final int nHarmful, nHarmless;
    private final double[] meanHarmful, meanHarmless;
    private final double shrinkage, mu;
    private final double[] sigma;
    private final double[] sigmaInverse;
    private final double largestEigenvalue, eigenvalueFloor;

    private PooledCovariance(int d, boolean l2Normalize, int nHarmful, int nHarmless, double[] meanHarmful,
                             double[] meanHarmless, LedoitWolf.Result lw, double[] sigmaInverse,
                             double largestEigenvalue, double eigenvalueFloor) {
        this.d = d;
        this.l2Normalize = l2Normalize;
        this.nHarmful = nHarmful;
        this.nHarmless = nHarmless;
        this.meanHarmful = meanHarmful;
        this.meanHarmless = meanHarmless;
        this.shrinkage = lw.shrinkage();
        this.mu = lw.mu();
        this.sigma = lw.covariance();
        this.sigmaInverse = sigmaInverse;
        this.largestEigenvalue = largestEigenvalue;
        this.eigenvalueFloor = eigenvalueFloor;
    }

    /**
     * Fits the shrunk pooled covariance. Data not modified.
     *
     * @param l2Normalize scale every row to unit L2 norm first (Mahalanobis++)
     * @throws IllegalArgumentException when a row is zero and {@code l2Normalize} is set
     * @throws ArithmeticException when Σ is singular (no spread at all and no shrinkage)
     */
    public static PooledCovariance fit(ClassData data, boolean l2Normalize) {
        int d = data.d(), nH = data.nHarmful(), nS = data.nHarmless(), n = nH + nS;
        double[] x = new double[n * d];
        double[] mH = centreInto(data.harmful(), nH, d, l2Normalize, x, 0, "harmful");
        double[] mS = centreInto(data.harmless(), nS, d, l2Normalize, x, nH * d, "harmless");
        LedoitWolf.Result lw = LedoitWolf.fit(x, n, d);
        x = null; // the n × d copy is no longer needed; let it go before the d × d work
        double[] sigma = lw.covariance();
        double[] inverse;
        try {
            inverse = DenseOps.invertSPD(sigma, d, null);
        } catch (ArithmeticException e) {
            throw new ArithmeticException("the shrunk covariance is singular (shrinkage " + lw.shrinkage()
                    + ", tr/d " + lw.mu() + "): the rows have no within-class spread");
        }
        double largest, floor;
        if (d <= DIRECT_EIGEN_MAX_D) {
            double[] all = SymmetricEigen.full(sigma, d).values();
            largest = all[0];
            floor = all[d - 1];
        } else {
            try (NativeSymmetric op = new NativeSymmetric(sigma, d)) {
                largest = SymmetricEigen.largest(op, 1, EIGEN_SEED).values()[0];
            }
            if (n - 2 < d && lw.shrinkage() > 0) {
                // Centring each class on its own mean leaves S with rank ≤ n − 2 < d: λ_min(S) = 0 exactly.
                floor = lw.shrinkage() * lw.mu();
            } else {
                try (NativeSymmetric op = new NativeSymmetric(inverse, d)) {
                    floor = 1.0 / SymmetricEigen.largest(op, 1, EIGEN_SEED).values()[0];
                }
            }
        }
        if (!(floor > 0)) throw new ArithmeticException("the shrunk covariance is not positive definite (smallest eigenvalue " + floor + ")");
        return new PooledCovariance(d, l2Normalize, nH, nS, mH, mS, lw, inverse, largest, floor);
    }

    /** Writes the (optionally L2-normalised) rows minus their class mean into out at outOff; returns the mean. */
    private static double[] centreInto(float[] rows, int n, int d, boolean l2, double[] out, int outOff, String name) {
        double[] mean = new double[d];
        for (int i = 0; i < n; i++) {
            int off = i * d;
            double scale = 1.0;
            if (l2) {
                double norm = VectorOps.norm(rows, off, d);
                if (!(norm > 0)) throw new IllegalArgumentException(name + " row " + i + " is zero and cannot be L2-normalised");
                scale = 1.0 / norm;
            }
            for (int j = 0; j < d; j++) {
                double v = rows[off + j] * scale;
                out[outOff + off + j] = v;
                mean[j] += v;
            }
        }
        for (int j = 0; j < d; j++) mean[j] /= n;
        for (int i = 0; i < n; i++) {
            int off = outOff + i * d;
            for (int j = 0; j < d; j++) out[off + j] -= mean[j];
        }
        return mean;
    }

    public int d() {
        return d;
    }

    public boolean l2Normalize() {
        return l2Normalize;
    }

    public int nHarmful() {
        return nHarmful;
    }

    public int nHarmless() {
        return nHarmless;
    }

    /** μ_H (of the L2-normalised rows when {@link #l2Normalize()}), a copy. */
    public double[] meanHarmful() {
        return meanHarmful.clone();
    }

    /** μ_S (of the L2-normalised rows when {@link #l2Normalize()}), a copy. */
    public double[] meanHarmless() {
        return meanHarmless.clone();
    }

    /** Ledoit–Wolf coefficient δ. */
    public double shrinkage() {
        return shrinkage;
    }

    /** μ = tr(S)/d of the unshrunk covariance S. */
    public double traceOverD() {
        return mu;
    }

    /** tr Σ (= tr S: shrinkage toward μ I keeps the trace). */
    public double trace() {
        return DenseOps.trace(sigma, d);
    }

    /** Σ, [d, d] row-major, a copy. */
    public double[] covariance() {
        return sigma.clone();
    }

    /** Σ⁻¹, [d, d] row-major, a copy. */
    public double[] inverse() {
        return sigmaInverse.clone();
    }

    /** Largest eigenvalue of Σ. */
    public double largestEigenvalue() {
        return largestEigenvalue;
    }

    /**
     * Smallest eigenvalue of Σ: exactly δ μ when n − 2 < d (S is then singular), otherwise from subspace iteration on
     * Σ⁻¹ (a Rayleigh quotient, so never below the true value) or, for d ≤ 64, a direct eigendecomposition.
     */
    public double eigenvalueFloor() {
        return eigenvalueFloor;
    }

    /** λ_max / λ_min of Σ. */
    public double conditionNumber() {
        return largestEigenvalue / eigenvalueFloor;
    }

    /**
     * Σ⁻¹ b (a mat-vec with the stored inverse).
     *
     * @param b [d]. Not modified.
     */
    public double[] solve(double[] b) {
        if (b.length != d) throw new IllegalArgumentException("vector has " + b.length + " values, expected d = " + d);
        return DenseOps.multVector(sigmaInverse, d, d, b, null);
    }

    /**
     * The exact whitening factor W = L⁻¹ where Σ = L Lᵀ (so Σ⁻¹ = Wᵀ W and ‖W (x − μ)‖ is the Mahalanobis distance),
     * lower-triangular, packed row by row: element (i, j), j ≤ i, at i(i+1)/2 + j, as float. L by EJML's Cholesky,
     * L⁻¹ by LAPACK through PyTorch. d(d+1)/2 values: 32 MiB at d = 4096.
     */
    public float[] exactWhitening() {
        double[] l = DenseOps.cholesky(sigma, d);
        double[] w = DenseOps.invert(l, d, null);
        return DenseOps.packLowerF32(w, d);
    }

    /**
     * The k largest eigenpairs of Σ and the remainder variance σ²_rem = (tr Σ − Σᵢ₌₁ᵏ λᵢ)/(d − k), the mean of the
     * eigenvalues not kept (floored at {@link #eigenvalueFloor()} against rounding; equal to the floor when k = d,
     * where it does not enter the distance).
     */
    public LowRank topEigenpairs(int k) {
        if (k < 1 || k > d) throw new IllegalArgumentException("k must be in [1, d = " + d + "], got " + k);
        SymmetricEigen.Eigenpairs e;
        try (NativeSymmetric op = new NativeSymmetric(sigma, d)) {
            e = SymmetricEigen.largest(op, k, EIGEN_SEED);
        }
        double kept = 0;
        for (double v : e.values()) kept += v;
        double remainder = MahalanobisFit.remainderVariance(trace(), kept, d, k, eigenvalueFloor);
        return new LowRank(e, remainder);
    }

    /**
     * Top-k eigenpairs of Σ with the remainder variance.
     *
     * @param eigenpairs vectors [k, d] row-major (orthonormal rows), values descending, solver diagnostics
     */
    public record LowRank(SymmetricEigen.Eigenpairs eigenpairs, double remainderVariance) {
        public int k() {
            return eigenpairs.k();
        }

        public double[] eigenvalues() {
            return eigenpairs.values();
        }

        public double[] eigenvectors() {
            return eigenpairs.vectors();
        }
    }

    @Override
    public String toString() {
        return "PooledCovariance[d=" + d + ", nHarmful=" + nHarmful + ", nHarmless=" + nHarmless + ", l2Normalize="
                + l2Normalize + ", shrinkage=" + shrinkage + ", traceOverD=" + mu + ", floor=" + eigenvalueFloor
                + ", condition=" + conditionNumber() + "]";
    }
}
