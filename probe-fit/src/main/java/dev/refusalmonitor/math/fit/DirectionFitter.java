package dev.refusalmonitor.math.fit;

import dev.refusalmonitor.math.VectorOps;
import dev.refusalmonitor.contract.directions.CastParams;
import dev.refusalmonitor.contract.directions.DirectionSetModel;
import dev.refusalmonitor.contract.directions.LayerDirections;
import dev.refusalmonitor.contract.directions.LogisticProbeParams;
import dev.refusalmonitor.contract.directions.MultiLayerProbe;
import dev.refusalmonitor.contract.directions.RefusalPlaneParams;
import dev.refusalmonitor.contract.directions.Sector;
import dev.refusalmonitor.contract.directions.Standardisation;
import dev.refusalmonitor.math.score.CastScorer;
import dev.refusalmonitor.math.score.DirectionSetScorer;
import dev.refusalmonitor.math.score.MahalanobisScorer;
import dev.refusalmonitor.math.score.Scores;
import dev.refusalmonitor.math.score.ProbeScorer;
import dev.refusalmonitor.math.synthetic.SyntheticActivations;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Consumer;

/**
 * Fits every direction type of DESIGN "The scores" for every layer, evaluates them on held-out rows, chooses the
 * layers, and assembles the {@link DirectionSetModel} with its {@link FitReport}.
 *
 * <p>Two passes: the <em>evaluation</em> fits on the training part and measures on the held-out part (a stratified
 * split, or holdout sets the caller gives); the <em>published</em> set is fitted on all the given rows. Choices that
 * need held-out data (CAST θ and comparator, the OOD calibration distances, the layer choice) come from the
 * evaluation pass and are carried into the published set.
 */
public final class DirectionFitter {

    /** Whether the headline probe may span several layers. */
    public enum MultiLayer {
        /** The best of the single best layer, the concatenated probe and the stacked probe by cross-validation. */
        AUTO,
        /** Always the scoring layer's probe. */
        OFF,
        /** The concatenated probe whenever there are at least two candidate layers. */
        CONCAT,
        /** The stacked probe whenever there are at least two candidate layers. */
        STACKED
    }

