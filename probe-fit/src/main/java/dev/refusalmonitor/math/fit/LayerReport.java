package dev.refusalmonitor.math.fit;

/**
 * Held-out quality figures for one layer (the report.json "layers" entries). AUCs are ROC AUC on the held-out rows
 * with harmful as the positive class; NaN never appears (a figure that cannot be computed fails the fit).
 *
 * @param layer Hugging Face hidden_states index
 * @param trainHarmful rows used to fit for the evaluation
 * @param holdoutHarmful rows used to evaluate
 * @param dimAuc AUC of x·r̂
 * @param fisherAuc AUC of x·ŵ
 * @param probeAuc AUC of the probe probability
 * @param probeAccuracy accuracy of the probe at its decision threshold
 * @param shuffledProbeAccuracy accuracy of the same probe trained on shuffled labels
 * @param selectivity probeAccuracy − shuffledProbeAccuracy (compendium §4.4)
 * @param mahalanobisAuc AUC of d_S − d_H
 * @param pcaAuc AUC of the PCA reading vector projection
 * @param ledoitWolfShrinkage shrinkage coefficient of the full fit
 * @param conditionNumber of the shrunk covariance, full fit
 * @param eigenvalueFloor smallest eigenvalue of the shrunk covariance, full fit
 * @param castThreshold θ chosen on held-out data
 * @param castComparator "greater" (fires when s &gt; θ) or "less"
 * @param castF1 held-out F1 at θ
 */
public record LayerReport(int layer,
                          int trainHarmful, int trainHarmless, int holdoutHarmful, int holdoutHarmless,
                          double dimAuc, double fisherAuc, double probeAuc, double probeAccuracy,
                          double shuffledProbeAccuracy, double selectivity, double mahalanobisAuc, double pcaAuc,
                          double ledoitWolfShrinkage, double conditionNumber, double eigenvalueFloor,
                          double castThreshold, String castComparator, double castF1) {
}
