package dev.refusalmonitor.math.fit;

import dev.refusalmonitor.math.score.CastScorer;

import java.util.function.Consumer;

/**
 * CAST's rule at one layer, calibrated to the target FPR on out-of-fold similarities.
 *
 * @param firesAbove the comparator: fires when the similarity is above τ, else below
 * @param f1 out-of-fold F1 at the rule
 * @param simH out-of-fold similarities of the harmful rows
 * @param simS out-of-fold similarities of the harmless rows
 */
record CastCalibration(OperatingPoint.Choice choice, boolean firesAbove, double f1, double[] simH, double[] simS) {

    /** Every layer, on the folds of the layer ranking. */
    static CastCalibration[] crossValidate(LabelledLayers data, LayerRanking ranking, DirectionFitter.Options o,
                                           Consumer<String> progress) {
        int nLayers = data.layerCount();
        progress.accept("CAST condition by cross-validation over " + nLayers + " layer(s)");
        CastCalibration[] out = new CastCalibration[nLayers];
        for (int li = 0; li < nLayers; li++) out[li] = crossValidate(data, li, ranking.fold(), ranking.folds(), o);
        return out;
    }

    /**
     * Out-of-fold similarities (condition vector from the other folds), then the rule at the target FPR for both
     * comparators; the comparator with the higher TPR wins (ties: fires above).
     */
    static CastCalibration crossValidate(LabelledLayers data, int li, int[] fold, int folds, DirectionFitter.Options o) {
        int d = data.d(), nh = data.nHarmful(), ns = data.nHarmless();
        double[] simH = new double[nh], simS = new double[ns];
        for (int f = 0; f < folds; f++) {
            int ch = 0, cs = 0;
            for (int i = 0; i < nh; i++) if (fold[i] != f) ch++;
            for (int i = 0; i < ns; i++) if (fold[nh + i] != f) cs++;
            float[] th = new float[ch * d], ts = new float[cs * d];
            ch = 0;
            cs = 0;
            for (int i = 0; i < nh; i++) if (fold[i] != f) System.arraycopy(data.harmful()[li], i * d, th, (ch++) * d, d);
            for (int i = 0; i < ns; i++) if (fold[nh + i] != f) System.arraycopy(data.harmless()[li], i * d, ts, (cs++) * d, d);
            CastScorer scorer = new CastScorer(CastFit.conditionVector(th, ch, ts, cs, d), 0, true);
            for (int i = 0; i < nh; i++) if (fold[i] == f) simH[i] = scorer.similarity(data.harmful()[li], i * d);
            for (int i = 0; i < ns; i++) if (fold[nh + i] == f) simS[i] = scorer.similarity(data.harmless()[li], i * d);
        }
        OperatingPoint.Choice above = OperatingPoint.choose(simH, simS, o.targetFpr(), o.fprConfidence());
        OperatingPoint.Choice below = OperatingPoint.chooseBelow(simH, simS, o.targetFpr(), o.fprConfidence());
        boolean useAbove = above.tpr() >= below.tpr();
        OperatingPoint.Choice c = useAbove ? above : below;
        return new CastCalibration(c, useAbove, f1(c, nh, ns), simH, simS);
    }

    /** The stricter of this rule and the same target on the published condition vector's own training rows. */
    CastCalibration tightened(double[] inH, double[] inS) {
        OperatingPoint.Choice c = firesAbove
                ? OperatingPoint.stricter(choice, simH, simS, inH, inS)
                : OperatingPoint.stricterBelow(choice, simH, simS, inH, inS);
        return new CastCalibration(c, firesAbove, f1(c, simH.length, simS.length), simH, simS);
    }

    /** Index of the CAST layer: the highest out-of-fold TPR, then F1, then the earlier layer. */
    static int best(CastCalibration[] layers) {
        int best = 0;
        for (int li = 1; li < layers.length; li++) {
            CastCalibration b = layers[best];
            if (layers[li].choice().tpr() > b.choice().tpr()
                    || (layers[li].choice().tpr() == b.choice().tpr() && layers[li].f1() > b.f1())) best = li;
        }
        return best;
    }

    private static double f1(OperatingPoint.Choice c, int nh, int ns) {
        double tp = c.tpr() * nh;
        return CastFit.f1(tp, c.heldOutFpr() * ns, nh - tp);
    }
}
