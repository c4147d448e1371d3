package dev.refusalmonitor.math.fit;

import dev.refusalmonitor.contract.directions.LogisticProbeParams;
import dev.refusalmonitor.math.score.ProbeScorer;
import dev.refusalmonitor.math.synthetic.PlantedTruthSpec;
import dev.refusalmonitor.math.synthetic.SyntheticActivations;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CrossValidationTest {

    @Test
    void foldsAreStratifiedAndSeeded() {
        int[] f = CrossValidation.folds(23, 101, 5, 7);
        assertEquals(5, CrossValidation.foldCount(f));
        for (int k = 0; k < 5; k++) {
            int h = 0, s = 0;
            for (int i = 0; i < 23; i++) if (f[i] == k) h++;
            for (int i = 23; i < 124; i++) if (f[i] == k) s++;
            assertTrue(h == 4 || h == 5, "harmful in fold " + k + ": " + h);
            assertTrue(s == 20 || s == 21, "harmless in fold " + k + ": " + s);
        }
        assertArrayEquals(f, CrossValidation.folds(23, 101, 5, 7));
        assertEquals(3, CrossValidation.foldCount(CrossValidation.folds(3, 50, 5, 1)), "k clamped to the smaller class");
    }

    @Test
    void outOfFoldLogitsComeFromTheProbeFittedOnTheOtherFolds() {
        int d = 16, nh = 40, ns = 60, n = nh + ns;
        SyntheticActivations.Sample s = SyntheticActivations.generate(PlantedTruthSpec.of(nh, ns, d, 1, 5).withSeparation(1.0));
        float[] rows = Rows.stack(s.harmful()[0], s.harmless()[0]);
        boolean[] y = Rows.labels(nh, ns);
        int[] fold = CrossValidation.folds(nh, ns, 4, 11);
        LogisticProbeFit.Options o = LogisticProbeFit.Options.defaults();
        CrossValidation.Result r = CrossValidation.probe(rows, n, d, y, fold, o, 0.05);
        // Fold 2 by hand.
        int nTrain = 0;
        for (int v : fold) if (v != 2) nTrain++;
        float[] train = new float[nTrain * d];
        boolean[] yt = new boolean[nTrain];
        int t = 0;
        for (int i = 0; i < n; i++) {
            if (fold[i] == 2) continue;
            System.arraycopy(rows, i * d, train, t * d, d);
            yt[t++] = y[i];
        }
        LogisticProbeParams p = LogisticProbeFit.fit(train, nTrain, d, yt, o);
        ProbeScorer sc = new ProbeScorer(p);
        for (int i = 0; i < n; i++) if (fold[i] == 2) assertEquals(sc.logit(rows, i * d), r.oofLogit()[i], 1e-12);
        assertEquals(RocAuc.auc(r.oofLogit(), y), r.auc(), 0);
        assertEquals(4, r.foldAuc().length);
        double loss = 0;
        for (int i = 0; i < n; i++) loss += Math.log1p(Math.exp(y[i] ? -r.oofLogit()[i] : r.oofLogit()[i]));
        assertEquals(loss / n, r.logLoss(), 1e-12);
        assertTrue(r.tprAtTarget() > 0.5, "planted separation is found: " + r.tprAtTarget());
    }

    @Test
    void rankPutsHigherTprFirstThenLowerLogLossThenTheEarlierCandidate() {
        Integer[] order = CrossValidation.rank(new double[]{0.9, 0.95, 0.95, 0.95}, new double[]{0.01, 0.05, 0.03, 0.03});
        assertArrayEquals(new Integer[]{2, 3, 1, 0}, order);
    }
}
