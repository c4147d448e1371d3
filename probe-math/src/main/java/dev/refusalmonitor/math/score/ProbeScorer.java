package dev.refusalmonitor.math.score;

import dev.refusalmonitor.math.FloatKernels;
import dev.refusalmonitor.contract.directions.LogisticProbeParams;

/**
 * Scores DESIGN score 3, the probe probability p(H) = sigmoid(v · ((x − μ)/σ) + b).
 *
 * <p>The standardisation is folded in at construction: w_j = v_j / σ_j and β = b − Σ_j v_j μ_j / σ_j, so
 * p(H) = sigmoid(w · x + β) costs one dot product, {@link FloatKernels#dotF64} (x widened to f64 SIMD lanes, f64
 * weights and accumulation). The folding makes w · x and β both of size Σ |w_j μ_j| and they cancel to the logit;
 * in f64 their rounding (~1e-16 of that size) stays negligible, where an f32 dot (~1e-7 of it, amplified by the
 * cancellation when features have large means) would not. Harmful scores higher. Immutable and thread-safe; scoring
 * allocates nothing.
 */
public final class ProbeScorer {
    private final double[] weights;
    private final double bias;
    private final double threshold;

    /** @param params fitted probe; not modified (its arrays are copied into the folded form) */
    public ProbeScorer(LogisticProbeParams params) {
        int d = params.coefficients().length;
        if (d == 0) throw new IllegalArgumentException("probe has no coefficients");
        if (params.featureMean().length != d || params.featureStd().length != d)
            throw new IllegalArgumentException("probe: featureMean/featureStd/coefficients lengths differ ("
                    + params.featureMean().length + ", " + params.featureStd().length + ", " + d + ")");
        weights = new double[d];
        double b = params.intercept();
        for (int j = 0; j < d; j++) {
            double s = params.featureStd()[j];
            if (!(s > 0) || !Double.isFinite(s))
                throw new IllegalArgumentException("probe: featureStd[" + j + "] must be > 0, got " + s);
            weights[j] = params.coefficients()[j] / s;
            b -= weights[j] * params.featureMean()[j];
        }
        if (!Double.isFinite(b)) throw new IllegalArgumentException("probe: non-finite folded bias");
        bias = b;
        threshold = params.decisionThreshold();
    }

    public int d() {
        return weights.length;
    }

    /** The logit w · x[off..off+d) + β (log-odds of harmful). */
    public double logit(float[] x, int off) {
        int d = weights.length;
        if (off < 0 || off + d > x.length)
            throw new IllegalArgumentException("row at " + off + " of length " + d + " exceeds array of " + x.length);
        return FloatKernels.dotF64(x, off, weights, d) + bias;
    }

    /** p(H) = sigmoid(logit) for the row x[off..off+d). */
    public double probability(float[] x, int off) {
        return sigmoid(logit(x, off));
    }

    /** p(H) for a whole row vector of length d. */
    public double probability(float[] x) {
        if (x.length != weights.length)
            throw new IllegalArgumentException("x has length " + x.length + ", probe expects d = " + weights.length);
        return probability(x, 0);
    }

    /** p(H) for each row of a row-major [n, d] matrix into {@code out} (modified; null = allocate). */
    public double[] probabilities(float[] x, int n, double[] out) {
        int d = weights.length;
        if ((long) n * d != x.length)
            throw new IllegalArgumentException("x has length " + x.length + ", expected n * d = " + n + " * " + d);
        if (out == null) out = new double[n];
        if (out.length < n) throw new IllegalArgumentException("out has " + out.length + " slots for " + n + " rows");
        for (int i = 0; i < n; i++) out[i] = probability(x, i * d);
        return out;
    }

    /** True when p ≥ the decision threshold. */
    public boolean flagged(double probability) {
        return probability >= threshold;
    }

    public double decisionThreshold() {
        return threshold;
    }

    /** Numerically stable logistic function: never evaluates exp of a large positive number. */
    public static double sigmoid(double t) {
        if (t >= 0) return 1 / (1 + Math.exp(-t));
        double e = Math.exp(t);
        return e / (1 + e);
    }
}
