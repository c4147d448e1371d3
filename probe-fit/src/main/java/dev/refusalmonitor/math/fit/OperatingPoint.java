package dev.refusalmonitor.math.fit;

import java.util.Arrays;

/**
 * A decision threshold chosen for a target false-positive rate on held-out (or out-of-fold) harmless scores.
 *
 * <p><b>Rule.</b> Scores point so that harmful scores higher; the decision fires when a score is strictly above τ.
 * With n held-out harmless scores, τ is their (k+1)-th largest value, so k of them lie above it. For a new harmless
 * request exchangeable with the held-out ones (continuous scores), its chance of landing above τ — the rule's true
 * FPR, itself random through the sample — is distributed as Beta(k + 1, n − k): mean (k+1)/(n+1). k is the largest
 * count with
 * <ul>
 *   <li>confidence 0 (the default): expected FPR (k+1)/(n+1) ≤ target (the split-conformal bound);</li>
 *   <li>confidence q in (0, 1): the q-quantile of Beta(k + 1, n − k) ≤ target (the FPR is at most the target with
 *       probability q over the held-out sample).</li>
 * </ul>
 * When even k = 0 fails (too few held-out harmless rows for the target: n + 1 &lt; 1/target at confidence 0), τ is
 * the largest held-out harmless score and {@link Choice#targetMet()} is false: the report says so, and the expected
 * FPR it gives is the honest one (1/(n+1)).
 *
 * <p>The interval reported for the FPR is the central 95 % interval of Beta(k+1, n−k); the TPR is the share of
 * held-out harmful scores above τ with its Clopper–Pearson 95 % interval.
 */
public final class OperatingPoint {
    /** Default target FPR of every published decision. */
    public static final double DEFAULT_TARGET_FPR = 0.01;

    private OperatingPoint() {
    }

    /**
     * @param tau the rule fires when score &gt; tau
     * @param targetFpr the target
     * @param confidence 0 = expected FPR ≤ target, q = the q-quantile of the FPR ≤ target
     * @param harmless held-out harmless scores used
     * @param harmful held-out harmful scores used
     * @param allowedFalsePositives k: held-out harmless scores above τ allowed by the rule
     * @param heldOutFpr share of held-out harmless scores above τ (≤ k/n; lower on ties)
     * @param expectedFpr (k+1)/(n+1), the mean of the rule's FPR on new harmless traffic
     * @param fprLow 2.5 % quantile of Beta(k+1, n−k)
     * @param fprHigh 97.5 % quantile of Beta(k+1, n−k)
     * @param targetMet whether the criterion holds (false when there are too few harmless rows for the target)
     * @param tpr share of held-out harmful scores above τ
     * @param tprLow Clopper–Pearson 2.5 % bound of the TPR
     * @param tprHigh Clopper–Pearson 97.5 % bound of the TPR
     */
    public record Choice(double tau, double targetFpr, double confidence, int harmless, int harmful,
                         int allowedFalsePositives, double heldOutFpr, double expectedFpr, double fprLow, double fprHigh,
                         boolean targetMet, double tpr, double tprLow, double tprHigh) {
        /** The threshold for a "score ≥ t" rule (the probe's flagged): the next double above τ. */
        public double atLeastThreshold() {
            return Math.nextUp(tau);
        }

        /** τ negated, the figures kept: a rule chosen on negated scores, stated on the original ones (and back). */
        Choice negated() {
            return new Choice(-tau, targetFpr, confidence, harmless, harmful, allowedFalsePositives, heldOutFpr,
                    expectedFpr, fprLow, fprHigh, targetMet, tpr, tprLow, tprHigh);
        }
    }

