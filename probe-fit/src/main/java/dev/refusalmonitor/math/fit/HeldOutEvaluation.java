package dev.refusalmonitor.math.fit;

import java.util.Arrays;
import java.util.function.Consumer;

/**
 * The evaluation pass: fit on {@code train}, measure on {@code test}, layer by layer.
 *
 * @param description how the held-out rows were obtained (the report's "evaluation")
 * @param layers per layer, in the order of the data's layers
 */
record HeldOutEvaluation(LabelledLayers train, LabelledLayers test, String description, LayerEvaluation[] layers) {

    static HeldOutEvaluation run(LabelledLayers train, LabelledLayers test, String description,
                                 DirectionFitter.Options o, boolean exact, Consumer<String> progress) {
        int nLayers = train.layerCount();
        boolean[] testLabels = FitRows.labels(test.nHarmful(), test.nHarmless());
        LayerEvaluation[] layers = new LayerEvaluation[nLayers];
        for (int li = 0; li < nLayers; li++) {
            progress.accept("evaluate layer " + train.layers()[li] + " (" + (li + 1) + "/" + nLayers + ")");
            layers[li] = LayerEvaluation.evaluate(train.classData(li),
                    FitRows.concat(test.harmful()[li], test.harmless()[li]), testLabels, o, exact);
        }
        return new HeldOutEvaluation(train, test, description, layers);
    }

    /** Held-out probe AUC per layer. */
    double[] probeAucCurve() {
        double[] auc = new double[layers.length];
        for (int li = 0; li < layers.length; li++) auc[li] = layers[li].probe().auc();
        return auc;
    }

    /** Held-out AUC of the mean standardised Mahalanobis refusal score over the ensemble layers; NaN for none. */
    double ensembleAuc(int[] ensemble) {
        if (ensemble.length == 0) return Double.NaN;
        double[] mean = new double[test.nHarmful() + test.nHarmless()];
        for (int e : ensemble) {
            double[] member = layers[Arrays.binarySearch(test.layers(), e)].ensembleMember();
            for (int i = 0; i < mean.length; i++) mean[i] += member[i] / ensemble.length;
        }
        return RocAuc.auc(mean, FitRows.labels(test.nHarmful(), test.nHarmless()));
    }
}
