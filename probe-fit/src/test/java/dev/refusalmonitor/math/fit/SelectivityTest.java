package dev.refusalmonitor.math.fit;

import dev.refusalmonitor.math.synthetic.PlantedTruthSpec;
import dev.refusalmonitor.math.synthetic.SyntheticActivations;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SelectivityTest {
    private static final int D = 32;

    @Test
    void clearlyPositiveOnPlantedData() {
        ProbeEvaluation e = evaluate(SyntheticActivations.generate(PlantedTruthSpec.of(300, 300, D, 1, 12L)), false);
        assertTrue(e.accuracy() > 0.85, "accuracy " + e.accuracy());
        assertTrue(e.auc() > 0.9, "auc " + e.auc());
        assertTrue(e.selectivity() > 0.25, "selectivity " + e.selectivity());
        assertEquals(e.accuracy() - e.shuffledAccuracy(), e.selectivity(), 1e-12);
    }

    @Test
    void nearZeroOnPureNoiseLabels() {
        ProbeEvaluation e = evaluate(SyntheticActivations.generate(PlantedTruthSpec.of(300, 300, D, 1, 13L)), true);
        assertTrue(Math.abs(e.selectivity()) < 0.12, "selectivity " + e.selectivity());
        assertTrue(Math.abs(e.accuracy() - 0.5) < 0.12, "accuracy " + e.accuracy());
    }

    /** 200 + 200 rows to train, 100 + 100 held out; with noiseLabels the rows' labels are random coin flips. */
    private static ProbeEvaluation evaluate(SyntheticActivations.Sample s, boolean noiseLabels) {
        float[] h = s.harmful()[0], x = s.harmless()[0];
        float[] train = Rows.stack(Rows.slice(h, D, 0, 200), Rows.slice(x, D, 0, 200));
        float[] test = Rows.stack(Rows.slice(h, D, 200, 300), Rows.slice(x, D, 200, 300));
        boolean[] yTrain = Rows.labels(200, 200), yTest = Rows.labels(100, 100);
        if (noiseLabels) {
            SplittableRandom rnd = new SplittableRandom(99);
            for (int i = 0; i < yTrain.length; i++) yTrain[i] = rnd.nextBoolean();
            for (int i = 0; i < yTest.length; i++) yTest[i] = rnd.nextBoolean();
        }
        return Selectivity.evaluate(train, 400, yTrain, test, 200, yTest, D, LogisticProbeFit.Options.defaults(), 7L);
    }

    @Test
    void shuffleIsSeededAndKeepsTheClassBalance() {
        boolean[] y = Rows.labels(30, 70);
        boolean[] a = Selectivity.shuffle(y, 1), b = Selectivity.shuffle(y, 1);
        assertArrayEquals(a, b);
        int pos = 0;
        for (boolean v : a) if (v) pos++;
        assertEquals(30, pos);
    }
}
