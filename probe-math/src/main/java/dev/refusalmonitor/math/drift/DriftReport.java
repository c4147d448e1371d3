package dev.refusalmonitor.math.drift;

import java.util.List;
import java.util.Map;

/**
 * The verdict on one closed window of one slice, compared with the slice's reference. Before the reference is
 * ready (fewer than R closed windows), every comparison field is NaN or null and {@code drifted} is false.
 *
 * @param slice                 the slice
 * @param windowIndex           0-based index of this window among the slice's closed windows
 * @param closedBy              why the window closed
 * @param firstEventMs          smallest event time in the window
 * @param lastEventMs           largest event time in the window
 * @param n                     requests in the window
 * @param probeProbabilityMean  mean probe p(H)
 * @param flaggedRate           share of flagged requests
 * @param castFireRate          share of requests on which CAST fired
 * @param oodRate               share of requests whose OOD tail probability was below the level
 * @param sectorShares          share per sector bucket (configured order, then {@link WindowAggregate#OTHER_SECTOR})
 * @param referenceReady        whether a reference existed to compare with
 * @param referenceN            requests in the reference (0 when not ready)
 * @param psiProbability        PSI of the probe-probability histogram, window vs reference
 * @param ksProbability         binned KS statistic D of the probe probability
 * @param ksProbabilityPValue   its asymptotic p-value
 * @param psiMahalanobis        PSI of the Mahalanobis refusal-score histogram
 * @param ksMahalanobis         binned KS statistic D of the Mahalanobis refusal score
 * @param ksMahalanobisPValue   its asymptotic p-value
 * @param psiSectors            PSI of the sector counts
 * @param flaggedDifference     flagged rate, window − reference, 95 % Newcombe interval
 * @param castFireDifference    CAST fire rate, window − reference, 95 % Newcombe interval
 * @param oodDifference         OOD rate, window − reference, 95 % Newcombe interval
 * @param flaggedZ              pooled two-proportion z of the flagged rate (the CUSUM input)
 * @param cusumUp               upper CUSUM S⁺ after this window
 * @param cusumDown             lower CUSUM S⁻ after this window
 * @param drifted               the decision (rule in {@link DriftTracker})
 * @param reasons               which parts of the rule fired: {@code flagged_rate_up}, {@code flagged_rate_down},
 *                              {@code probability_distribution}; empty when not drifted
 * @param directionsVersion     the direction-set version that scored the window's records (the reference is always built
 *                              under the same version; 0 when unknown)
 */
public record DriftReport(SliceKey slice, long windowIndex, WindowClose closedBy, long firstEventMs, long lastEventMs,
                          long n, double probeProbabilityMean, double flaggedRate, double castFireRate, double oodRate,
                          Map<String, Double> sectorShares, boolean referenceReady, long referenceN,
                          double psiProbability, double ksProbability, double ksProbabilityPValue,
                          double psiMahalanobis, double ksMahalanobis, double ksMahalanobisPValue, double psiSectors,
                          RateDifference flaggedDifference, RateDifference castFireDifference,
                          RateDifference oodDifference, double flaggedZ, double cusumUp, double cusumDown,
                          boolean drifted, List<String> reasons, long directionsVersion) {
    public static final String REASON_FLAGGED_UP = "flagged_rate_up";
    public static final String REASON_FLAGGED_DOWN = "flagged_rate_down";
    public static final String REASON_DISTRIBUTION = "probability_distribution";
}
