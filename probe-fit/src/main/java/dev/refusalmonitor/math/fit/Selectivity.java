package dev.refusalmonitor.math.fit;

import dev.refusalmonitor.contract.directions.LogisticProbeParams;
import dev.refusalmonitor.math.score.ProbeScorer;

import java.util.SplittableRandom;

/**
 * Held-out evaluation of the probe with the selectivity control of seeds §4.4:
 * selectivity = accuracy(probe) − accuracy(the same probe trained on shuffled training labels), both measured
 * on the held-out rows against their true labels. The shuffle is a seeded Fisher–Yates permutation of the
 * training labels, so the control keeps the class balance. A probe that reads real structure has selectivity
 * clearly above 0; one that memorises has selectivity near 0.
 */
public final class Selectivity {
    private Selectivity() {
    }

    /**
     * Fits the probe and the shuffled-label control on the training rows and evaluates both on the held-out rows.
     *
     * @param train row-major [nTrain, d], not modified
     * @param trainHarmful labels of the training rows, not modified (a shuffled copy is used for the control)
     * @param test row-major [nTest, d], not modified
     * @param testHarmful labels of the held-out rows, both classes required for the AUC
     * @param seed seed of the label shuffle
     */
    public static ProbeEvaluation evaluate(float[] train, int nTrain, boolean[] trainHarmful,
                                           float[] test, int nTest, boolean[] testHarmful, int d,
                                           LogisticProbeFit.Options options, long seed) {
        Inputs.matrix("test", test, nTest, d, 2);
        Inputs.labels("testHarmful", testHarmful, nTest);
        LogisticProbeParams probe = LogisticProbeFit.fit(train, nTrain, d, trainHarmful, options);
        boolean[] shuffled = shuffle(trainHarmful, seed);
        LogisticProbeParams control = LogisticProbeFit.fit(train, nTrain, d, shuffled, options);
        ProbeScorer scorer = new ProbeScorer(probe);
        double[] p = scorer.probabilities(test, nTest, null);
        double[] pControl = new ProbeScorer(control).probabilities(test, nTest, null);
        double accuracy = RocAuc.accuracy(p, testHarmful, probe.decisionThreshold());
        double auc = RocAuc.auc(p, testHarmful);
        double shuffledAccuracy = RocAuc.accuracy(pControl, testHarmful, control.decisionThreshold());
        return new ProbeEvaluation(accuracy, auc, shuffledAccuracy, accuracy - shuffledAccuracy);
    }

    /** A seeded Fisher–Yates permutation of the labels (a new array; the input is not modified). */
    public static boolean[] shuffle(boolean[] labels, long seed) {
        int[] perm = Permutations.shuffled(labels.length, new SplittableRandom(seed));
        boolean[] out = new boolean[labels.length];
        for (int i = 0; i < out.length; i++) out[i] = labels[perm[i]];
        return out;
    }
}
