package dev.refusalmonitor.math.fit;

import java.util.Arrays;

/**
 * ROC AUC exactly as {@code sklearn.metrics.roc_auc_score} for binary labels: the probability that a random
 * harmful row scores above a random harmless one, ties counted ½ (the trapezoidal ROC area equals the
 * Mann–Whitney statistic with mid-ranks). O(n log n). Harmful (true) is the positive class: higher scores mean
 * harmful.
 */
public final class RocAuc {
    private RocAuc() {
    }

    /**
     * AUC = (Σ_{i∈H} rank_i − n_H(n_H+1)/2) / (n_H n_S), with mid-ranks for ties.
     *
     * @param scores per row, not modified; must be finite
     * @param harmful per row, true for the positive class; not modified; both classes required
     */
    public static double auc(double[] scores, boolean[] harmful) {
        if (scores == null || harmful == null) throw new IllegalArgumentException("scores and labels are required");
        int n = scores.length;
        if (harmful.length != n)
            throw new IllegalArgumentException(n + " scores but " + harmful.length + " labels");
        long nPos = 0;
        for (boolean b : harmful) if (b) nPos++;
        long nNeg = n - nPos;
        if (nPos == 0 || nNeg == 0)
            throw new IllegalArgumentException("ROC AUC needs both classes, got " + nPos + " harmful of " + n);
        for (int i = 0; i < n; i++)
            if (!Double.isFinite(scores[i])) throw new IllegalArgumentException("score " + i + " is not finite");
        // Index sort by score, then walk groups of equal scores to give each group its mid-rank.
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) order[i] = i;
        Arrays.sort(order, (a, b) -> Double.compare(scores[a], scores[b]));
        double rankSumPos = 0;
        int i = 0;
        while (i < n) {
            int j = i;
            long posInGroup = 0;
            while (j < n && scores[order[j]] == scores[order[i]]) {
                if (harmful[order[j]]) posInGroup++;
                j++;
            }
            double midRank = (i + 1 + j) / 2.0; // ranks i+1..j, averaged
            rankSumPos += posInGroup * midRank;
            i = j;
        }
        return (rankSumPos - nPos * (nPos + 1) / 2.0) / ((double) nPos * nNeg);
    }

    /** Share of rows where (score ≥ threshold) equals the label. Labels and scores not modified. */
    public static double accuracy(double[] scores, boolean[] harmful, double threshold) {
        if (scores == null || harmful == null || scores.length != harmful.length || scores.length == 0)
            throw new IllegalArgumentException("accuracy needs equally many (≥ 1) scores and labels");
        int correct = 0;
        for (int i = 0; i < scores.length; i++) if ((scores[i] >= threshold) == harmful[i]) correct++;
        return correct / (double) scores.length;
    }
}