    /**
     * @param holdoutFraction share of each class held out when no holdout set is given
     * @param seed seeds the split, the folds, the shuffled-label control and the PCA pairing
     * @param probe the logistic probe's options (C, tolerance)
     * @param lowRankK eigenvectors kept for the low-rank Mahalanobis path
     * @param exactMaxDim the exact whitening factor is stored when d ≤ this (it is d(d+1)/2 floats)
     * @param mahalanobisL2Normalize Mahalanobis++ (L2-normalise rows first)
     * @param castStep θ grid step of the F1 search ({@link CastFit#searchThreshold}; reported, not used for θ)
     * @param ensembleLayers layers of the Mahalanobis ensemble; null = every layer, empty = no ensemble
     * @param minPerClass fewest rows per class accepted
     * @param targetFpr false-positive rate every published decision is calibrated to (see {@link OperatingPoint})
     * @param fprConfidence 0: expected FPR ≤ target; q in (0, 1): FPR ≤ target with probability q
     * @param cvFolds folds of the cross-validation that ranks layers and calibrates the thresholds
     * @param multiLayer whether the headline probe may span several layers
     * @param multiLayerCount how many of the best-ranked layers a multi-layer probe combines
     */
    public record Options(String modelId, String modelRevision, long version, double holdoutFraction, long seed,
                          LogisticProbeFit.Options probe, int lowRankK, int exactMaxDim, boolean mahalanobisL2Normalize,
                          double castStep, int[] ensembleLayers, int minPerClass, Consumer<String> progress,
                          double targetFpr, double fprConfidence, int cvFolds, MultiLayer multiLayer,
                          int multiLayerCount) {
        public Options {
            if (modelId == null || modelId.isBlank()) throw new IllegalArgumentException("model id is required");
            if (version < 1) throw new IllegalArgumentException("version must be >= 1, got " + version);
            if (!(holdoutFraction > 0 && holdoutFraction < 1))
                throw new IllegalArgumentException("holdout fraction must be in (0, 1), got " + holdoutFraction);
            if (lowRankK < 1) throw new IllegalArgumentException("low-rank k must be >= 1");
            if (minPerClass < 4) throw new IllegalArgumentException("minPerClass must be >= 4 (2 to fit, 2 to evaluate)");
            if (!(targetFpr > 0 && targetFpr < 1)) throw new IllegalArgumentException("target FPR must be in (0, 1), got " + targetFpr);
            if (!(fprConfidence == 0 || (fprConfidence > 0 && fprConfidence < 1)))
                throw new IllegalArgumentException("FPR confidence must be 0 or in (0, 1), got " + fprConfidence);
            if (cvFolds < 2) throw new IllegalArgumentException("cross-validation folds must be >= 2, got " + cvFolds);
            if (multiLayerCount < 2) throw new IllegalArgumentException("multi-layer count must be >= 2, got " + multiLayerCount);
            if (multiLayer == null) multiLayer = MultiLayer.AUTO;
            if (modelRevision == null) modelRevision = "";
            if (progress == null) progress = s -> { };
        }

        /** The options before operating points: target FPR, CV and multi-layer settings at their defaults. */
        public Options(String modelId, String modelRevision, long version, double holdoutFraction, long seed,
                       LogisticProbeFit.Options probe, int lowRankK, int exactMaxDim, boolean mahalanobisL2Normalize,
                       double castStep, int[] ensembleLayers, int minPerClass, Consumer<String> progress) {
            this(modelId, modelRevision, version, holdoutFraction, seed, probe, lowRankK, exactMaxDim,
                    mahalanobisL2Normalize, castStep, ensembleLayers, minPerClass, progress,
                    OperatingPoint.DEFAULT_TARGET_FPR, 0, DEFAULT_CV_FOLDS, MultiLayer.AUTO, DEFAULT_MULTI_LAYER_COUNT);
        }

        public static Options defaults(String modelId) {
            return new Options(modelId, "", 1, 0.25, 7, LogisticProbeFit.Options.defaults().withTolerance(1e-6),
                    MahalanobisFit.DEFAULT_LOW_RANK_K, MahalanobisFit.DEFAULT_EXACT_MAX_D,
                    DEFAULT_MAHALANOBIS_L2_NORMALIZE, CastFit.DEFAULT_STEP, null, 10, null);
        }

        /** The same options with another operating point and cross-validation. */
        public Options withDetection(double newTargetFpr, double newFprConfidence, int newCvFolds,
                                     MultiLayer newMultiLayer, int newMultiLayerCount) {
            return new Options(modelId, modelRevision, version, holdoutFraction, seed, probe, lowRankK, exactMaxDim,
                    mahalanobisL2Normalize, castStep, ensembleLayers, minPerClass, progress, newTargetFpr,
                    newFprConfidence, newCvFolds, newMultiLayer, newMultiLayerCount);
        }

        /** The same options with Mahalanobis++ on or off. */
        public Options withMahalanobisL2Normalize(boolean on) {
            return new Options(modelId, modelRevision, version, holdoutFraction, seed, probe, lowRankK, exactMaxDim,
                    on, castStep, ensembleLayers, minPerClass, progress, targetFpr, fprConfidence, cvFolds,
                    multiLayer, multiLayerCount);
        }
    }

    /**
     * Mahalanobis++ by default: on real MiniLM activations it separates a shifted domain from in-distribution prompts
     * of the same length better at every layer, and its distance follows prompt length much less (BENCHMARKS.md
     * "Detection quality").
     */
    public static final boolean DEFAULT_MAHALANOBIS_L2_NORMALIZE = true;

    /** Default cross-validation folds. */
    public static final int DEFAULT_CV_FOLDS = 5;
    /** Default number of best-ranked layers a multi-layer probe combines. */
    public static final int DEFAULT_MULTI_LAYER_COUNT = 3;

    /**
     * The published set, its report, and the rows the report's held-out figures come from (the holdout files when
     * given, else the split of the data), so a quality gate scores exactly those.
     */
    public record Result(DirectionSetModel set, FitReport report, LabelledLayers heldOut) {
    }

    private DirectionFitter() {
    }

