package dev.refusalmonitor.math.fit;

import java.util.Arrays;
import java.util.function.Consumer;

/**
 * Layers ranked by k-fold cross-validation of the probe over all rows: TPR at the target FPR, then log-loss
 * ({@link CrossValidation#rank}). The folds and out-of-fold logits are reused by every later calibration.
 *
 * @param fold fold per row (harmful rows first)
 * @param folds number of folds
 * @param cv per layer index, the probe's cross-validation
 * @param order layer indices, best first
 */
record LayerRanking(int[] fold, int folds, CrossValidation.Result[] cv, Integer[] order) {

    static LayerRanking crossValidate(LabelledLayers data, boolean[] labels, DirectionFitter.Options o,
                                      Consumer<String> progress) {
        int nLayers = data.layerCount();
        int[] fold = CrossValidation.folds(data.nHarmful(), data.nHarmless(), o.cvFolds(), o.seed());
        int folds = CrossValidation.foldCount(fold);
        CrossValidation.Result[] cv = new CrossValidation.Result[nLayers];
        double[] tpr = new double[nLayers], logLoss = new double[nLayers];
        for (int li = 0; li < nLayers; li++) {
            progress.accept("cross-validate the probe at layer " + data.layers()[li] + " (" + folds + " folds, "
                    + (li + 1) + "/" + nLayers + ")");
            cv[li] = CrossValidation.probe(FitRows.concat(data.harmful()[li], data.harmless()[li]), labels.length,
                    data.d(), labels, fold, o.probe(), o.targetFpr());
            tpr[li] = cv[li].tprAtTarget();
            logLoss[li] = cv[li].logLoss();
        }
        return new LayerRanking(fold, folds, cv, CrossValidation.rank(tpr, logLoss));
    }

    /** Index of the best layer: the scoring layer. */
    int best() {
        return order[0];
    }

    /** The first {@code m} layer indices of the ranking, ascending. */
    int[] top(int m) {
        int[] top = new int[m];
        for (int i = 0; i < m; i++) top[i] = order[i];
        Arrays.sort(top);
        return top;
    }

    /** Layer numbers, best first. */
    int[] layers(int[] layerNumbers) {
        int[] out = new int[order.length];
        for (int i = 0; i < order.length; i++) out[i] = layerNumbers[order[i]];
        return out;
    }
}
