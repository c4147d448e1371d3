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
 * @param castThreshold θ calibrated to the target FPR on out-of-fold similarities
 * @param castComparator "greater" (fires when s &gt; θ) or "less"
 * @param castF1 out-of-fold F1 at θ
 * @param cvProbeAuc k-fold CV probe AUC over all rows (pooled out-of-fold logits)
 * @param cvProbeAucMean mean of the per-fold AUCs
 * @param cvProbeAucStd standard deviation of the per-fold AUCs
 * @param cvProbeTpr pooled out-of-fold TPR at the target FPR (the layer ranking's first key)
 * @param cvProbeTprMean mean of the per-fold TPRs at the target FPR
 * @param cvProbeTprStd standard deviation of the per-fold TPRs
 * @param cvProbeLogLoss pooled out-of-fold log-loss (the ranking's second key)
 * @param probeThreshold the published probe's decision threshold (probability) at the target FPR
 * @param castTpr out-of-fold TPR of the CAST rule at the target FPR
 * @param castExpectedFpr expected FPR of the CAST rule ((k+1)/(n+1), see {@link OperatingPoint})
 */
public record LayerReport(int layer,
                          int trainHarmful, int trainHarmless, int holdoutHarmful, int holdoutHarmless,
                          double dimAuc, double fisherAuc, double probeAuc, double probeAccuracy,
                          double shuffledProbeAccuracy, double selectivity, double mahalanobisAuc, double pcaAuc,
                          double ledoitWolfShrinkage, double conditionNumber, double eigenvalueFloor,
                          double castThreshold, String castComparator, double castF1,
                          double cvProbeAuc, double cvProbeAucMean, double cvProbeAucStd,
                          double cvProbeTpr, double cvProbeTprMean, double cvProbeTprStd, double cvProbeLogLoss,
                          double probeThreshold, double castTpr, double castExpectedFpr) {
}
