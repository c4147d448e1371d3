package dev.refusalmonitor.math.fit;

/**
 * Held-out quality of a probe (DESIGN score 3).
 *
 * @param accuracy held-out accuracy of the probe at its decision threshold
 * @param auc held-out ROC AUC of p(H)
 * @param shuffledAccuracy held-out accuracy (true labels) of the same probe trained on shuffled labels
 * @param selectivity accuracy − shuffledAccuracy (seeds §4.4)
 */
public record ProbeEvaluation(double accuracy, double auc, double shuffledAccuracy, double selectivity) {
}
