package dev.refusalmonitor.math.score;

/**
 * Every score of one request (DESIGN "The scores"), written by {@link DirectionSetScorer}. Mutable and reused: one
 * instance per scoring thread, so scoring allocates nothing per record. Field names follow the score record.
 */
public final class Scores {
    /** Layer whose per-layer scores these are (the set's scoring layer). */
    public int layer;
    public long directionsVersion;
    /** x·r̂ and its standardisation by the training projections. */
    public double dim;
    public double dimStandardized;
    /** x·ŵ. */
    public double fisher;
    /** The headline probe's p(H): the multi-layer probe when the set has one, else the scoring layer's probe. */
    public double probeProbability;
    /** The scoring layer's probe p(H) (equal to probeProbability when the set has no multi-layer probe). */
    public double layerProbeProbability;
    /** probeProbability ≥ the headline probe's decision threshold (calibrated to the set's target FPR). */
    public boolean flagged;
    /** d_S − d_H (positive = closer to harmful). */
    public double mahalanobisRefusal;
    /** min_c d_c, the raw distance. */
    public double mahalanobisOod;
    /** Share of held-out in-distribution distances at least this large ((count + 1) / (n + 1)). */
    public double oodTailProbability;
    /** True when the exact Σ⁻¹ scored, false for the low-rank path. */
    public boolean mahalanobisExact;
    public double castSimilarity;
    public boolean castFired;
    public double angleDeg;
    public String sector;
    /** Mean of per-layer standardised d_S − d_H; NaN when the set has no ensemble. */
    public double mahalanobisEnsemble = Double.NaN;

    public String mahalanobisPath() {
        return mahalanobisExact ? "exact" : "low_rank";
    }

    public boolean hasEnsemble() {
        return !Double.isNaN(mahalanobisEnsemble);
    }
}
