package dev.refusalmonitor.math.score;

import dev.refusalmonitor.math.FloatKernels;
import dev.refusalmonitor.contract.directions.CastParams;

/**
 * CAST condition similarity (DESIGN score 5, seeds §8.7): s(x) = cos(x, tanh(P x)) with P = c cᵀ / (cᵀ c).
 *
 * <p>P x = a c with the scalar a = (c · x)/(cᵀ c), so tanh(P x)_j = tanh(a c_j): one f32 dot product for a
 * ({@link FloatKernels#dot}), then one pass computing Σ x_j t_j, Σ t_j² and Σ x_j² together
 * ({@link FloatKernels#tanhCosine}, with the deterministic f32 {@link FloatKernels#tanh(float)}); s agrees with the f64
 * formula to about 1e-6 and its bits do not depend on JIT state. The trainer's grid search uses this class too, so
 * trainer and monitor agree exactly. Immutable, thread-safe, no allocation per record. s is 0 when x or tanh(P x) is
 * the zero vector.
 */
public final class CastScorer {
    private final float[] c;
    private final double cc;
    private final double threshold;
    private final boolean firesAbove;

    /** @param params condition vector c (copied), threshold θ and comparator */
    public CastScorer(CastParams params) {
        this(params.conditionVector(), params.threshold(), params.firesAbove());
    }

    /** A scorer for the similarity only, or with a rule. c is copied. */
    public CastScorer(float[] conditionVector, double threshold, boolean firesAbove) {
        if (conditionVector == null || conditionVector.length == 0)
            throw new IllegalArgumentException("CAST condition vector is empty");
        c = conditionVector.clone();
        double s = 0;
        for (float v : c) {
            if (!Float.isFinite(v)) throw new IllegalArgumentException("CAST condition vector has a non-finite value");
            s += (double) v * v;
        }
        if (!(s > 0)) throw new IllegalArgumentException("CAST condition vector is zero");
        cc = s;
        this.threshold = threshold;
        this.firesAbove = firesAbove;
    }

    public int d() {
        return c.length;
    }

    /** s(x) for the row x[off..off+d). */
    public double similarity(float[] x, int off) {
        int d = c.length;
        if (off < 0 || off + d > x.length)
            throw new IllegalArgumentException("row at " + off + " of length " + d + " exceeds array of " + x.length);
        double a = FloatKernels.dot(c, 0, x, off, d) / cc;
        return FloatKernels.tanhCosine(x, off, c, a, d);
    }

    /** s(x) for a whole vector of length d. */
    public double similarity(float[] x) {
        if (x.length != c.length)
            throw new IllegalArgumentException("x has length " + x.length + ", CAST expects d = " + c.length);
        return similarity(x, 0);
    }

    /** The rule: s &gt; θ when firesAbove, s &lt; θ otherwise. */
    public boolean fires(double similarity) {
        return firesAbove ? similarity > threshold : similarity < threshold;
    }

    /** The tanh CAST uses: {@link FloatKernels#tanh(float)}, f32, within 3.2e-7 of the exact value (deterministic). */
    public static float tanh(float y) {
        return FloatKernels.tanh(y);
    }
}
