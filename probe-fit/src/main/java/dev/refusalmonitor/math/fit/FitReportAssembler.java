package dev.refusalmonitor.math.fit;

import dev.refusalmonitor.contract.directions.DirectionSetModel;
import dev.refusalmonitor.contract.directions.LayerDirections;
import dev.refusalmonitor.contract.directions.RefusalPlaneParams;
import dev.refusalmonitor.contract.directions.Sector;
import dev.refusalmonitor.math.score.DirectionSetScorer;
import dev.refusalmonitor.math.score.Scores;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Builds the {@link FitReport} from the results of the fit's steps. */
final class FitReportAssembler {
    private FitReportAssembler() {
    }

    static FitReport report(DirectionFitter.Options o, LabelledLayers data, HeldOutEvaluation evaluation,
                            LayerRanking ranking, ProbeCandidates candidates, PublishedLayers published,
                            ProbeCandidates.Headline headline, int castBest, int[] ensemble, double ensembleAuc,
                            RefusalPlaneParams plane, boolean exact, double seconds, FitReport.HoldoutCheck check) {
        int d = data.d(), nLayers = data.layerCount();
        int[] layers = data.layers();
        List<LayerReport> reports = new ArrayList<>();
        for (int li = 0; li < nLayers; li++) reports.add(layer(evaluation, li, ranking.cv()[li],
                published.layers().get(li), published.cast()[li]));
        List<FitReport.SectorReport> sectors = new ArrayList<>();
        for (Sector s : plane.sectors()) sectors.add(new FitReport.SectorReport(s.name(), s.startDeg(), s.endDeg()));
        CastCalibration cast = published.cast()[castBest];
        return new FitReport(o.modelId(), data.nHarmful(), data.nHarmless(), d, evaluation.description(), reports,
                evaluation.probeAucCurve(), layers[ranking.best()], layers[castBest], ensemble, ensembleAuc,
                LayerSelection.cosineMatrix(FitRows.splitRows(published.dimDirections(), nLayers, d)), sectors,
                exact ? "exact+low_rank" : "low_rank", Math.min(o.lowRankK(), d), o.mahalanobisL2Normalize(), seconds,
                o.targetFpr(), o.fprConfidence(), ranking.folds(), ranking.layers(layers), candidates.candidates(),
                candidates.headlineCandidate(), FitReport.Decision.of("flagged", headline.point()),
                FitReport.Decision.of("cast_fired", cast.choice()), check);
    }

    private static LayerReport layer(HeldOutEvaluation evaluation, int li, CrossValidation.Result cv,
                                     LayerDirections published, CastCalibration cast) {
        LabelledLayers train = evaluation.train(), test = evaluation.test();
        LayerEvaluation e = evaluation.layers()[li];
        ProbeEvaluation pe = e.probe();
        return new LayerReport(published.layer(), train.nHarmful(), train.nHarmless(), test.nHarmful(),
                test.nHarmless(), e.dimAuc(), e.fisherAuc(), pe.auc(), pe.accuracy(), pe.shuffledAccuracy(),
                pe.selectivity(), e.mahalanobisAuc(), e.pcaAuc(), published.mahalanobis().shrinkage(),
                published.mahalanobis().conditionNumber(), published.mahalanobis().eigenvalueFloor(),
                cast.choice().tau(), cast.firesAbove() ? "greater" : "less", cast.f1(), cv.auc(), cv.foldAucMean(),
                cv.foldAucStd(), cv.tprAtTarget(), cv.foldTprMean(), cv.foldTprStd(), cv.logLoss(),
                published.probe().decisionThreshold(), cast.choice().tpr(), cast.choice().expectedFpr());
    }

    /** The published set's decisions measured on the holdout files (rows the fit never saw). */
    static FitReport.HoldoutCheck holdoutCheck(DirectionSetModel set, LabelledLayers test,
                                               OperatingPoint.Choice probe, OperatingPoint.Choice cast) {
        DirectionSetScorer scorer = new DirectionSetScorer(set);
        DirectionSetScorer.Scratch scratch = scorer.newScratch();
        Scores sc = new Scores();
        int[] layerIdx = test.layers();
        int d = test.d();
        int[] flagged = new int[2], fired = new int[2];
        for (int cls = 0; cls < 2; cls++) {
            float[][] src = cls == 0 ? test.harmful() : test.harmless();
            int n = cls == 0 ? test.nHarmful() : test.nHarmless();
            float[][] row = new float[layerIdx.length][];
            for (int i = 0; i < n; i++) {
                for (int l = 0; l < layerIdx.length; l++) row[l] = Arrays.copyOfRange(src[l], i * d, (i + 1) * d);
                scorer.score(layerIdx, row, DirectionSetScorer.MahalanobisMode.AUTO, scratch, sc);
                if (sc.flagged) flagged[cls]++;
                if (sc.castFired) fired[cls]++;
            }
        }
        int nh = test.nHarmful(), ns = test.nHarmless();
        double flaggedFprLow = OperatingPoint.clopperPearsonLow(flagged[1], ns);
        return new FitReport.HoldoutCheck(nh, ns, (double) flagged[1] / ns, flaggedFprLow,
                OperatingPoint.clopperPearsonHigh(flagged[1], ns), (double) flagged[0] / nh, (double) fired[1] / ns,
                (double) fired[0] / nh, flaggedFprLow <= probe.targetFpr(),
                OperatingPoint.clopperPearsonLow(fired[1], ns) <= cast.targetFpr());
    }
}
