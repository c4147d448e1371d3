package dev.refusalmonitor.math.drift;

/**
 * The difference of two proportions p_a − p_e (window minus reference) with a confidence interval.
 *
 * @param countA      events in the window (e.g. flagged requests)
 * @param nA          requests in the window
 * @param countE      events in the reference
 * @param nE          requests in the reference
 * @param difference  p_a − p_e = countA/nA − countE/nE (positive = the window's rate is higher)
 * @param lower       lower bound of the interval (Newcombe's hybrid score interval, see
 *                    {@link DriftStatistics#rateDifference})
 * @param upper       upper bound
 * @param z           the normal quantile the interval was built with (1.959964 for 95 %)
 * @param significant true when the interval excludes 0
 */
public record RateDifference(long countA, long nA, long countE, long nE, double difference, double lower,
                             double upper, double z, boolean significant) {

    public double rateA() {
        return (double) countA / nA;
    }

    public double rateE() {
        return (double) countE / nE;
    }
}
