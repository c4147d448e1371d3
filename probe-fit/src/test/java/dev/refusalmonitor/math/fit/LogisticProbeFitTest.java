package dev.refusalmonitor.math.fit;

import dev.refusalmonitor.contract.directions.LogisticProbeParams;
import dev.refusalmonitor.math.synthetic.PlantedTruthSpec;
import dev.refusalmonitor.math.synthetic.SyntheticActivations;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LogisticProbeFitTest {

    /** At the optimum ∇f = 0: v = −C Σ r_i z_i and Σ r_i = 0, checked independently of the optimiser. */
    @Test
    void solutionSatisfiesTheOptimalityConditions() {
        int d = 48, nH = 90, nS = 60;
        SyntheticActivations.Sample s = SyntheticActivations.generate(PlantedTruthSpec.of(nH, nS, d, 1, 2L));
        float[] x = Rows.stack(s.harmful()[0], s.harmless()[0]);
        boolean[] y = Rows.labels(nH, nS);
        int n = nH + nS;
        double c = 0.3;
        LogisticProbeParams p = LogisticProbeFit.fit(x, n, d, y, LogisticProbeFit.Options.defaults().withC(c));
        double[] grad = new double[d];
        double gb = 0;
        for (int i = 0; i < n; i++) {
            double m = p.intercept();
            double[] z = new double[d];
            for (int j = 0; j < d; j++) {
                z[j] = (x[i * d + j] - (double) p.featureMean()[j]) / p.featureStd()[j];
                m += p.coefficients()[j] * z[j];
            }
            double yi = y[i] ? 1 : -1;
            double r = -c * yi / (1 + Math.exp(yi * m));
            for (int j = 0; j < d; j++) grad[j] += r * z[j];
            gb += r;
        }
        double scale = 0;
        for (int j = 0; j < d; j++) scale = Math.max(scale, Math.abs(p.coefficients()[j]));
        for (int j = 0; j < d; j++)
            assertEquals(0.0, grad[j] + p.coefficients()[j], 1e-5 * Math.max(1, scale), "∂f/∂v_" + j);
        assertEquals(0.0, gb, 1e-5, "∂f/∂b");
        assertEquals(c, p.c());
        assertEquals(0.5, p.decisionThreshold());
    }

    @Test
    void populationStdAndZeroStdReplacedByOne() {
        // column 0: values 1, 3, 1, 3 -> mean 2, population std 1; column 1 is constant -> std 1.
        float[] x = {1, 5, 3, 5, 1, 5, 3, 5};
        LogisticProbeParams p = LogisticProbeFit.fit(x, 4, 2, new boolean[]{false, true, false, true});
        assertArrayEquals(new float[]{2, 5}, p.featureMean());
        assertArrayEquals(new float[]{1, 1}, p.featureStd());
        assertEquals(0.0, p.coefficients()[1], 1e-9, "a constant feature gets no weight");
        assertTrue(p.coefficients()[0] > 0, "harmful rows have the larger column-0 value");
    }

    @Test
    void threadsDoNotChangeTheResult() {
        int d = 20, n = 600;
        SyntheticActivations.Sample s = SyntheticActivations.generate(PlantedTruthSpec.of(n / 2, n / 2, d, 1, 3L));
        float[] x = Rows.stack(s.harmful()[0], s.harmless()[0]);
        boolean[] y = Rows.labels(n / 2, n / 2);
        LogisticProbeParams one = LogisticProbeFit.fit(x, n, d, y, LogisticProbeFit.Options.defaults().withThreads(1));
        LogisticProbeParams two = LogisticProbeFit.fit(x, n, d, y, LogisticProbeFit.Options.defaults().withThreads(2));
        for (int j = 0; j < d; j++) assertEquals(one.coefficients()[j], two.coefficients()[j], 1e-5);
        assertEquals(one.intercept(), two.intercept(), 1e-5);
    }

    @Test
    void badInputIsRejectedWithAClearMessage() {
        float[] x = {1, 2, 3, 4, 5, 6};
        IllegalArgumentException single = assertThrows(IllegalArgumentException.class,
                () -> LogisticProbeFit.fit(x, 3, 2, new boolean[]{true, true, true}));
        assertTrue(single.getMessage().contains("both classes"), single.getMessage());
        IllegalArgumentException shape = assertThrows(IllegalArgumentException.class,
                () -> LogisticProbeFit.fit(x, 2, 2, new boolean[]{true, false}));
        assertTrue(shape.getMessage().contains("n * d"), shape.getMessage());
        IllegalArgumentException labels = assertThrows(IllegalArgumentException.class,
                () -> LogisticProbeFit.fit(x, 3, 2, new boolean[]{true, false}));
        assertTrue(labels.getMessage().contains("labels"), labels.getMessage());
        assertThrows(IllegalArgumentException.class, () -> LogisticProbeFit.fit(new float[0], 0, 2, new boolean[0]));
        assertThrows(IllegalArgumentException.class,
                () -> LogisticProbeFit.fit(new float[]{1, Float.NaN, 3, 4}, 2, 2, new boolean[]{true, false}));
        assertThrows(IllegalArgumentException.class, () -> LogisticProbeFit.Options.defaults().withC(0));
    }
}
