package dev.refusalmonitor.contract.directions;

/**
 * L2 logistic probe (DESIGN score 3): p(H) = sigmoid(coefficients . ((x - featureMean) / featureStd) + intercept).
 *
 * @param featureMean training mean per feature [d]
 * @param featureStd population std per feature [d] (scikit-learn StandardScaler; zero replaced by 1)
 * @param coefficients weights in standardised space [d]
 * @param intercept bias (not regularised)
 * @param c inverse regularisation strength of the fit
 * @param decisionThreshold probability at or above which a request is flagged (calibrated to the set's target FPR)
 */
public record LogisticProbeParams(float[] featureMean, float[] featureStd, float[] coefficients,
                                  double intercept, double c, double decisionThreshold) {
}
