package dev.refusalmonitor.math.score;

import dev.refusalmonitor.math.directions.CastParams;

/**
 * CAST condition similarity (DESIGN score 5, seeds §8.7): s(x) = cos(x, tanh(P x)) with P = c cᵀ / (cᵀ c).
 *
 * <p>P x = a c with the scalar a = (c · x)/(cᵀ c), so tanh(P x)_j = tanh(a c_j): one dot product for a, then one
 * pass computing Σ x_j t_j, Σ t_j² and Σ x_j² together. tanh uses the intrinsic {@code Math.exp}
 * (1 − 2/(e^{2|y|} + 1)) and an odd Taylor polynomial near 0, accurate to ~1e-14 relative. Immutable,
 * thread-safe, no allocation per record. s is 0 when x or tanh(P x) is the zero vector.
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

    public int dim() {
        return c.length;
    }

    /** s(x) for the row x[off..off+d). */
    public double similarity(float[] x, int off) {
        int d = c.length;
        if (off < 0 || off + d > x.length)
            throw new IllegalArgumentException("row at " + off + " of length " + d + " exceeds array of " + x.length);
        double cx0 = 0, cx1 = 0;
        int j = 0;
        for (; j + 1 < d; j += 2) {
            cx0 += c[j] * (double) x[off + j];
            cx1 += c[j + 1] * (double) x[off + j + 1];
        }
        if (j < d) cx0 += c[j] * (double) x[off + j];
        double a = (cx0 + cx1) / cc;
        double xt = 0, tt = 0, xx = 0;
        for (j = 0; j < d; j++) {
            double t = tanh(a * c[j]);
            double xj = x[off + j];
            xt += xj * t;
            tt += t * t;
            xx += xj * xj;
        }
        if (tt == 0 || xx == 0) return 0.0;
        return xt / (Math.sqrt(xx) * Math.sqrt(tt));
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

    /**
     * tanh(y) to ~1e-14 relative: for |y| &lt; 0.0625 the odd series y − y³/3 + 2y⁵/15 − 17y⁷/315 + 62y⁹/2835
     * (truncation &lt; 1e-16 relative), else sign(y)(1 − 2/(e^{2|y|} + 1)) with the intrinsic exp.
     */
    public static double tanh(double y) {
        double ay = Math.abs(y);
        if (ay < 0.0625) {
            double y2 = y * y;
            return y * (1 + y2 * (-1.0 / 3 + y2 * (2.0 / 15 + y2 * (-17.0 / 315 + y2 * (62.0 / 2835)))));
        }
        if (ay > 20) return Math.copySign(1.0, y); // tanh(20) = 1 − 8e-18
        double r = 1 - 2 / (Math.exp(2 * ay) + 1);
        return Math.copySign(r, y);
    }
}
