package dev.refusalmonitor.math.score;

import dev.refusalmonitor.math.CompactRows;
import dev.refusalmonitor.math.FloatKernels;
import dev.refusalmonitor.math.directions.MahalanobisParams;

/**
 * Mahalanobis scores (DESIGN score 4, seeds §8.4–8.5): d_c(x) = √((x − μ_c)ᵀ Σ⁻¹ (x − μ_c)) for c ∈ {H, S};
 * refusal = d_S − d_H (positive = closer to harmful/refusal); ood = min_c d_c; its tail probability is
 * (#{calibration distances ≥ ood} + 1) / (n_cal + 1), the conformal p-value convention (never 0; 1 when there is no
 * calibration data, i.e. never evidence of OOD without it).
 *
 * <p>With {@code params.l2Normalize()} (Mahalanobis++) x is scaled to unit L2 norm first, and the means given here
 * must be the class means of the L2-normalised training rows (what {@code MahalanobisFit} returns), not raw means.
 *
 * <p>Both paths first centre on the class midpoint m = (μ_H + μ_S)/2 with h = (μ_H − μ_S)/2, so x − μ_H = x' − h and
 * x − μ_S = x' + h for x' = x − m: large common offsets cancel once, in double, before any quadratic form.
 * <ul>
 * <li>Exact: with Σ⁻¹ = WᵀW, y = W x' (one packed-triangular mat-vec, d(d+1)/2 multiply-adds), a = W h
 * precomputed: d_H² = ‖y − a‖², d_S² = ‖y + a‖².
 * <li>Low-rank: Σ⁻¹ ≈ V diag(1/λ − 1/σ²) Vᵀ + I/σ² (σ² = remainder variance), so with p = V x' and
 * q = V h precomputed, d_{H,S}² = ‖x' ∓ h‖²/σ² + Σⱼ (1/λⱼ − 1/σ²)(pⱼ ∓ qⱼ)²: k dot products of length d plus one
 * pass that centres x and sums both squared norms.
 * </ul>
 *
 * <p><b>Eigenvector storage</b> (low-rank path; the direction set on the wire stays f32). Reading the k × d rows is
 * the per-record memory traffic (1 MiB at k = 64, d = 4096 in f32), so by default ({@link #DEFAULT_STORAGE}) rows with
 * λⱼ &lt; 16 σ² are kept as scaled int16 (2 bytes, absolute error ≤ 2⁻¹⁶ · the row's max |value|) and only the
 * high-variance rows stay f32: their terms cancel against ‖x' ∓ h‖²/σ² by a factor of about λⱼ/σ² and would amplify
 * 16-bit rounding. q is formed with the stored rows, so p − q is one basis applied to x' − h. Measured on
 * planted-truth data (d = 1024, k = 64, 3 rogue dimensions at 25×, 400 + 400 training rows, 400 + 400 held out,
 * separation 1 sd; MahalanobisStorageTest), relative to the f32 rows, max over held-out rows:
 * <pre>
 *                            f32 rows    max rel. error d_H / d_S     |Δ(d_S − d_H)|/(d_H + d_S)   |ΔAUC|
 * int16 + f32 rows (default)  17 of 64   1.8e-5 / 1.8e-5 (L2: 2.0e-5)  1.3e-6 (L2: 1.9e-6)         ≤ 1e-5
 * f16 per-row scale + f32     17         6.1e-5 / 5.8e-5               2.1e-6                      0
 * bf16 + f32 rows             17         2.6e-4 / 2.6e-4               1.3e-5                      1e-5
 * all rows int16               0         2.1e-4 / 2.3e-4               9.8e-6                      1e-5
 * all rows f16 per-row scale   0         9.1e-3 / 8.7e-3 (L2: 1.1e-2)  2.7e-4 (L2: 1.2e-3)         4.8e-4
 * all rows bf16                0         1.2e-1 / 1.2e-1               3.8e-3                      6.7e-4
 * </pre>
 * Held-out AUC of d_S − d_H is 0.984 (0.982 with L2) with f32 rows. Against numpy's f64 low-rank distances
 * (CovarianceOracleTest, d ≤ 1024) the default is within 1.3e-4 on every case; all rows in int16 reached 1.2e-3 at
 * d = 256, k = 64. Hence the split: the accuracy bound for adopting a compact form was 1e-3 relative and |ΔAUC| ≤
 * 0.002; bf16 and f16 alone miss it (f16 is relative to each value, but the sums are dominated by the large values,
 * which int16 fixed point holds to ~2⁻¹⁶). {@link EigenvectorStorage#F32} keeps the fitted rows unchanged.
 * Immutable and thread-safe; per-record work space comes from a {@link Scratch} per thread, results go into a
 * caller-owned {@link Result}, so scoring allocates nothing.
 */
