package dev.refusalmonitor.math.fit;

import dev.refusalmonitor.contract.directions.LayerDirections;
import dev.refusalmonitor.contract.directions.LogisticProbeParams;
import dev.refusalmonitor.contract.directions.MultiLayerProbe;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;

/**
 * The headline probe's candidates, cross-validated on the same folds: the best single layer, and over the best-ranked
 * layers a probe on their concatenation and a stacked probe on their out-of-fold logits.
 *
 * @param top indices of the multi-layer candidates' layers, ascending
 * @param topLayers their layer numbers
 * @param concatRows the top layers side by side, [n, top.length × d]; null without multi-layer candidates
 * @param stackRows the top layers' out-of-fold logits, [n, top.length]; null without multi-layer candidates
 * @param headline the kind that scores probe_probability and decides flagged
 */
record ProbeCandidates(List<FitReport.ProbeCandidate> candidates, int[] top, int[] topLayers, float[] concatRows,
                       CrossValidation.Result concatCv, float[] stackRows, CrossValidation.Result stackCv,
                       String headline) {

    /** The published headline probe (null when it is the scoring layer's own) and its operating point. */
    record Headline(MultiLayerProbe multiLayer, OperatingPoint.Choice point) {
    }

    static ProbeCandidates choose(LabelledLayers data, boolean[] labels, LayerRanking ranking,
                                  DirectionFitter.Options o, Consumer<String> progress) {
        int[] layers = data.layers();
        int nAll = labels.length, d = data.d(), best = ranking.best();
        List<FitReport.ProbeCandidate> candidates = new ArrayList<>();
        candidates.add(candidate("single", new int[]{layers[best]}, ranking.cv()[best]));
        int m = Math.min(o.multiLayerCount(), data.layerCount());
        int[] top = ranking.top(m);
        int[] topLayers = new int[top.length];
        for (int i = 0; i < top.length; i++) topLayers[i] = layers[top[i]];
        float[] concatRows = null, stackRows = null;
        CrossValidation.Result concatCv = null, stackCv = null;
        if (o.multiLayer() != DirectionFitter.MultiLayer.OFF && m >= 2) {
            progress.accept("cross-validate the multi-layer probes over layers " + Arrays.toString(topLayers));
            concatRows = DirectionFitter.concatLayers(data, top);
            concatCv = CrossValidation.probe(concatRows, nAll, m * d, labels, ranking.fold(), o.probe(), o.targetFpr());
            candidates.add(candidate("concat", topLayers, concatCv));
            stackRows = new float[nAll * m];
            for (int i = 0; i < nAll; i++)
                for (int j = 0; j < m; j++) stackRows[i * m + j] = (float) ranking.cv()[top[j]].oofLogit()[i];
            stackCv = CrossValidation.probe(stackRows, nAll, m, labels, ranking.fold(), o.probe(), o.targetFpr());
            candidates.add(candidate("stacked", topLayers, stackCv));
        }
        String headline = switch (o.multiLayer()) {
            case OFF -> "single";
            case CONCAT -> concatCv != null ? "concat" : "single";
            case STACKED -> stackCv != null ? "stacked" : "single";
            case AUTO -> {
                double[] t = candidates.stream().mapToDouble(FitReport.ProbeCandidate::tprAtTarget).toArray();
                double[] l = candidates.stream().mapToDouble(FitReport.ProbeCandidate::logLoss).toArray();
                yield candidates.get(CrossValidation.rank(t, l)[0]).kind();
            }
        };
        return new ProbeCandidates(List.copyOf(candidates), top, topLayers, concatRows, concatCv, stackRows, stackCv,
                headline);
    }

    FitReport.ProbeCandidate headlineCandidate() {
        return candidates.stream().filter(c -> c.kind().equals(headline)).findFirst().orElseThrow();
    }

    /**
     * Fits the headline probe on all rows and calibrates it; a single-layer headline is the scoring layer's published
     * probe with its operating point {@code single}.
     *
     * @param published the published per-layer directions (the stacked probe folds their probes)
     */
    Headline publish(List<LayerDirections> published, OperatingPoint.Choice single, boolean[] labels, int d,
                     DirectionFitter.Options o, Consumer<String> progress) {
        if (headline.equals("single")) return new Headline(null, single);
        progress.accept("fit the " + headline + " probe over layers " + Arrays.toString(topLayers) + " on all rows");
        int nAll = labels.length, m = top.length;
        LogisticProbeParams p;
        CrossValidation.Result cv;
        if (headline.equals("concat")) {
            p = LogisticProbeFit.fit(concatRows, nAll, m * d, labels, o.probe());
            cv = concatCv;
        } else {
            LogisticProbeParams stacker = LogisticProbeFit.fit(stackRows, nAll, m, labels, o.probe());
            LogisticProbeParams[] parts = new LogisticProbeParams[m];
            for (int j = 0; j < m; j++) parts[j] = published.get(top[j]).probe();
            p = DirectionFitter.foldStacked(stacker, parts, d);
            cv = stackCv;
        }
        // The stacked probe is folded into one probe over the concatenated layers, so both score those rows.
        OperatingPoint.Choice point = ProbeCalibration.operatingPoint(cv.oofLogit(), p, concatRows, m * d, labels, o);
        return new Headline(new MultiLayerProbe(topLayers, ProbeCalibration.withThreshold(p, point), headline), point);
    }

    private static FitReport.ProbeCandidate candidate(String kind, int[] layers, CrossValidation.Result r) {
        return new FitReport.ProbeCandidate(kind, layers.clone(), r.auc(), r.foldAucMean(), r.foldAucStd(),
                r.tprAtTarget(), r.foldTprMean(), r.foldTprStd(), r.logLoss());
    }
}