    /**
     * Chooses τ (see the class Javadoc). Inputs are not modified.
     *
     * @param harmful held-out harmful scores (higher = more harmful), at least 1
     * @param harmless held-out harmless scores, at least 1
     * @param targetFpr in (0, 1)
     * @param confidence 0, or in (0, 1)
     */
    public static Choice choose(double[] harmful, double[] harmless, double targetFpr, double confidence) {
        if (!(targetFpr > 0 && targetFpr < 1)) throw new IllegalArgumentException("target FPR must be in (0, 1), got " + targetFpr);
        if (!(confidence == 0 || (confidence > 0 && confidence < 1)))
            throw new IllegalArgumentException("FPR confidence must be 0 or in (0, 1), got " + confidence);
        if (harmful == null || harmful.length == 0) throw new IllegalArgumentException("no held-out harmful scores");
        if (harmless == null || harmless.length == 0) throw new IllegalArgumentException("no held-out harmless scores");
        double[] s = harmless.clone();
        Arrays.sort(s);
        for (double v : s) if (!Double.isFinite(v)) throw new IllegalArgumentException("non-finite held-out score");
        for (double v : harmful) if (!Double.isFinite(v)) throw new IllegalArgumentException("non-finite held-out score");
        int n = s.length;
        int k = -1;
        // The criterion rises with k: find the largest k in [0, n-1] that meets it.
        int lo = 0, hi = n - 1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            if (fprCriterion(mid, n, confidence) <= targetFpr) {
                k = mid;
                lo = mid + 1;
            } else {
                hi = mid - 1;
            }
        }
        boolean met = k >= 0;
        if (!met) k = 0;
        double tau = s[n - 1 - k];
        int above = 0;
        for (double v : s) if (v > tau) above++;
        int caught = 0;
        for (double v : harmful) if (v > tau) caught++;
        int m = harmful.length;
        return new Choice(tau, targetFpr, confidence, n, m, k, (double) above / n, (k + 1.0) / (n + 1.0),
                BetaQuantile.quantile(0.025, k + 1, n - k), BetaQuantile.quantile(0.975, k + 1, n - k), met,
                (double) caught / m, clopperPearsonLow(caught, m), clopperPearsonHigh(caught, m));
    }

    /**
     * The figures of a given τ on held-out scores: k = held-out harmless scores above τ, the same expected FPR,
     * interval and TPR as {@link #choose}; targetMet when (k+1)/(n+1) (or the confidence quantile) is at most the target.
     */
    public static Choice at(double tau, double[] harmful, double[] harmless, double targetFpr, double confidence) {
        int n = harmless.length, m = harmful.length, k = 0, caught = 0;
        for (double v : harmless) if (v > tau) k++;
        for (double v : harmful) if (v > tau) caught++;
        int kk = Math.min(k, n - 1);
        return new Choice(tau, targetFpr, confidence, n, m, k, (double) k / n, (kk + 1.0) / (n + 1.0),
                BetaQuantile.quantile(0.025, kk + 1, n - kk), BetaQuantile.quantile(0.975, kk + 1, n - kk),
                fprCriterion(kk, n, confidence) <= targetFpr, (double) caught / m, clopperPearsonLow(caught, m),
                clopperPearsonHigh(caught, m));
    }

    /**
     * The stricter of two rules: {@code oof} (chosen on out-of-fold scores) and the τ that {@link #choose} gives on
     * the published model's own training scores ({@code inSampleHarmful}, {@code inSampleHarmless}); the result's
     * figures are always those of the out-of-fold scores at the final τ. A model scores its own training rows more
     * extremely than new rows, both ways: when that pushes harmless training rows above the out-of-fold τ (CAST's
     * condition vector does), traffic like the training rows would be flagged above the target.
     */
    public static Choice stricter(Choice oof, double[] oofHarmful, double[] oofHarmless, double[] inSampleHarmful,
                                  double[] inSampleHarmless) {
        double inTau = choose(inSampleHarmful, inSampleHarmless, oof.targetFpr(), oof.confidence()).tau();
        if (!(inTau > oof.tau())) return oof;
        return at(inTau, oofHarmful, oofHarmless, oof.targetFpr(), oof.confidence());
    }

    /** The same rule for a decision that fires when the score is strictly below a threshold (scores negated). */
    public static Choice chooseBelow(double[] harmful, double[] harmless, double targetFpr, double confidence) {
        return choose(negate(harmful), negate(harmless), targetFpr, confidence).negated();
    }

    /** {@link #stricter} for a decision that fires when the score is strictly below the threshold. */
    public static Choice stricterBelow(Choice oof, double[] oofHarmful, double[] oofHarmless, double[] inSampleHarmful,
                                       double[] inSampleHarmless) {
        return stricter(oof.negated(), negate(oofHarmful), negate(oofHarmless), negate(inSampleHarmful),
                negate(inSampleHarmless)).negated();
    }

    private static double fprCriterion(int k, int n, double confidence) {
        return confidence == 0 ? (k + 1.0) / (n + 1.0) : BetaQuantile.quantile(confidence, k + 1, n - k);
    }

    /** Clopper–Pearson 2.5 % bound of x successes in m trials. */
    public static double clopperPearsonLow(int x, int m) {
        return x == 0 ? 0 : BetaQuantile.quantile(0.025, x, m - x + 1);
    }

    /** Clopper–Pearson 97.5 % bound of x successes in m trials. */
    public static double clopperPearsonHigh(int x, int m) {
        return x == m ? 1 : BetaQuantile.quantile(0.975, x + 1, m - x);
    }

    /** Share of {@code harmful} scores above the τ that {@link #choose} gives for this target (no interval). */
    public static double tprAt(double[] harmful, double[] harmless, double targetFpr) {
        return choose(harmful, harmless, targetFpr, 0).tpr();
    }

    private static double[] negate(double[] a) {
        double[] out = new double[a.length];
        for (int i = 0; i < a.length; i++) out[i] = -a[i];
        return out;
    }
}