public final class MahalanobisScorer {

    /** How the scorer keeps the k × d eigenvectors of the low-rank path (the direction set itself stays f32). */
    public enum EigenvectorStorage {
        /** f32 as fitted: 4 bytes per value. */
        F32,
        /** bf16, rounded to nearest even: 2 bytes, relative error ≤ 2⁻⁹ per value. */
        BF16,
        /** IEEE f16 with a power-of-two scale per row: 2 bytes, relative error ≤ 2⁻¹¹ per value. */
        F16_ROW_SCALED,
        /** int16 fixed point with a scale per row: 2 bytes, absolute error ≤ 2⁻¹⁶ · (row's max |value|). */
        INT16_ROW_SCALED
    }

    /** The storage the public constructor uses (see the class comment for the accuracy figures behind it). */
    public static final EigenvectorStorage DEFAULT_STORAGE = EigenvectorStorage.INT16_ROW_SCALED;

    /**
     * Rows with λ_j ≥ this × σ² stay f32 whatever the storage: their term (1/λ_j − 1/σ²)(p_j ∓ q_j)² cancels against
     * ‖x' ∓ h‖²/σ² by a factor of about λ_j/σ², which would amplify a 16-bit row's rounding (all rows in int16 gave
     * 1.2e-3 relative distance error on one oracle case; with this split ≤ 1.3e-4 on every case).
     */
    static final double EXACT_ROW_VARIANCE_RATIO = 16.0;

    private final int d, k;
    private final boolean l2Normalize;
    // The centre m and half-difference h, rounded to f32 once (−m, so the centring is one fma).
    private final float[] negMidpoint, half;
    // Low-rank path, rows reordered once: the first `exactRows` rows kept as f32 (`vectors`), the rest in `storage`
    // (`codes`, with per-row factors `rowScale` for the scaled storages). coefficients and halfProjections follow the
    // same order.
    private final EigenvectorStorage storage;
    private final int exactRows;
    private final float[] vectors;
    private final short[] codes;
    private final double[] rowScale;
    private final double[] coefficients, halfProjections;
    private final double inverseRemainder;
    // Exact path (null when the params carry no factor).
    private final float[] whitening;
    private final double[] whitenedHalf;
    private final float[] calibration;

    /**
     * @param meanHarmful μ_H [d] (in the normalised space when params.l2Normalize()). Not modified, not kept.
     * @param meanHarmless μ_S [d], likewise.
     * @param params fitted parameters (arrays not copied; must not be modified)
     */
    public MahalanobisScorer(float[] meanHarmful, float[] meanHarmless, MahalanobisParams params) {
        this(meanHarmful, meanHarmless, params, DEFAULT_STORAGE);
    }

