package dev.refusalmonitor.math.fit;

import dev.refusalmonitor.contract.directions.CastParams;
import dev.refusalmonitor.contract.directions.LayerDirections;
import dev.refusalmonitor.contract.directions.LogisticProbeParams;
import dev.refusalmonitor.contract.directions.Standardisation;
import dev.refusalmonitor.math.score.CastScorer;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * The published pass: every layer's directions fitted on all rows, carrying the choices that needed held-out data
 * (OOD calibration from the evaluation pass, probe and CAST rules from cross-validation).
 *
 * @param layers per layer, in the order of the data's layers
 * @param dimDirections the layers' DIM directions, [layers, d]
 * @param probePoints per layer, the probe's operating point
 * @param cast per layer, the CAST rule tightened on the published condition vector
 */
record PublishedLayers(List<LayerDirections> layers, float[] dimDirections, OperatingPoint.Choice[] probePoints,
                       CastCalibration[] cast) {

    static PublishedLayers fit(LabelledLayers data, boolean[] labels, HeldOutEvaluation evaluation,
                               LayerRanking ranking, CastCalibration[] crossValidatedCast, boolean exact,
                               DirectionFitter.Options o, Consumer<String> progress) {
        int d = data.d(), nLayers = data.layerCount(), nAll = labels.length;
        List<LayerDirections> out = new ArrayList<>();
        float[] dims = new float[nLayers * d];
        OperatingPoint.Choice[] probePoints = new OperatingPoint.Choice[nLayers];
        CastCalibration[] cast = new CastCalibration[nLayers];
        for (int li = 0; li < nLayers; li++) {
            int layer = data.layers()[li];
            progress.accept("fit layer " + layer + " on all rows (" + (li + 1) + "/" + nLayers + ")");
            ClassData all = data.classData(li);
            float[] rows = FitRows.rows(all);
            float[] dim = DimFit.direction(all);
            System.arraycopy(dim, 0, dims, li * d, d);
            Standardisation dimSt = Standardisation.of(FitRows.project(rows, nAll, d, dim), nAll);
            CovarianceDirections cov = CovarianceDirections.fit(all, o, exact,
                    evaluation.layers()[li].oodCalibration());
            Standardisation fisherSt = Standardisation.of(FitRows.project(rows, nAll, d, cov.fisher()), nAll);
            double[] refusal = new double[nAll];
            cov.score(rows, nAll, d, refusal, null);
            Standardisation mahaSt = Standardisation.of(refusal, nAll);

            LogisticProbeParams fitted = LogisticProbeFit.fit(rows, nAll, d, labels, o.probe());
            probePoints[li] = ProbeCalibration.operatingPoint(ranking.cv()[li].oofLogit(), fitted, rows, d, labels, o);
            LogisticProbeParams probe = ProbeCalibration.withThreshold(fitted, probePoints[li]);

            float[] c = CastFit.conditionVector(all.harmful(), all.nHarmful(), all.harmless(), all.nHarmless(), d);
            CastScorer published = new CastScorer(c, 0, true);
            cast[li] = crossValidatedCast[li].tightened(CastFit.similarities(published, all.harmful(), all.nHarmful(), d),
                    CastFit.similarities(published, all.harmless(), all.nHarmless(), d));
            CastParams castParams = new CastParams(c, cast[li].choice().tau(), cast[li].firesAbove(), cast[li].f1());

            MahalanobisFit.Result maha = cov.mahalanobis();
            out.add(new LayerDirections(layer, maha.meanHarmful(), maha.meanHarmless(), dim, dimSt, cov.fisher(),
                    fisherSt, probe, maha.params(), castParams, null, mahaSt));
        }
        return new PublishedLayers(List.copyOf(out), dims, probePoints, cast);
    }
}
