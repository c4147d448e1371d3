package dev.refusalmonitor.monitor.metrics;

/**
 * The scores whose distributions are exported, with histogram upper bounds suited to each range.
 * Tag values match the JSON field names of docs/DESIGN.md.
 */
public enum ScoreKind {
    /** Probe probability of the harmful/refused class, in [0, 1]: steps of 0.05. */
    PROBE_PROBABILITY("probe_probability", steps(0.05, 1.0, 0.05)),
    /**
     * d_S − d_H, signed (positive = closer to refusal). Symmetric powers of two up to 256: distances on
     * unnormalised residual streams reach hundreds, differences cluster near zero.
     */
    MAHALANOBIS_REFUSAL("mahalanobis_refusal", symmetricPowersOfTwo(-1, 8)),
    /** min_c d_c, non-negative raw distance: powers of two from 0.5 to 1024. */
    MAHALANOBIS_OOD("mahalanobis_ood", powersOfTwo(-1, 10)),
    /** CAST cosine similarity in [-1, 1]: steps of 0.1. */
    CAST_SIMILARITY("cast_similarity", steps(-0.9, 1.0, 0.1));

    private final String tag;
    private final double[] bounds;

    ScoreKind(String tag, double[] bounds) {
        this.tag = tag;
        this.bounds = bounds;
    }

    /** The {@code score} tag value. */
    public String tag() {
        return tag;
    }

    /** Finite bucket upper bounds, ascending ({@code +Inf} is added on export). */
    public double[] bounds() {
        return bounds.clone();
    }

    private static double[] steps(double from, double to, double step) {
        int n = (int) Math.round((to - from) / step) + 1;
        double[] b = new double[n];
        for (int i = 0; i < n; i++) {
            // Rounded so the le label reads 0.35, not 0.35000000000000003.
            b[i] = Math.round((from + i * step) * 1e6) / 1e6;
        }
        return b;
    }

    private static double[] powersOfTwo(int fromExp, int toExp) {
        double[] b = new double[toExp - fromExp + 1];
        for (int i = 0; i < b.length; i++) {
            b[i] = Math.pow(2, fromExp + i);
        }
        return b;
    }

    private static double[] symmetricPowersOfTwo(int fromExp, int toExp) {
        double[] pos = powersOfTwo(fromExp, toExp);
        double[] b = new double[2 * pos.length + 1];
        for (int i = 0; i < pos.length; i++) {
            b[i] = -pos[pos.length - 1 - i];
            b[pos.length + 1 + i] = pos[i];
        }
        b[pos.length] = 0.0;
        return b;
    }
}
