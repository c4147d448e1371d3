package dev.refusalmonitor.math.fit;

import dev.refusalmonitor.contract.directions.LogisticProbeParams;
import dev.refusalmonitor.math.score.ProbeScorer;
import dev.refusalmonitor.math.synthetic.PlantedTruthSpec;
import dev.refusalmonitor.math.synthetic.SyntheticActivations;
import dev.refusalmonitor.math.testing.PythonOracle;
import dev.refusalmonitor.math.testing.Tolerances;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Probe probabilities on held-out rows against StandardScaler + LogisticRegression(C=1.0) run to convergence. */
class LogisticProbeFitOracleTest {

    @ParameterizedTest(name = "d={0} trainHarmful={1} trainHarmless={2}")
    @CsvSource({
            "64, 150, 150",   // n > d
            "64, 40, 260",    // n > d, imbalanced
            "256, 60, 60",    // n < d
            "256, 150, 250",  // n > d
            "1024, 50, 150",  // n < d, imbalanced
    })
    void heldOutProbabilitiesMatchScikitLearn(int d, int trainH, int trainS, @TempDir Path work) throws Exception {
        int testH = 40, testS = 40;
        SyntheticActivations.Sample sample = SyntheticActivations.generate(
                PlantedTruthSpec.of(trainH + testH, trainS + testS, d, 1, 1000 + d).withSeparation(1.5));
        float[] h = sample.harmful()[0], s = sample.harmless()[0];
        float[] train = Rows.stack(Rows.slice(h, d, 0, trainH), Rows.slice(s, d, 0, trainS));
        float[] test = Rows.stack(Rows.slice(h, d, trainH, trainH + testH), Rows.slice(s, d, trainS, trainS + testS));
        boolean[] y = Rows.labels(trainH, trainS);
        int n = trainH + trainS, nTest = testH + testS;

        LogisticProbeParams probe = LogisticProbeFit.fit(train, n, d, y);
        double[] p = new ProbeScorer(probe).probabilities(test, nTest, null);

        PythonOracle oracle = new PythonOracle(work)
                .input("train", new int[]{n, d}, train)
                .input("y", new int[]{n}, Rows.toDouble(y))
                .input("test", new int[]{nTest, d}, test);
        oracle.run("""
                from sklearn.preprocessing import StandardScaler
                from sklearn.linear_model import LogisticRegression
                X = load('train').astype(np.float64); y = load('y').astype(int); T = load('test').astype(np.float64)
                sc = StandardScaler().fit(X)
                clf = LogisticRegression(C=1.0, tol=1e-10, max_iter=100000, solver='lbfgs').fit(sc.transform(X), y)
                save('p', clf.predict_proba(sc.transform(T))[:, 1])
                save('coef', clf.coef_[0])
                save('intercept', clf.intercept_)
                """);
        double[] expected = oracle.output("p");
        double worst = 0;
        for (int i = 0; i < nTest; i++) worst = Math.max(worst, Math.abs(p[i] - expected[i]));
        assertTrue(worst <= Tolerances.ORACLE_PROBABILITY_ABS, "max |Δp| = " + worst);
        assertEquals(oracle.scalar("intercept"), probe.intercept(), 1e-2 * Math.max(1, Math.abs(probe.intercept())));
    }
}
