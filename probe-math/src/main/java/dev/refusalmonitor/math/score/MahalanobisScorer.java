package dev.refusalmonitor.math.score;

import dev.refusalmonitor.math.CompactRows;
import dev.refusalmonitor.math.FloatKernels;
import dev.refusalmonitor.contract.directions.MahalanobisParams;

import java.util.Arrays;

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
 * the per-record memory traffic (1 MiB at k = 64, d = 4096 in f32), so by default ({@link #DEFAULT_STORAGE}) rows are
 * kept as scaled int16 (2 bytes, absolute error ≤ 2⁻¹⁶ · the row's max |value|) except those whose rounding the fitted
 * model says would matter: a row's term (1/λⱼ − 1/σ²)(pⱼ ∓ qⱼ)² cancels against ‖x' ∓ h‖²/σ² by a factor of about
 * λⱼ/σ², amplifying its rounding, but how much depends on the rounding itself and how it overlaps the high-variance
 * directions. {@link #chooseExactRows} estimates each row's contribution to the relative error of d from its exact
 * rounding and keeps the largest in f32 until the rest sum to ≤ {@link #COMPACT_ERROR_BUDGET} (2e-5). q is formed
 * with the stored rows, so p − q is one basis applied to x' − h. The measured errors of this rule and of the
 * encodings it was chosen over are in BENCHMARKS.md ("Mahalanobis eigenvector storage").
 * {@link EigenvectorStorage#F32} keeps the fitted rows unchanged.
 * Immutable and thread-safe; per-record work space comes from a {@link Scratch} per thread, results go into a
 * caller-owned {@link Result}, so scoring allocates nothing.
 */
public final class MahalanobisScorer {

    /** How the scorer keeps the k × d eigenvectors of the low-rank path (the direction set itself stays f32). */
    public enum EigenvectorStorage {
        /** f32 as fitted: 4 bytes per value. */
        F32,
        /** int16 fixed point with a scale per row: 2 bytes, absolute error ≤ 2⁻¹⁶ · (row's max |value|). */
        INT16_ROW_SCALED
    }

    /** The storage the public constructor uses (see the class comment for the accuracy figures behind it). */
    public static final EigenvectorStorage DEFAULT_STORAGE = EigenvectorStorage.INT16_ROW_SCALED;

    /**
     * Budget for the estimated relative error of d_H and d_S from rounding the compact rows, summed over the compact
     * rows (see {@link #chooseExactRows}). Summing the per-row RMS estimates bounds the RMS of the sum even if the
     * rows' errors were fully correlated; 2e-5 leaves a factor 50 to the 1e-3 adoption bound for the tail over many
     * records and for the model's E[d²] ≈ d being optimistic on data unlike the fit.
     */
    public static final double COMPACT_ERROR_BUDGET = 2e-5;

    /** Past (d_S + d_H) / |d_S − d_H| of this, the refusal score comes from the cancellation-free identity. */
    static final double STABLE_REFUSAL_RATIO = 16.0;

    private final int d, k;
    private final boolean l2Normalize;
    // The centre m and half-difference h, rounded to f32 once (−m, so the centring is one fma).
    private final float[] negMidpoint, half;
    // Low-rank path, rows reordered once: the first `exactRows` rows kept as f32 (`vectors`), the rest as scaled
    // int16 (`codes`, per-row factors `rowScale`). coefficients and halfProjections follow the same order.
    private final EigenvectorStorage storage;
    private final int exactRows;
    private final double estimatedCompactError;
    private final float[] vectors;
    private final short[] codes;
    private final double[] rowScale;
    private final double[] coefficients, halfProjections;
    private final double inverseRemainder;
    // Exact path (null when the params carry no factor).
    private final float[] whitening;
    private final double[] whitenedHalf;
    private final float[] calibration;
    // g = Σ⁻¹h for the path's Σ⁻¹ (low-rank with the stored rows; exact: WᵀW h): d_S² − d_H² = 4 x'·g exactly, so
    // refusal = d_S − d_H = 4 x'·g / (d_S + d_H) keeps its relative precision at any scale of x, where the direct
    // difference of two large, nearly equal distances would cancel to noise (or exactly 0).
    private final double[] lowRankGradient;
    private final double[] exactGradient;

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
        boolean[] keepExact = new boolean[k];
        if (storage == EigenvectorStorage.F32) {
            Arrays.fill(keepExact, true);
            estimatedCompactError = 0;
        } else {
            estimatedCompactError = chooseExactRows(v, params.eigenvalues(), remainder, halfD, k, d, storage, keepExact);
        }
        int[] order = new int[k];
        int r = 0;
        for (int j = 0; j < k; j++) if (keepExact[j]) order[r++] = j;
        exactRows = r;
        for (int j = 0, c = r; j < k; j++) if (!keepExact[j]) order[c++] = j;
        int nc = k - exactRows;
        float[] compactRows = new float[nc * d];
        if (storage == EigenvectorStorage.F32 && isIdentity(order)) {
            vectors = v;
        } else {
            vectors = new float[exactRows * d];
            for (int j = 0; j < exactRows; j++) System.arraycopy(v, order[j] * d, vectors, j * d, d);
        }
        for (int j = 0; j < nc; j++) System.arraycopy(v, order[exactRows + j] * d, compactRows, j * d, d);
        if (storage == EigenvectorStorage.F32) {
            codes = null;
            rowScale = null;
        } else {
            codes = new short[nc * d];
            rowScale = new double[nc];
            CompactRows.toScaledInt16(compactRows, nc, d, codes, rowScale);
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
        lowRankGradient = new double[d];
        for (int i = 0; i < d; i++) lowRankGradient[i] = halfD[i] * inverseRemainder;
        for (int j = 0; j < k; j++) {
            double a = coefficients[j] * halfProjections[j];
            if (j < exactRows) {
                int o = j * d;
                for (int i = 0; i < d; i++) lowRankGradient[i] += a * vectors[o + i];
            } else {
                int c = j - exactRows;
                int o = c * d;
                double sc = a * rowScale[c];
                for (int i = 0; i < d; i++) lowRankGradient[i] += sc * codes[o + i];
            }
        }
        if (whitening != null) {
            exactGradient = new double[d];
            int base = 0;
            for (int i = 0; i < d; i++) {
                double wi = whitenedHalf[i];
                for (int j = 0; j <= i; j++) exactGradient[j] += whitening[base + j] * wi;
                base += i + 1;
            }
        } else {
            exactGradient = null;
        }
    }

    private static boolean isIdentity(int[] order) {
        for (int j = 0; j < order.length; j++) if (order[j] != j) return false;
        return true;
    }

    /** (stored 16-bit row j) · h in f64: Σ decoded code · h, times the row's factor. */
    private double storedRowDot(int j, double[] h) {
        double s = 0;
        for (int i = 0; i < d; i++) s += codes[j * d + i] * h[i];
        return s * rowScale[j];
    }

    /** How many eigenvector rows stay f32 (all k for F32; otherwise the rows {@link #chooseExactRows} keeps). */
    public int exactRowCount() {
        return exactRows;
    }

    /**
     * The model's estimate of the relative error of d_H, d_S caused by the compact rows (summed per-row RMS
     * estimates, ≤ {@link #COMPACT_ERROR_BUDGET}; 0 for F32).
     */
    public double estimatedCompactError() {
        return estimatedCompactError;
    }

    /**
     * Decides which rows stay f32 under a compact storage, from each row's exact rounding perturbation
     * δv_j = decode(encode(v_j)) − v_j, and returns the summed estimate of the rows left compact.
     *
     * <p>Model: under the fit, x' ∓ h ~ N(0, Σ) for the record's own class, Σ = V diag(λ) Vᵀ + σ²(I − VVᵀ). Rounding
     * row j changes e_j = p_j ∓ q_j by δe_j = δv_j·(x' ∓ h) (q is formed with the stored row, so only x' ∓ h enters);
     * against the own class E[δe_j²] = δv_jᵀ Σ δv_j = Σ_i λ_i (δv_j·v_i)² + σ²(‖δv_j‖² − Σ_i (δv_j·v_i)²), against the
     * other class (mean offset 2h) add (2 δv_j·h)²; likewise E[e_j²] = λ_j, plus (2q_j)² for the other class. The
     * larger (other-class) pair is used: A_j = λ_j + 4q_j², B_j = δv_jᵀΣδv_j + 4(δv_j·h)². The change of d² is
     * c_j(2 e_j δe_j + δe_j²) with c_j = 1/λ_j − 1/σ², and Δd/d = Δd²/(2d²) with E[d²] ≈ d (the own-class value,
     * the smaller one), so the RMS relative error of d from row j is about
     * ε_j = |c_j| (√(A_j B_j) + B_j/2) / d. For λ_j ≫ σ², |c_j| ≈ 1/σ² and √A_j ≈ √λ_j: the λ_j/σ² amplification the
     * old fixed rule (λ_j ≥ 16σ² stays f32) guarded against, now weighed against the actual rounding and its overlap
     * with the high-variance directions.
     *
     * <p>Rule: rows are taken in increasing ε_j (ties by index) and left compact while Σ ε_j ≤
     * {@link #COMPACT_ERROR_BUDGET}; the rest stay f32. Cost: k dot products of length d per row, once.
     *
     * @param keepExact [k], set true for the rows that stay f32 (modified)
     * @return Σ ε_j over the compact rows
     */
    static double chooseExactRows(float[] v, double[] lambda, double sigma2, double[] h, int k, int d,
                                  EigenvectorStorage storage, boolean[] keepExact) {
        short[] codes = new short[k * d];
        double[] scale = new double[k];
        if (storage != EigenvectorStorage.INT16_ROW_SCALED)
            throw new IllegalArgumentException("storage " + storage + " is not compact");
        CompactRows.toScaledInt16(v, k, d, codes, scale);
        double[] delta = new double[d];
        double[] estimate = new double[k];
        Integer[] byEstimate = new Integer[k];
        for (int j = 0; j < k; j++) {
            double norm2 = 0, deltaH = 0, q = 0;
            for (int i = 0; i < d; i++) {
                double decoded = codes[j * d + i] * scale[j];
                double e = decoded - v[j * d + i];
                delta[i] = e;
                norm2 += e * e;
                deltaH += e * h[i];
                q += v[j * d + i] * h[i];
            }
            double variance = sigma2 * norm2; // δvᵀΣδv = σ²‖δv‖² + Σ_i (λ_i − σ²)(δv·v_i)²
            for (int i = 0; i < k; i++) {
                double t = dot(v, i * d, delta, d);
                variance += (lambda[i] - sigma2) * t * t;
            }
            double b = Math.max(variance, 0.0) + 4 * deltaH * deltaH;
            double a = lambda[j] + 4 * q * q;
            estimate[j] = Math.abs(1.0 / lambda[j] - 1.0 / sigma2) * (Math.sqrt(a * b) + 0.5 * b) / d;
            byEstimate[j] = j;
        }
        Arrays.sort(byEstimate, (x, y) -> estimate[x] != estimate[y] ? Double.compare(estimate[x], estimate[y]) : Integer.compare(x, y));
        Arrays.fill(keepExact, true);
        double sum = 0;
        for (int j : byEstimate) {
            if (!(sum + estimate[j] <= COMPACT_ERROR_BUDGET)) break;
            sum += estimate[j];
            keepExact[j] = false;
        }
        return sum;
    }

    /** The storage of the low-rank eigenvectors. */
    public EigenvectorStorage storage() {
        return storage;
    }

    public int d() {
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
     * @throws IllegalArgumentException when x is out of bounds, or zero under L2 normalisation
     * @throws ArithmeticException when x is so large that a squared distance overflows (finite input only)
     */
    public Result score(float[] x, int off, boolean exact, Scratch scratch, Result out) {
        requireExactFactor(exact);
        if (scratch.centred.length != d) throw new IllegalArgumentException("scratch is for d = " + scratch.centred.length + ", scorer has d = " + d);
        centre(x, off, scratch.centred, scratch.norms);
        if (exact) return finishExact(scratch.centred, scratch.whitened, out);
        float[] p = scratch.projections, pc = scratch.compactProjections;
        FloatKernels.rowDots(vectors, exactRows, scratch.centred, d, p);
        if (k > exactRows) CompactRows.rowDotsInt16(codes, k - exactRows, scratch.centred, d, pc);
        return finishLowRank(scratch.centred, scratch.norms, p, 0, pc, 0, out);
    }

    /**
     * Scores the rows xs[0..n) (each of length d) as {@link #score} would, each with the same bits, taking the
     * low-rank eigenvectors four rows at a time for all n records: the int16 rows are widened to f32 once for four
     * records ({@link CompactRows#rowDotsInt16(short[], int, int, float[][], int, int, float[], int)}), which is what
     * bounds a record's cost at d = 4096. The exact path scores record by record.
     * Throws as {@link #score} does for the first record that fails; out[0..n) modified.
     */
    public void scoreBatch(float[][] xs, int n, boolean exact, BatchScratch scratch, Result[] out) {
        requireExactFactor(exact);
        if (n > scratch.capacity) throw new IllegalArgumentException(n + " records for a batch scratch of " + scratch.capacity);
        if (!canUse(scratch)) throw new IllegalArgumentException("batch scratch is for d = " + scratch.d + ", k = " + scratch.k + "; scorer has d = " + d + ", k = " + k);
        float[][] xc = scratch.centred;
        for (int b = 0; b < n; b++) centre(xs[b], 0, xc[b], scratch.norms[b]);
        if (exact) {
            for (int b = 0; b < n; b++) finishExact(xc[b], scratch.whitened, out[b]);
            return;
        }
        // Blocks of four rows, as the kernels take them within one call, so every record's projections keep their bits.
        float[] p = scratch.projections, pc = scratch.compactProjections;
        for (int j = 0; j < exactRows; j += 4) {
            int rows = Math.min(4, exactRows - j);
            for (int b = 0; b < n; b++) FloatKernels.rowDots(vectors, j * d, rows, xc[b], d, p, b * k + j);
        }
        // Four int16 rows are widened once for four records at a time (the widening, not the memory, bounds this).
        if (k > exactRows) CompactRows.rowDotsInt16(codes, 0, k - exactRows, xc, n, d, pc, k);
        for (int b = 0; b < n; b++) finishLowRank(xc[b], scratch.norms[b], p, b * k, pc, b * k, out[b]);
    }

    private void requireExactFactor(boolean exact) {
        if (exact && whitening == null)
            throw new IllegalStateException("the exact Mahalanobis path was requested but this direction set stores no exact whitening factor (refit with the exact factor or use the low-rank path)");
    }

    /**
     * Centres x[off..off+d) on the midpoint of the class means (scaled to unit norm first under L2 normalisation)
     * into xc, and norms = {‖x' − h‖², ‖x' + h‖²}. As f32 (the SIMD kernels read f32 rows), in the same pass as the
     * two squared norms; the difference is one fma, rounded once, so a row near the midpoint keeps its relative
     * precision.
     */
    private void centre(float[] x, int off, float[] xc, double[] norms) {
        if (off < 0 || off > x.length - d)
            throw new IllegalArgumentException("row [" + off + ", " + (off + d) + ") is outside an array of " + x.length);
        float scale = 1f;
        if (l2Normalize) {
            double norm = Math.sqrt(FloatKernels.dot(x, off, x, off, d));
            if (!(norm > 0) || !Double.isFinite(norm)) throw new IllegalArgumentException("x has norm " + norm + " and cannot be L2-normalised");
            scale = (float) (1.0 / norm);
        }
        FloatKernels.centreAndSquaredNorms(x, off, scale, negMidpoint, half, xc, d, norms);
    }

    private Result finishExact(float[] xc, float[] y, Result out) {
        // y = W (x − m); d_H² = ‖y − W h‖², d_S² = ‖y + W h‖² with h = (μ_H − μ_S)/2.
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
        return finish(xc, sH, sS, true, out);
    }

    /** p[pOff..) are the f32 rows' projections, pc[pcOff..) the int16 rows' (before their row factors). */
    private Result finishLowRank(float[] xc, double[] norms, float[] p, int pOff, float[] pc, int pcOff, Result out) {
        // Σ⁻¹ ≈ (1/σ²) I + V diag(1/λ − 1/σ²) Vᵀ, so a record costs k dot products plus one pass for ‖x − μ_c‖².
        // The squared norms are summed directly (norms[0], norms[1]), not expanded as ‖x'‖² ∓ 2x'·h + ‖h‖²: near a
        // class mean the expansion cancels and f32 rounding would swamp a small distance. Summing non-negative
        // terms in f32 lanes keeps a relative error of a few 1e-6 (FloatKernels.centreAndSquaredNorms).
        double dH2 = norms[0] * inverseRemainder;
        double dS2 = norms[1] * inverseRemainder;
        for (int j = 0; j < k; j++) {
            double pj = j < exactRows ? p[pOff + j] : pc[pcOff + j - exactRows] * rowScale[j - exactRows];
            double eH = pj - halfProjections[j], eS = pj + halfProjections[j];
            dH2 += coefficients[j] * eH * eH;
            dS2 += coefficients[j] * eS * eS;
        }
        return finish(xc, dH2, dS2, false, out);
    }

    private Result finish(float[] xc, double dH2, double dS2, boolean exact, Result out) {
        if (!Double.isFinite(dH2) || !Double.isFinite(dS2))
            throw new ArithmeticException("a squared Mahalanobis distance overflowed (x too large for this direction set)");
        // Rounding can take a tiny squared distance just below zero.
        double dH = Math.sqrt(Math.max(dH2, 0.0)), dS = Math.sqrt(Math.max(dS2, 0.0));
        double ood = Math.min(dH, dS);
        // d_S − d_H directly while it is at least 1/16 of d_S + d_H (its error is then ≤ ~16× the distances' relative
        // error); past that the difference cancels, and the identity d_S² − d_H² = 4x'ᵀΣ⁻¹h gives it at full relative
        // precision. Both branches depend on the values only, so offline and stream still agree bit for bit.
        double sum = dH + dS;
        double refusal = dS - dH;
        if (sum > STABLE_REFUSAL_RATIO * Math.abs(refusal)) {
            refusal = sum > 0 ? 4.0 * FloatKernels.dotF64(xc, 0, exact ? exactGradient : lowRankGradient, d) / sum : 0.0;
        }
        if (!Double.isFinite(refusal)) throw new ArithmeticException("the Mahalanobis refusal score overflowed");
        out.set(dH, dS, refusal, ood, tailProbability(ood), exact);
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

    /** Whether {@link #scoreBatch} can use this work space (made for the same d and k). */
    public boolean canUse(BatchScratch scratch) {
        return scratch.d == d && scratch.k == k;
    }

    /** Work space for {@link #scoreBatch} of up to {@code capacity} records. Not thread-safe. */
    public BatchScratch newBatchScratch(int capacity) {
        return new BatchScratch(d, k, capacity);
    }

    /** Per-thread work space for {@link #scoreBatch}: the centred rows and projections of every record in a batch. */
    public static final class BatchScratch {
        private final int d, k, capacity;
        private final float[][] centred;
        private final double[][] norms;
        private final float[] projections, compactProjections, whitened;

        private BatchScratch(int d, int k, int capacity) {
            if (capacity < 1) throw new IllegalArgumentException("batch capacity must be ≥ 1, got " + capacity);
            this.d = d;
            this.k = k;
            this.capacity = capacity;
            centred = new float[capacity][d];
            norms = new double[capacity][2];
            projections = new float[capacity * k];
            compactProjections = new float[capacity * k];
            whitened = new float[d];
        }
    }

    /** One record's Mahalanobis scores; owned and reused by the caller. */
    public static final class Result {
        private double dHarmful, dHarmless, refusal, ood, oodTailProbability;
        private boolean exact;

        void set(double dH, double dS, double refusal, double ood, double tail, boolean exact) {
            this.dHarmful = dH;
            this.dHarmless = dS;
            this.refusal = refusal;
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

        /**
         * d_S − d_H: positive = closer to harmful/refusal. Where the plain difference would cancel (it is below 1/16 of
         * d_S + d_H, as for x far from both means) it is computed as (d_S² − d_H²)/(d_S + d_H) = 4x'ᵀΣ⁻¹h/(d_S + d_H),
         * which keeps its relative precision at any scale of x.
         */
        public double refusal() {
            return refusal;
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