    /**
     * As {@link #MahalanobisScorer(float[], float[], MahalanobisParams)} with the low-rank eigenvectors kept in the
     * given storage (converted once, here).
     */
    public MahalanobisScorer(float[] meanHarmful, float[] meanHarmless, MahalanobisParams params, EigenvectorStorage storage) {
        d = meanHarmful.length;
        if (d < 1) throw new IllegalArgumentException("means are empty");
        if (meanHarmless.length != d)
            throw new IllegalArgumentException("meanHarmless has " + meanHarmless.length + " values, meanHarmful " + d);
        k = params.k();
        if (k < 1 || k > d) throw new IllegalArgumentException("params.k = " + k + " is not in [1, d = " + d + "]");
        if (params.eigenvectors() == null || params.eigenvectors().length != (long) k * d)
            throw new IllegalArgumentException("params.eigenvectors must hold k x d = " + k + " x " + d + " values");
        if (params.eigenvalues() == null || params.eigenvalues().length != k)
            throw new IllegalArgumentException("params.eigenvalues must hold k = " + k + " values");
        for (int j = 0; j < k; j++)
            if (!(params.eigenvalues()[j] > 0) || !Double.isFinite(params.eigenvalues()[j]))
                throw new IllegalArgumentException("params.eigenvalues[" + j + "] = " + params.eigenvalues()[j] + " is not positive");
        if (!(params.remainderVariance() > 0) || !Double.isFinite(params.remainderVariance()))
            throw new IllegalArgumentException("params.remainderVariance = " + params.remainderVariance() + " is not positive");
        for (float v : params.eigenvectors())
            if (!Float.isFinite(v)) throw new IllegalArgumentException("params.eigenvectors has a non-finite value");
        l2Normalize = params.l2Normalize();
        this.storage = storage;
        negMidpoint = new float[d];
        half = new float[d];
        double[] halfD = new double[d];
        for (int j = 0; j < d; j++) {
            if (!Float.isFinite(meanHarmful[j]) || !Float.isFinite(meanHarmless[j]))
                throw new IllegalArgumentException("class means have a non-finite value at " + j);
            // The means arrive as f32, so rounding m and h to f32 adds an error of the order the means already carry.
            negMidpoint[j] = (float) (-0.5 * ((double) meanHarmful[j] + meanHarmless[j]));
            half[j] = (float) (0.5 * ((double) meanHarmful[j] - meanHarmless[j]));
            halfD[j] = half[j];
        }
        float[] v = params.eigenvectors();
        double remainder = params.remainderVariance();
        inverseRemainder = 1.0 / remainder;
        int[] order = new int[k];
        int r = 0;
        for (int j = 0; j < k; j++)
            if (storage == EigenvectorStorage.F32 || params.eigenvalues()[j] >= EXACT_ROW_VARIANCE_RATIO * remainder) order[r++] = j;
        exactRows = r;
        for (int j = 0, c = r; j < k; j++)
            if (!(storage == EigenvectorStorage.F32 || params.eigenvalues()[j] >= EXACT_ROW_VARIANCE_RATIO * remainder)) order[c++] = j;
        int nc = k - exactRows;
        float[] compactRows = new float[nc * d];
        if (storage == EigenvectorStorage.F32 && isIdentity(order)) {
            vectors = v;
        } else {
            vectors = new float[exactRows * d];
            for (int j = 0; j < exactRows; j++) System.arraycopy(v, order[j] * d, vectors, j * d, d);
        }
        for (int j = 0; j < nc; j++) System.arraycopy(v, order[exactRows + j] * d, compactRows, j * d, d);
        switch (storage) {
            case F32 -> {
                codes = null;
                rowScale = null;
            }
            case BF16 -> {
                codes = CompactRows.toBf16(compactRows);
                rowScale = null;
            }
            case F16_ROW_SCALED, INT16_ROW_SCALED -> {
                codes = new short[nc * d];
                rowScale = new double[nc];
                if (storage == EigenvectorStorage.F16_ROW_SCALED) CompactRows.toScaledHalf(compactRows, nc, d, codes, rowScale);
                else CompactRows.toScaledInt16(compactRows, nc, d, codes, rowScale);
            }
            default -> throw new IllegalArgumentException("storage " + storage);
        }
        coefficients = new double[k];
        halfProjections = new double[k];
        for (int j = 0; j < k; j++) {
            coefficients[j] = 1.0 / params.eigenvalues()[order[j]] - inverseRemainder;
            // With the stored (rounded) rows, so that p − q below is V'(x' − h) for one basis V'.
            halfProjections[j] = j < exactRows ? dot(vectors, j * d, halfD, d) : storedRowDot(j - exactRows, halfD);
        }
        if (params.hasExact()) {
            if (params.exactWhitening().length != (long) d * (d + 1) / 2)
                throw new IllegalArgumentException("params.exactWhitening must hold d(d+1)/2 = " + ((long) d * (d + 1) / 2) + " values");
            whitening = params.exactWhitening();
            whitenedHalf = new double[d];
            packedLowerTimes(whitening, halfD, d, whitenedHalf);
        } else {
            whitening = null;
            whitenedHalf = null;
        }
        calibration = params.oodCalibration() == null ? new float[0] : params.oodCalibration();
    }