    /**
     * Fits and evaluates.
     *
     * @param data all labelled rows; the published set is fitted on all of them
     * @param holdout held-out rows for the report, or null to split {@code data}
     */
    public static Result fit(LabelledLayers data, LabelledLayers holdout, Options o) {
        long t0 = System.nanoTime();
        Consumer<String> userProgress = o.progress();
        Consumer<String> progress = msg -> userProgress.accept(String.format("[%6.1fs] %s", (System.nanoTime() - t0) / 1e9, msg));
        requireRows("harmful", data.nHarmful(), o.minPerClass());
        requireRows("harmless", data.nHarmless(), o.minPerClass());
        int d = data.d(), nLayers = data.layerCount();
        int[] layers = data.layers();

        LabelledLayers train, test;
        String evaluation;
        if (holdout != null) {
            if (holdout.d() != d) throw new IllegalArgumentException("holdout d = " + holdout.d() + " but training d = " + d);
            if (!Arrays.equals(holdout.layers(), layers))
                throw new IllegalArgumentException("holdout layers " + Arrays.toString(holdout.layers()) + " differ from training layers " + Arrays.toString(layers));
            requireRows("holdout harmful", holdout.nHarmful(), 2);
            requireRows("holdout harmless", holdout.nHarmless(), 2);
            train = data;
            test = holdout;
            evaluation = "holdout-files";
        } else {
            Split split = split(data, o.holdoutFraction(), o.seed());
            train = split.train();
            test = split.holdout();
            evaluation = "holdout-split " + o.holdoutFraction() + " seed " + o.seed();
        }
        boolean exact = d <= o.exactMaxDim();
        int[] ensemble = o.ensembleLayers() == null ? layers.clone() : o.ensembleLayers().clone();
        for (int e : ensemble)
            if (Arrays.binarySearch(layers, e) < 0)
                throw new IllegalArgumentException("ensemble layer " + e + " is not among the fitted layers " + Arrays.toString(layers));

        // ---- Evaluation pass: fit on train, measure on test.
        boolean[] testLabels = labels(test.nHarmful(), test.nHarmless());
        boolean[] trainLabels = labels(train.nHarmful(), train.nHarmless());
        double[] probeAuc = new double[nLayers];
        float[][] evalDim = new float[nLayers][];
        float[][] oodCalibration = new float[nLayers][];
        double[][] ensembleParts = new double[nLayers][];
        Object[] evalFigures = new Object[nLayers];
        for (int li = 0; li < nLayers; li++) {
            int layer = layers[li];
            progress.accept("evaluate layer " + layer + " (" + (li + 1) + "/" + nLayers + ")");
            ClassData tr = train.classData(li);
            float[] testRows = concat(test.harmful()[li], test.harmless()[li]);
            int nTest = test.nHarmful() + test.nHarmless();

            float[] dim = DimFit.direction(tr);
            evalDim[li] = dim;
            double dimAuc = RocAuc.auc(project(testRows, nTest, d, dim), testLabels);

            PooledCovariance cov = PooledCovariance.fit(tr, o.mahalanobisL2Normalize());
            // Fisher is defined on raw activations: with Mahalanobis++ it needs the raw covariance too.
            float[] fisher = FisherFit.direction(o.mahalanobisL2Normalize() ? PooledCovariance.fit(tr, false) : cov);
            double fisherAuc = RocAuc.auc(project(testRows, nTest, d, fisher), testLabels);

            MahalanobisFit.Result maha = MahalanobisFit.fit(cov, new MahalanobisFit.Options(o.lowRankK(), exact,
                    o.mahalanobisL2Normalize(), null));
            MahalanobisScorer ms = new MahalanobisScorer(maha.meanHarmful(), maha.meanHarmless(), maha.params());
            double[] refusal = new double[nTest];
            float[] ood = new float[nTest];
            mahalanobis(ms, exact, testRows, nTest, d, refusal, ood);
            double mahaAuc = RocAuc.auc(refusal, testLabels);
            Arrays.sort(ood);
            oodCalibration[li] = ood;
            // Ensemble member: refusal standardised by the training rows' refusal scores.
            double[] trainRefusal = new double[train.nHarmful() + train.nHarmless()];
            mahalanobis(ms, exact, concat(tr.harmful(), tr.harmless()), trainRefusal.length, d, trainRefusal, null);
            Standardisation st = Standardisation.of(trainRefusal, trainRefusal.length);
            double[] part = new double[nTest];
            for (int i = 0; i < nTest; i++) part[i] = st.apply(refusal[i]);
            ensembleParts[li] = part;

            ProbeEvaluation pe = Selectivity.evaluate(concat(tr.harmful(), tr.harmless()), trainLabels.length, trainLabels,
                    testRows, nTest, testLabels, d, o.probe(), o.seed());
            probeAuc[li] = pe.auc();

            float[] pca = PcaReadingVector.fit(tr.harmful(), tr.nHarmful(), tr.harmless(), tr.nHarmless(), d, o.seed());
            double pcaAuc = RocAuc.auc(project(testRows, nTest, d, pca), testLabels);
            evalFigures[li] = new double[]{dimAuc, fisherAuc, pe.accuracy(), pe.shuffledAccuracy(), pe.selectivity(), mahaAuc, pcaAuc};
        }
        double ensembleAuc = Double.NaN;
        if (ensemble.length > 0) {
            double[] mean = new double[test.nHarmful() + test.nHarmless()];
            for (int e : ensemble) {
                double[] part = ensembleParts[Arrays.binarySearch(layers, e)];
                for (int i = 0; i < mean.length; i++) mean[i] += part[i] / ensemble.length;
            }
            ensembleAuc = RocAuc.auc(mean, testLabels);
        }

        // ---- Cross-validation over all rows: layer ranking, multi-layer candidates, every decision threshold.
        boolean[] allLabels = labels(data.nHarmful(), data.nHarmless());
        int nAll = allLabels.length;
        int[] fold = CrossValidation.folds(data.nHarmful(), data.nHarmless(), o.cvFolds(), o.seed());
        int folds = CrossValidation.foldCount(fold);
        CrossValidation.Result[] cv = new CrossValidation.Result[nLayers];
        double[] cvTpr = new double[nLayers], cvLoss = new double[nLayers];
        for (int li = 0; li < nLayers; li++) {
            progress.accept("cross-validate the probe at layer " + layers[li] + " (" + folds + " folds, " + (li + 1) + "/" + nLayers + ")");
            cv[li] = CrossValidation.probe(concat(data.harmful()[li], data.harmless()[li]), nAll, d, allLabels, fold,
                    o.probe(), o.targetFpr());
            cvTpr[li] = cv[li].tprAtTarget();
            cvLoss[li] = cv[li].logLoss();
        }
        Integer[] rank = CrossValidation.rank(cvTpr, cvLoss);
        int best = rank[0];
        int[] layerRanking = new int[nLayers];
        for (int i = 0; i < nLayers; i++) layerRanking[i] = layers[rank[i]];

        List<FitReport.ProbeCandidate> candidates = new ArrayList<>();
        candidates.add(candidate("single", new int[]{layers[best]}, cv[best]));
        int m = Math.min(o.multiLayerCount(), nLayers);
        int[] top = new int[Math.max(m, 0)];
        for (int i = 0; i < top.length; i++) top[i] = rank[i];
        Arrays.sort(top);
        int[] topLayers = new int[top.length];
        for (int i = 0; i < top.length; i++) topLayers[i] = layers[top[i]];
        float[] concatRows = null, stackRows = null;
        CrossValidation.Result concatCv = null, stackCv = null;
        if (o.multiLayer() != MultiLayer.OFF && m >= 2) {
            progress.accept("cross-validate the multi-layer probes over layers " + Arrays.toString(topLayers));
            concatRows = concatLayers(data, top);
            concatCv = CrossValidation.probe(concatRows, nAll, m * d, allLabels, fold, o.probe(), o.targetFpr());
            candidates.add(candidate("concat", topLayers, concatCv));
            stackRows = new float[nAll * m];
            for (int i = 0; i < nAll; i++)
                for (int j = 0; j < m; j++) stackRows[i * m + j] = (float) cv[top[j]].oofLogit()[i];
            stackCv = CrossValidation.probe(stackRows, nAll, m, allLabels, fold, o.probe(), o.targetFpr());
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
        CrossValidation.Result headlineCv = switch (headline) {
            case "concat" -> concatCv;
            case "stacked" -> stackCv;
            default -> cv[best];
        };

        // ---- CAST: condition vectors by cross-validation, the rule calibrated to the target FPR.
        progress.accept("CAST condition by cross-validation over " + nLayers + " layer(s)");
        CastCalibration[] castCal = new CastCalibration[nLayers];
        for (int li = 0; li < nLayers; li++) castCal[li] = castCalibration(data, li, fold, folds, o);

        // ---- Published pass: fit on all rows.
        List<LayerDirections> out = new ArrayList<>();
        List<LayerReport> reports = new ArrayList<>();
        float[] finalDims = new float[nLayers * d];
        OperatingPoint.Choice[] probePoints = new OperatingPoint.Choice[nLayers];
        for (int li = 0; li < nLayers; li++) {
            int layer = layers[li];
            progress.accept("fit layer " + layer + " on all rows (" + (li + 1) + "/" + nLayers + ")");
            ClassData all = data.classData(li);
            float[] rows = concat(all.harmful(), all.harmless());
            float[] dim = DimFit.direction(all);
            System.arraycopy(dim, 0, finalDims, li * d, d);
            Standardisation dimSt = Standardisation.of(project(rows, nAll, d, dim), nAll);
            PooledCovariance cov = PooledCovariance.fit(all, o.mahalanobisL2Normalize());
            float[] fisher = FisherFit.direction(o.mahalanobisL2Normalize() ? PooledCovariance.fit(all, false) : cov);
            Standardisation fisherSt = Standardisation.of(project(rows, nAll, d, fisher), nAll);
            MahalanobisFit.Result maha = MahalanobisFit.fit(cov, new MahalanobisFit.Options(o.lowRankK(), exact,
                    o.mahalanobisL2Normalize(), oodCalibration[li]));
            MahalanobisScorer ms = new MahalanobisScorer(maha.meanHarmful(), maha.meanHarmless(), maha.params());
            double[] refusal = new double[nAll];
            mahalanobis(ms, exact, rows, nAll, d, refusal, null);
            Standardisation mahaSt = Standardisation.of(refusal, nAll);
            LogisticProbeParams fitted = LogisticProbeFit.fit(rows, nAll, d, allLabels, o.probe());
            probePoints[li] = operatingPoint(cv[li].oofLogit(), fitted, rows, d, allLabels, o);
            LogisticProbeParams probe = withThreshold(fitted, probabilityThreshold(probePoints[li]));
            float[] c = CastFit.conditionVector(all.harmful(), all.nHarmful(), all.harmless(), all.nHarmless(), d);
            CastScorer fullCast = new CastScorer(c, 0, true);
            castCal[li] = castCal[li].tightened(similarities(fullCast, all.harmful(), all.nHarmful(), d),
                    similarities(fullCast, all.harmless(), all.nHarmless(), d));
            CastCalibration cc = castCal[li];
            CastParams castParams = new CastParams(c, cc.choice().tau(), cc.firesAbove(), cc.f1());
            out.add(new LayerDirections(layer, maha.meanHarmful(), maha.meanHarmless(), dim, dimSt, fisher, fisherSt,
                    probe, maha.params(), castParams, null, mahaSt));

            double[] f = (double[]) evalFigures[li];
            CrossValidation.Result r = cv[li];
            reports.add(new LayerReport(layer, train.nHarmful(), train.nHarmless(), test.nHarmful(), test.nHarmless(),
                    f[0], f[1], probeAuc[li], f[2], f[3], f[4], f[5], f[6], maha.params().shrinkage(),
                    maha.params().conditionNumber(), maha.params().eigenvalueFloor(), cc.choice().tau(),
                    cc.firesAbove() ? "greater" : "less", cc.f1(), r.auc(), r.foldAucMean(), r.foldAucStd(),
                    r.tprAtTarget(), r.foldTprMean(), r.foldTprStd(), r.logLoss(), probe.decisionThreshold(),
                    cc.choice().tpr(), cc.choice().expectedFpr()));
        }
        int castBest = 0;
        for (int li = 1; li < nLayers; li++) {
            CastCalibration b = castCal[castBest];
            if (castCal[li].choice().tpr() > b.choice().tpr()
                    || (castCal[li].choice().tpr() == b.choice().tpr() && castCal[li].f1() > b.f1())) castBest = li;
        }
        MultiLayerProbe multi = null;
        OperatingPoint.Choice headlinePoint = probePoints[best];
        if (!headline.equals("single")) {
            progress.accept("fit the " + headline + " probe over layers " + Arrays.toString(topLayers) + " on all rows");
            LogisticProbeParams p;
            if (headline.equals("concat")) {
                p = LogisticProbeFit.fit(concatRows, nAll, m * d, allLabels, o.probe());
            } else {
                LogisticProbeParams stacker = LogisticProbeFit.fit(stackRows, nAll, m, allLabels, o.probe());
                LogisticProbeParams[] parts = new LogisticProbeParams[m];
                for (int j = 0; j < m; j++) parts[j] = out.get(top[j]).probe();
                p = foldStacked(stacker, parts, d);
            }
            headlinePoint = operatingPoint(headlineCv.oofLogit(), p, concatRows, m * d, allLabels, o);
            multi = new MultiLayerProbe(topLayers, withThreshold(p, probabilityThreshold(headlinePoint)), headline);
        }

        // ---- Refusal plane at the scoring layer, sectors from the labels.
        progress.accept("refusal plane at layer " + layers[best]);
        ClassData bestAll = data.classData(best);
        float[] harmlessMean = VectorOps.toFloat(DimFit.meanHarmless(bestAll));
        int[] responses = new int[nAll];
        for (int i = 0; i < data.nHarmful(); i++)
            responses[i] = data.harmfulResponses() == null ? SyntheticActivations.RESPONSE_REFUSED : data.harmfulResponses()[i];
        for (int i = data.nHarmful(); i < nAll; i++) responses[i] = SyntheticActivations.RESPONSE_COMPLIED;
        RefusalPlaneParams plane = RefusalPlaneFit.fit(layers[best], out.get(best).dimDirection(), finalDims, nLayers,
                out.get(best).fisherDirection(), harmlessMean, concat(bestAll.harmful(), bestAll.harmless()), nAll,
                responses, d);

        DirectionSetModel set = new DirectionSetModel(o.modelId(), o.modelRevision(), o.version(),
                System.currentTimeMillis(), d, layers[best], layers[castBest], List.copyOf(out), plane, ensemble,
                data.nHarmful(), data.nHarmless(), "", multi, o.targetFpr());
        FitReport.HoldoutCheck check = holdout != null ? holdoutCheck(set, test, headlinePoint, castCal[castBest].choice()) : null;

        double seconds = (System.nanoTime() - t0) / 1e9;
        List<FitReport.SectorReport> sectors = new ArrayList<>();
        for (Sector s : plane.sectors()) sectors.add(new FitReport.SectorReport(s.name(), s.startDeg(), s.endDeg()));
        FitReport.ProbeCandidate headlineCandidate = candidates.stream().filter(c -> c.kind().equals(headline)).findFirst().orElseThrow();
        FitReport report = new FitReport(o.modelId(), data.nHarmful(), data.nHarmless(), d, evaluation, reports,
                probeAuc.clone(), layers[best], layers[castBest], ensemble, ensembleAuc,
                LayerSelection.cosineMatrix(splitRows(finalDims, nLayers, d)), sectors,
                exact ? "exact+low_rank" : "low_rank", Math.min(o.lowRankK(), d), o.mahalanobisL2Normalize(), seconds,
                o.targetFpr(), o.fprConfidence(), folds, layerRanking, List.copyOf(candidates), headlineCandidate,
                FitReport.Decision.of("flagged", headlinePoint), FitReport.Decision.of("cast_fired", castCal[castBest].choice()),
                check);
        return new Result(set, report, test);
    }

    /** CAST's out-of-fold similarities and rule at one layer. */
    private record CastCalibration(OperatingPoint.Choice choice, boolean firesAbove, double f1, double[] simH,
                                   double[] simS) {
        /** The stricter of this rule and the same target on the published condition vector's own training rows. */
        CastCalibration tightened(double[] inH, double[] inS) {
            OperatingPoint.Choice c;
            if (firesAbove) {
                c = OperatingPoint.stricter(choice, simH, simS, inH, inS);
            } else {
                OperatingPoint.Choice t = OperatingPoint.stricter(negated(choice), negate(simH), negate(simS),
                        negate(inH), negate(inS));
                c = negated(t);
            }
            return new CastCalibration(c, firesAbove, DirectionFitter.f1(c, simH.length, simS.length), simH, simS);
        }

        private static OperatingPoint.Choice negated(OperatingPoint.Choice c) {
            return new OperatingPoint.Choice(-c.tau(), c.targetFpr(), c.confidence(), c.harmless(), c.harmful(),
                    c.allowedFalsePositives(), c.heldOutFpr(), c.expectedFpr(), c.fprLow(), c.fprHigh(), c.targetMet(),
                    c.tpr(), c.tprLow(), c.tprHigh());
        }
    }

    /**
     * CAST at one layer: out-of-fold similarities (condition vector from the other folds), then the rule at the target
     * FPR for both comparators; the comparator with the higher TPR wins (ties: fires above).
     */
    private static CastCalibration castCalibration(LabelledLayers data, int li, int[] fold, int folds, Options o) {
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

    private static double f1(OperatingPoint.Choice c, int nh, int ns) {
        double tp = c.tpr() * nh, fp = c.heldOutFpr() * ns, fn = nh - tp;
        return tp == 0 ? 0 : 2 * tp / (2 * tp + fp + fn);
    }

    private static double[] similarities(CastScorer scorer, float[] rows, int n, int d) {
        double[] out = new double[n];
        for (int i = 0; i < n; i++) out[i] = scorer.similarity(rows, i * d);
        return out;
    }

    private static double[] negate(double[] a) {
        double[] out = new double[a.length];
        for (int i = 0; i < a.length; i++) out[i] = -a[i];
        return out;
    }

    /**
     * The probe's rule: τ at the target on the out-of-fold logits, made stricter when the published probe's own
     * training logits put more harmless rows above it ({@link OperatingPoint#stricter}).
     */
    private static OperatingPoint.Choice operatingPoint(double[] oofLogit, LogisticProbeParams published, float[] rows,
                                                        int width, boolean[] harmful, Options o) {
        int nh = 0;
        for (boolean b : harmful) if (b) nh++;
        double[] h = new double[nh], s = new double[harmful.length - nh];
        double[] ih = new double[nh], is = new double[harmful.length - nh];
        ProbeScorer scorer = new ProbeScorer(published);
        int a = 0, b = 0;
        for (int i = 0; i < harmful.length; i++) {
            double in = scorer.logit(rows, i * width);
            if (harmful[i]) { h[a] = oofLogit[i]; ih[a++] = in; } else { s[b] = oofLogit[i]; is[b++] = in; }
        }
        OperatingPoint.Choice oof = OperatingPoint.choose(h, s, o.targetFpr(), o.fprConfidence());
        return OperatingPoint.stricter(oof, h, s, ih, is);
    }

    /** The probability threshold of a "p ≥ t" rule equivalent to "logit &gt; τ". */
    private static double probabilityThreshold(OperatingPoint.Choice c) {
        return Math.min(1.0, Math.nextUp(ProbeScorer.sigmoid(c.tau())));
    }

    private static LogisticProbeParams withThreshold(LogisticProbeParams p, double threshold) {
        return new LogisticProbeParams(p.featureMean(), p.featureStd(), p.coefficients(), p.intercept(), p.c(), threshold);
    }

    /**
     * A stacked probe p = σ(Σ_j β_j (z_j − μ_j)/σ_j + b₀) over per-layer logits z_j = v_j·((x_j − m_j)/s_j) + b_j,
     * written as one probe over the concatenated layers: coefficients (β_j/σ_j) v_j, feature means m_j and stds s_j,
     * intercept b₀ + Σ_j (β_j/σ_j)(b_j − μ_j).
     */
    public static LogisticProbeParams foldStacked(LogisticProbeParams stacker, LogisticProbeParams[] parts, int d) {
        int m = parts.length;
        float[] mean = new float[m * d], std = new float[m * d], coef = new float[m * d];
        double intercept = stacker.intercept();
        for (int j = 0; j < m; j++) {
            double a = stacker.coefficients()[j] / stacker.featureStd()[j];
            System.arraycopy(parts[j].featureMean(), 0, mean, j * d, d);
            System.arraycopy(parts[j].featureStd(), 0, std, j * d, d);
            for (int t = 0; t < d; t++) coef[j * d + t] = (float) (a * parts[j].coefficients()[t]);
            intercept += a * (parts[j].intercept() - stacker.featureMean()[j]);
        }
        return new LogisticProbeParams(mean, std, coef, intercept, stacker.c(), 0.5);
    }

    private static FitReport.ProbeCandidate candidate(String kind, int[] layers, CrossValidation.Result r) {
        return new FitReport.ProbeCandidate(kind, layers.clone(), r.auc(), r.foldAucMean(), r.foldAucStd(),
                r.tprAtTarget(), r.foldTprMean(), r.foldTprStd(), r.logLoss());
    }

    /** Rows of the given layer indices side by side: [n, top.length × d], harmful rows first. */
    public static float[] concatLayers(LabelledLayers data, int[] top) {
        int d = data.d(), m = top.length, n = data.nHarmful() + data.nHarmless(), w = m * d;
        float[] out = new float[n * w];
        for (int j = 0; j < m; j++) {
            float[] h = data.harmful()[top[j]], s = data.harmless()[top[j]];
            for (int i = 0; i < data.nHarmful(); i++) System.arraycopy(h, i * d, out, i * w + j * d, d);
            for (int i = 0; i < data.nHarmless(); i++) System.arraycopy(s, i * d, out, (data.nHarmful() + i) * w + j * d, d);
        }
        return out;
    }

    /** The published set's decisions measured on the holdout files (rows the fit never saw). */
    private static FitReport.HoldoutCheck holdoutCheck(DirectionSetModel set, LabelledLayers test,
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
        return new FitReport.HoldoutCheck(nh, ns, (double) flagged[1] / ns,
                OperatingPoint.clopperPearsonLow(flagged[1], ns), OperatingPoint.clopperPearsonHigh(flagged[1], ns),
                (double) flagged[0] / nh, (double) fired[1] / ns, (double) fired[0] / nh,
                OperatingPoint.clopperPearsonLow(flagged[1], ns) <= probe.targetFpr(),
                OperatingPoint.clopperPearsonLow(fired[1], ns) <= cast.targetFpr());
    }

    private static void requireRows(String what, int n, int min) {
        if (n < min)
            throw new IllegalArgumentException(what + ": " + n + " row(s); at least " + min + " per class are needed");
    }

    /** The training and held-out parts of a stratified split. */
    public record Split(LabelledLayers train, LabelledLayers holdout) {
    }

    /**
     * The stratified split {@link #fit} uses when no holdout set is given: per class (harmful first, from one
     * {@code SplittableRandom(seed)}) a Fisher–Yates permutation, round(n × fraction) rows held out, clamped to
     * [2, n − 2]. Callers that must evaluate on the same held-out rows (the trainer's quality gate) use this.
     */
    public static Split split(LabelledLayers data, double fraction, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        int[][] h = split(data.nHarmful(), fraction, rnd);
        int[][] s = split(data.nHarmless(), fraction, rnd);
        return new Split(data.rows(h[0], s[0]), data.rows(h[1], s[1]));
    }

    /** A stratified split of one class: [0] = kept rows, [1] = held-out rows (at least 2 each), both ascending. */
    static int[][] split(int n, double fraction, SplittableRandom rnd) {
        int[] perm = new int[n];
        for (int i = 0; i < n; i++) perm[i] = i;
        for (int i = n - 1; i > 0; i--) {
            int j = rnd.nextInt(i + 1);
            int t = perm[i]; perm[i] = perm[j]; perm[j] = t;
        }
        int held = (int) Math.round(n * fraction);
        held = Math.max(2, Math.min(n - 2, held));
        int[] keep = Arrays.copyOfRange(perm, held, n);
        int[] out = Arrays.copyOfRange(perm, 0, held);
        Arrays.sort(keep);
        Arrays.sort(out);
        return new int[][]{keep, out};
    }

    private static boolean[] labels(int nHarmful, int nHarmless) {
        boolean[] y = new boolean[nHarmful + nHarmless];
        Arrays.fill(y, 0, nHarmful, true);
        return y;
    }

    private static float[] concat(float[] a, float[] b) {
        float[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    private static double[] project(float[] rows, int n, int d, float[] direction) {
        double[] p = new double[n];
        for (int i = 0; i < n; i++) p[i] = VectorOps.dot(rows, i * d, direction, 0, d);
        return p;
    }

    private static void mahalanobis(MahalanobisScorer ms, boolean exact, float[] rows, int n, int d,
                                    double[] refusal, float[] ood) {
        MahalanobisScorer.Scratch scratch = ms.newScratch();
        MahalanobisScorer.Result r = new MahalanobisScorer.Result();
        for (int i = 0; i < n; i++) {
            ms.score(rows, i * d, exact, scratch, r);
            refusal[i] = r.refusal();
            if (ood != null) ood[i] = (float) r.ood();
        }
    }

    private static float[][] splitRows(float[] x, int n, int d) {
        float[][] out = new float[n][];
        for (int i = 0; i < n; i++) out[i] = Arrays.copyOfRange(x, i * d, (i + 1) * d);
        return out;
    }
}
