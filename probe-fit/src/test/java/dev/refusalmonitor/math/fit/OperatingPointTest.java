package dev.refusalmonitor.math.fit;

import dev.refusalmonitor.math.testing.PythonOracle;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class OperatingPointTest {

    @Test
    void betaQuantilesMatchScipy(@TempDir Path work) throws Exception {
        double[][] cases = {{1, 99}, {5, 95}, {188, 18606}, {0.5, 0.5}, {2, 3}, {40, 1}, {1, 1}};
        double[] ps = {0.025, 0.5, 0.95, 0.975};
        double[] flat = new double[cases.length * 2];
        for (int i = 0; i < cases.length; i++) {
            flat[2 * i] = cases[i][0];
            flat[2 * i + 1] = cases[i][1];
        }
        PythonOracle oracle = new PythonOracle(work).input("ab", new int[]{cases.length, 2}, flat)
                .input("p", new int[]{ps.length}, ps);
        oracle.run("""
                from scipy.stats import beta
                ab = load('ab'); p = load('p')
                save('q', np.array([[beta.ppf(x, a, b) for x in p] for a, b in ab]))
                save('c', np.array([[beta.cdf(x, a, b) for x in (0.001, 0.01, 0.3, 0.9)] for a, b in ab]))
                """);
        double[] q = oracle.output("q"), c = oracle.output("c");
        double[] xs = {0.001, 0.01, 0.3, 0.9};
        for (int i = 0; i < cases.length; i++) {
            for (int j = 0; j < ps.length; j++)
                assertEquals(q[i * ps.length + j], BetaQuantile.quantile(ps[j], cases[i][0], cases[i][1]), 1e-9,
                        "quantile " + ps[j] + " of Beta" + Arrays.toString(cases[i]));
            for (int j = 0; j < xs.length; j++)
                assertEquals(c[i * xs.length + j], BetaQuantile.cdf(xs[j], cases[i][0], cases[i][1]), 1e-10,
                        "cdf at " + xs[j] + " of Beta" + Arrays.toString(cases[i]));
        }
    }

    @Test
    void choosesTheOrderStatisticWhoseExpectedFprMeetsTheTarget() {
        double[] harmless = new double[99];
        for (int i = 0; i < 99; i++) harmless[i] = i; // 0..98
        double[] harmful = {97.5, 96.5, 95.5, 94.5, 90, 10};
        OperatingPoint.Choice c = OperatingPoint.choose(harmful, harmless, 0.05, 0);
        // (k+1)/(n+1) <= 0.05 with n = 99: k = 4, tau = the 5th largest = 94.
        assertEquals(4, c.allowedFalsePositives());
        assertEquals(94, c.tau());
        assertEquals(0.05, c.expectedFpr(), 1e-15);
        assertEquals(4 / 99.0, c.heldOutFpr(), 1e-15);
        assertEquals(4 / 6.0, c.tpr(), 1e-15);
        assertTrue(c.targetMet());
        assertTrue(c.fprLow() < 0.05 && c.fprHigh() > 0.05);
        assertEquals(Math.nextUp(94.0), c.atLeastThreshold());
        // At 95 % confidence the FPR itself must be below the target: a stricter (higher) threshold.
        OperatingPoint.Choice strict = OperatingPoint.choose(harmful, harmless, 0.05, 0.95);
        assertTrue(strict.allowedFalsePositives() < 4, "k = " + strict.allowedFalsePositives());
        assertTrue(BetaQuantile.quantile(0.95, strict.allowedFalsePositives() + 1, 99 - strict.allowedFalsePositives()) <= 0.05);
    }

    @Test
    void saysSoWhenThereAreTooFewHarmlessRowsForTheTarget() {
        double[] harmless = {0.1, 0.2, 0.3};
        OperatingPoint.Choice c = OperatingPoint.choose(new double[]{0.9, 0.25}, harmless, 0.01, 0);
        assertFalse(c.targetMet());
        assertEquals(0.3, c.tau());
        assertEquals(0.25, c.expectedFpr(), 1e-15);
        assertEquals(0.5, c.tpr());
    }

    @Test
    void belowRuleMirrorsTheAboveRule() {
        double[] harmless = {5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23};
        double[] harmful = {1, 2, 4.5, 30};
        OperatingPoint.Choice c = OperatingPoint.chooseBelow(harmful, harmless, 0.1, 0);
        // n = 19: k = 1, the rule fires when s < 6 (one harmless row below).
        assertEquals(6.0, c.tau());
        assertEquals(0.75, c.tpr());
        assertEquals(1 / 19.0, c.heldOutFpr(), 1e-15);
    }

    @Test
    void theExpectedFprOfNewTrafficIsAtMostTheTarget() {
        // Calibrate on n standard-normal harmless scores, measure on fresh draws, average over many calibrations.
        SplittableRandom rnd = new SplittableRandom(3);
        int n = 500, trials = 400;
        double target = 0.02, sum = 0;
        for (int t = 0; t < trials; t++) {
            double[] cal = new double[n];
            for (int i = 0; i < n; i++) cal[i] = gaussian(rnd);
            double tau = OperatingPoint.choose(new double[]{1}, cal, target, 0).tau();
            // The rule's true FPR for N(0, 1): P(X > tau).
            sum += 0.5 * erfc(tau / Math.sqrt(2));
        }
        double mean = sum / trials;
        assertTrue(mean <= target + 0.001, "mean FPR " + mean);
        assertTrue(mean > target - 0.005, "not needlessly strict: " + mean);
    }

    @Test
    void theStricterRuleKeepsTheOutOfFoldFiguresAtTheFinalThreshold() {
        double[] oofS = new double[99], oofH = {100, 97, 93, 50};
        for (int i = 0; i < 99; i++) oofS[i] = i;
        OperatingPoint.Choice oof = OperatingPoint.choose(oofH, oofS, 0.05, 0);
        assertEquals(94, oof.tau());
        // In-sample scores more spread out: their own 5 % threshold is 96.5, stricter than 94.
        double[] inS = new double[99];
        for (int i = 0; i < 99; i++) inS[i] = i + (i > 90 ? 3 : 0);
        OperatingPoint.Choice c = OperatingPoint.stricter(oof, oofH, oofS, new double[]{200}, inS);
        assertEquals(97, c.tau());
        assertEquals(1, c.allowedFalsePositives(), "one out-of-fold harmless score (98) above 97");
        assertEquals(2 / 100.0, c.expectedFpr(), 1e-15);
        assertEquals(0.25, c.tpr(), 1e-15, "only 100 of the harmful out-of-fold scores is above 97");
        // In-sample scores less spread out than out-of-fold: the out-of-fold rule stands.
        double[] tight = new double[99];
        for (int i = 0; i < 99; i++) tight[i] = i / 2.0;
        assertEquals(oof, OperatingPoint.stricter(oof, oofH, oofS, new double[]{200}, tight));
    }

    @Test
    void rejectsBadInput() {
        assertThrows(IllegalArgumentException.class, () -> OperatingPoint.choose(new double[]{1}, new double[]{0}, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> OperatingPoint.choose(new double[]{1}, new double[]{0}, 0.1, 1));
        assertThrows(IllegalArgumentException.class, () -> OperatingPoint.choose(new double[0], new double[]{0}, 0.1, 0));
        assertThrows(IllegalArgumentException.class, () -> OperatingPoint.choose(new double[]{1}, new double[]{Double.NaN}, 0.1, 0));
    }

    private static double gaussian(SplittableRandom r) {
        double u = r.nextDouble(), v = r.nextDouble();
        return Math.sqrt(-2 * Math.log(1 - u)) * Math.cos(2 * Math.PI * v);
    }

    /** erfc by the Numerical Recipes Chebyshev fit (relative error < 1.2e-7). */
    private static double erfc(double x) {
        double z = Math.abs(x), t = 1 / (1 + 0.5 * z);
        double r = t * Math.exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418
                + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587
                + t * (-0.82215223 + t * 0.17087277)))))))));
        return x >= 0 ? r : 2 - r;
    }
}