    private static boolean isIdentity(int[] order) {
        for (int j = 0; j < order.length; j++) if (order[j] != j) return false;
        return true;
    }

    /** (stored 16-bit row j) · h in f64: Σ decoded code · h, times the row's factor. */
    private double storedRowDot(int j, double[] h) {
        double s = 0;
        for (int i = 0; i < d; i++) {
            short c = codes[j * d + i];
            double value = switch (storage) {
                case BF16 -> CompactRows.bf16ToFloat(c);
                case F16_ROW_SCALED -> CompactRows.halfToScaledFloat(c);
                default -> c;
            };
            s += value * h[i];
        }
        return rowScale == null ? s : s * rowScale[j];
    }

    /** How many eigenvector rows stay f32 (all k for F32; the rows with λ_j ≥ 16 σ² otherwise). */
    public int exactRowCount() {
        return exactRows;
    }

    /** The storage of the low-rank eigenvectors. */
    public EigenvectorStorage storage() {
        return storage;
    }

    public int dim() {
        return d;
    }

    public boolean hasExact() {
        return whitening != null;
    }

    /** Per-thread work space (2 × d + k floats). Not thread-safe; create one per scoring thread. */
    public Scratch newScratch() {
        return new Scratch(d, k);
    }

    /**
     * Scores x = x[off..off+d). x not modified; scratch and out modified.
     *
     * @param exact use the exact whitening factor; otherwise the low-rank path
     * @return out
     * @throws IllegalStateException when exact is requested and the params carry no exact factor
     * @throws IllegalArgumentException when x is non-finite, out of bounds, or zero under L2 normalisation
     */
    public Result score(float[] x, int off, boolean exact, Scratch scratch, Result out) {
        if (exact && whitening == null)
            throw new IllegalStateException("the exact Mahalanobis path was requested but this direction set stores no exact whitening factor (refit with the exact factor or use the low-rank path)");
        if (off < 0 || off > x.length - d)
            throw new IllegalArgumentException("row [" + off + ", " + (off + d) + ") is outside an array of " + x.length);
        if (scratch.centred.length != d) throw new IllegalArgumentException("scratch is for d = " + scratch.centred.length + ", scorer has d = " + d);
        // Centre on the midpoint of the class means once (as f32: the SIMD kernels read f32 rows), in the same pass as
        // the two squared norms ‖x' ∓ h‖². The difference is one fma, rounded once, so a row near the midpoint keeps
        // its relative precision.
        float[] xc = scratch.centred;
        float scale = 1f;
        if (l2Normalize) {
            double norm = Math.sqrt(FloatKernels.dot(x, off, x, off, d));
            if (!(norm > 0) || !Double.isFinite(norm)) throw new IllegalArgumentException("x has norm " + norm + " and cannot be L2-normalised");
            scale = (float) (1.0 / norm);
        }
        double[] norms = scratch.norms;
        FloatKernels.centreAndSquaredNorms(x, off, scale, negMidpoint, half, xc, d, norms);
        double dH2, dS2;
        if (exact) {
            // y = W (x − m); d_H² = ‖y − W h‖², d_S² = ‖y + W h‖² with h = (μ_H − μ_S)/2.
            float[] y = scratch.whitened;
            int base = 0;
            for (int i = 0; i < d; i++) {
                y[i] = FloatKernels.dot(whitening, base, xc, 0, i + 1);
                base += i + 1;
            }
            double sH = 0, sS = 0;
            for (int j = 0; j < d; j++) {
                double eH = y[j] - whitenedHalf[j], eS = y[j] + whitenedHalf[j];
                sH += eH * eH;
                sS += eS * eS;
            }
            dH2 = sH;
            dS2 = sS;
        } else {
            // Σ⁻¹ ≈ (1/σ²) I + V diag(1/λ − 1/σ²) Vᵀ, so a record costs k dot products plus one pass for ‖x − μ_c‖².
            // The squared norms are summed directly (norms[0], norms[1]), not expanded as ‖x'‖² ∓ 2x'·h + ‖h‖²: near a
            // class mean the expansion cancels and f32 rounding would swamp a small distance. Summing non-negative
            // terms in f32 lanes keeps a relative error of a few 1e-6 (FloatKernels.centreAndSquaredNorms).
            dH2 = norms[0] * inverseRemainder;
            dS2 = norms[1] * inverseRemainder;
            float[] p = scratch.projections, pc = scratch.compactProjections;
            int nc = k - exactRows;
            FloatKernels.rowDots(vectors, exactRows, xc, d, p);
            switch (storage) {
                case F32 -> { }
                case BF16 -> CompactRows.rowDotsBf16(codes, nc, xc, d, pc);
                case F16_ROW_SCALED -> CompactRows.rowDotsHalf(codes, nc, xc, d, pc);
                case INT16_ROW_SCALED -> CompactRows.rowDotsInt16(codes, nc, xc, d, pc);
            }
            for (int j = 0; j < k; j++) {
                double pj = j < exactRows ? p[j] : rowScale == null ? pc[j - exactRows] : pc[j - exactRows] * rowScale[j - exactRows];
                double eH = pj - halfProjections[j], eS = pj + halfProjections[j];
                dH2 += coefficients[j] * eH * eH;
                dS2 += coefficients[j] * eS * eS;
            }
        }
        if (!Double.isFinite(dH2) || !Double.isFinite(dS2)) throw new IllegalArgumentException("x has a non-finite value");
        // Rounding can take a tiny squared distance just below zero.
        double dH = Math.sqrt(Math.max(dH2, 0.0)), dS = Math.sqrt(Math.max(dS2, 0.0));
        double ood = Math.min(dH, dS);
        out.set(dH, dS, ood, tailProbability(ood), exact);
        return out;
    }

