package dev.refusalmonitor.math.fit;

import dev.refusalmonitor.contract.directions.DirectionSetModel;
import dev.refusalmonitor.contract.directions.LayerDirections;
import dev.refusalmonitor.contract.directions.LogisticProbeParams;
import dev.refusalmonitor.contract.directions.RefusalPlaneParams;
import dev.refusalmonitor.math.VectorOps;
import dev.refusalmonitor.math.synthetic.SyntheticActivations;

import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.function.Consumer;

/**
 * Fits every direction type of DESIGN "The scores" for every layer, evaluates them on held-out rows, chooses the
 * layers, and assembles the {@link DirectionSetModel} with its {@link FitReport}.
 *
 * <p>Two passes: the <em>evaluation</em> ({@link HeldOutEvaluation}) fits on the training part and measures on the
 * held-out part (a stratified split, or holdout sets the caller gives); the <em>published</em> set
 * ({@link PublishedLayers}) is fitted on all the given rows. Choices that need data the fit did not see come from
 * the evaluation pass (the OOD calibration distances) or from k-fold cross-validation over all rows
 * ({@link LayerRanking}, {@link ProbeCandidates}, {@link CastCalibration}: the layer choice, the headline probe,
 * every decision threshold) and are carried into the published set.
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
     * Fits and evaluates: the evaluation pass, the cross-validated layer ranking and probe candidates, CAST's
     * cross-validated rule, the published pass, the headline probe, the refusal plane, then the report.
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
        int d = data.d();
        int[] layers = data.layers();
        Split heldOut = heldOutRows(data, holdout, o);
        boolean exact = d <= o.exactMaxDim();
        int[] ensemble = ensembleLayers(layers, o);

        HeldOutEvaluation evaluation = HeldOutEvaluation.run(heldOut.train(), heldOut.holdout(),
                holdout != null ? "holdout-files" : "holdout-split " + o.holdoutFraction() + " seed " + o.seed(),
                o, exact, progress);
        double ensembleAuc = evaluation.ensembleAuc(ensemble);

        boolean[] labels = FitRows.labels(data.nHarmful(), data.nHarmless());
        LayerRanking ranking = LayerRanking.crossValidate(data, labels, o, progress);
        ProbeCandidates candidates = ProbeCandidates.choose(data, labels, ranking, o, progress);
        CastCalibration[] cast = CastCalibration.crossValidate(data, ranking, o, progress);

        PublishedLayers published = PublishedLayers.fit(data, labels, evaluation, ranking, cast, exact, o, progress);
        int best = ranking.best(), castBest = CastCalibration.best(published.cast());
        ProbeCandidates.Headline headline = candidates.publish(published.layers(), published.probePoints()[best],
                labels, d, o, progress);
        RefusalPlaneParams plane = refusalPlane(data, best, published, progress);

        DirectionSetModel set = new DirectionSetModel(o.modelId(), o.modelRevision(), o.version(),
                System.currentTimeMillis(), d, layers[best], layers[castBest], published.layers(), plane, ensemble,
                data.nHarmful(), data.nHarmless(), "", headline.multiLayer(), o.targetFpr());
        FitReport.HoldoutCheck check = holdout == null ? null : FitReportAssembler.holdoutCheck(set,
                evaluation.test(), headline.point(), published.cast()[castBest].choice());
        double seconds = (System.nanoTime() - t0) / 1e9;
        FitReport report = FitReportAssembler.report(o, data, evaluation, ranking, candidates, published, headline,
                castBest, ensemble, ensembleAuc, plane, exact, seconds, check);
        return new Result(set, report, evaluation.test());
    }

    /** The holdout files checked against the data, or the stratified split of the data. */
    private static Split heldOutRows(LabelledLayers data, LabelledLayers holdout, Options o) {
        if (holdout == null) return split(data, o.holdoutFraction(), o.seed());
        if (holdout.d() != data.d())
            throw new IllegalArgumentException("holdout d = " + holdout.d() + " but training d = " + data.d());
        if (!Arrays.equals(holdout.layers(), data.layers()))
            throw new IllegalArgumentException("holdout layers " + Arrays.toString(holdout.layers()) + " differ from training layers " + Arrays.toString(data.layers()));
        requireRows("holdout harmful", holdout.nHarmful(), 2);
        requireRows("holdout harmless", holdout.nHarmless(), 2);
        return new Split(data, holdout);
    }

    private static int[] ensembleLayers(int[] layers, Options o) {
        int[] ensemble = o.ensembleLayers() == null ? layers.clone() : o.ensembleLayers().clone();
        for (int e : ensemble)
            if (Arrays.binarySearch(layers, e) < 0)
                throw new IllegalArgumentException("ensemble layer " + e + " is not among the fitted layers " + Arrays.toString(layers));
        return ensemble;
    }

    /** The refusal plane at the scoring layer, its sectors from the response labels. */
    private static RefusalPlaneParams refusalPlane(LabelledLayers data, int best, PublishedLayers published,
                                                   Consumer<String> progress) {
        int[] layers = data.layers();
        progress.accept("refusal plane at layer " + layers[best]);
        ClassData bestAll = data.classData(best);
        int nAll = bestAll.n();
        float[] harmlessMean = VectorOps.toFloat(DimFit.meanHarmless(bestAll));
        int[] responses = new int[nAll];
        for (int i = 0; i < data.nHarmful(); i++)
            responses[i] = data.harmfulResponses() == null ? SyntheticActivations.RESPONSE_REFUSED : data.harmfulResponses()[i];
        for (int i = data.nHarmful(); i < nAll; i++) responses[i] = SyntheticActivations.RESPONSE_COMPLIED;
        LayerDirections scoring = published.layers().get(best);
        return RefusalPlaneFit.fit(layers[best], scoring.dimDirection(), published.dimDirections(), layers.length,
                scoring.fisherDirection(), harmlessMean, FitRows.rows(bestAll), nAll, responses, data.d());
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
        int[] perm = Permutations.shuffled(n, rnd);
        int held = (int) Math.round(n * fraction);
        held = Math.max(2, Math.min(n - 2, held));
        int[] keep = Arrays.copyOfRange(perm, held, n);
        int[] out = Arrays.copyOfRange(perm, 0, held);
        Arrays.sort(keep);
        Arrays.sort(out);
        return new int[][]{keep, out};
    }
}