    /** (#{calibration ≥ distance} + 1) / (n_cal + 1); 1 with no calibration data. */
    public double tailProbability(double distance) {
        int n = calibration.length;
        int lo = 0, hi = n; // first index with calibration[i] >= distance
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (calibration[mid] < distance) lo = mid + 1;
            else hi = mid;
        }
        return (double) (n - lo + 1) / (n + 1);
    }

    private static double dot(float[] v, int off, double[] x, int d) {
        double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        int i = 0;
        for (; i + 3 < d; i += 4) {
            s0 += v[off + i] * x[i];
            s1 += v[off + i + 1] * x[i + 1];
            s2 += v[off + i + 2] * x[i + 2];
            s3 += v[off + i + 3] * x[i + 3];
        }
        for (; i < d; i++) s0 += v[off + i] * x[i];
        return (s0 + s1) + (s2 + s3);
    }

    /** out = W x for W lower-triangular, packed row by row (row i starts at i(i+1)/2). */
    private static void packedLowerTimes(float[] w, double[] x, int d, double[] out) {
        int base = 0;
        for (int i = 0; i < d; i++) {
            out[i] = dot(w, base, x, i + 1);
            base += i + 1;
        }
    }

    /** Per-thread work space for {@link #score}. */
    public static final class Scratch {
        private final float[] centred;
        private final float[] whitened;
        private final float[] projections;
        private final float[] compactProjections;
        private final double[] norms = new double[2];

        private Scratch(int d, int k) {
            centred = new float[d];
            whitened = new float[d];
            projections = new float[k];
            compactProjections = new float[k];
        }
    }

    /** One record's Mahalanobis scores; owned and reused by the caller. */
    public static final class Result {
        private double dHarmful, dHarmless, ood, oodTailProbability;
        private boolean exact;

        void set(double dH, double dS, double ood, double tail, boolean exact) {
            this.dHarmful = dH;
            this.dHarmless = dS;
            this.ood = ood;
            this.oodTailProbability = tail;
            this.exact = exact;
        }

        /** d_H, distance to the harmful mean. */
        public double dHarmful() {
            return dHarmful;
        }

        /** d_S, distance to the harmless mean. */
        public double dHarmless() {
            return dHarmless;
        }

        /** d_S − d_H: positive = closer to harmful/refusal. */
        public double refusal() {
            return dHarmless - dHarmful;
        }

        /** min(d_H, d_S), the raw OOD distance. */
        public double ood() {
            return ood;
        }

        /** Share of held-out calibration distances ≥ ood, (count + 1)/(n + 1). */
        public double oodTailProbability() {
            return oodTailProbability;
        }

        /** True when the exact path scored this record, false for the low-rank path. */
        public boolean exact() {
            return exact;
        }
    }
}
