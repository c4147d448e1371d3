package dev.refusalmonitor.math.fit;

import dev.refusalmonitor.math.VectorOps;
import dev.refusalmonitor.contract.directions.CastParams;
import dev.refusalmonitor.contract.directions.DirectionSetModel;
import dev.refusalmonitor.contract.directions.LayerDirections;
import dev.refusalmonitor.contract.directions.LogisticProbeParams;
import dev.refusalmonitor.contract.directions.RefusalPlaneParams;
import dev.refusalmonitor.contract.directions.Sector;
import dev.refusalmonitor.contract.directions.Standardisation;
import dev.refusalmonitor.math.score.MahalanobisScorer;
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

    /**
     * @param holdoutFraction share of each class held out when no holdout set is given
     * @param seed seeds the split, the shuffled-label control and the PCA pairing
     * @param probe the logistic probe's options (C, tolerance)
     * @param lowRankK eigenvectors kept for the low-rank Mahalanobis path
     * @param exactMaxDim the exact whitening factor is stored when d ≤ this (it is d(d+1)/2 floats)
     * @param mahalanobisL2Normalize Mahalanobis++ (L2-normalise rows first)
     * @param castStep θ grid step
     * @param ensembleLayers layers of the Mahalanobis ensemble; null = every layer, empty = no ensemble
     * @param minPerClass fewest rows per class accepted
     */
    public record Options(String modelId, String modelRevision, long version, double holdoutFraction, long seed,
                          LogisticProbeFit.Options probe, int lowRankK, int exactMaxDim, boolean mahalanobisL2Normalize,
                          double castStep, int[] ensembleLayers, int minPerClass, Consumer<String> progress) {
        public Options {
            if (modelId == null || modelId.isBlank()) throw new IllegalArgumentException("model id is required");
            if (version < 1) throw new IllegalArgumentException("version must be >= 1, got " + version);
            if (!(holdoutFraction > 0 && holdoutFraction < 1))
                throw new IllegalArgumentException("holdout fraction must be in (0, 1), got " + holdoutFraction);
            if (lowRankK < 1) throw new IllegalArgumentException("low-rank k must be >= 1");
            if (minPerClass < 4) throw new IllegalArgumentException("minPerClass must be >= 4 (2 to fit, 2 to evaluate)");
            if (modelRevision == null) modelRevision = "";
            if (progress == null) progress = s -> { };
        }

        public static Options defaults(String modelId) {
            return new Options(modelId, "", 1, 0.25, 7, LogisticProbeFit.Options.defaults().withTolerance(1e-6),
                    MahalanobisFit.DEFAULT_LOW_RANK_K, MahalanobisFit.DEFAULT_EXACT_MAX_D, false, CastFit.DEFAULT_STEP,
                    null, 10, null);
        }
    }

    /** The published set and its report. */
    public record Result(DirectionSetModel set, FitReport report) {
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
            float[] fisher = FisherFit.direction(cov);
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
        progress.accept("CAST grid search over " + nLayers + " layer(s)");
        CastFit.Result cast = CastFit.fit(layers, train.harmful(), train.nHarmful(), train.harmless(), train.nHarmless(),
                test.harmful(), test.nHarmful(), test.harmless(), test.nHarmless(), d, o.castStep());
        LayerSelection.Result choice = LayerSelection.select(layers, probeAuc, evalDim);
        int best = choice.bestIndex();
        double ensembleAuc = Double.NaN;
        if (ensemble.length > 0) {
            double[] mean = new double[test.nHarmful() + test.nHarmless()];
            for (int e : ensemble) {
                double[] part = ensembleParts[Arrays.binarySearch(layers, e)];
                for (int i = 0; i < mean.length; i++) mean[i] += part[i] / ensemble.length;
            }
            ensembleAuc = RocAuc.auc(mean, testLabels);
        }

        // ---- Published pass: fit on all rows.
        List<LayerDirections> out = new ArrayList<>();
        List<LayerReport> reports = new ArrayList<>();
        float[] finalDims = new float[nLayers * d];
        boolean[] allLabels = labels(data.nHarmful(), data.nHarmless());
        int nAll = allLabels.length;
        for (int li = 0; li < nLayers; li++) {
            int layer = layers[li];
            progress.accept("fit layer " + layer + " on all rows (" + (li + 1) + "/" + nLayers + ")");
            ClassData all = data.classData(li);
            float[] rows = concat(all.harmful(), all.harmless());
            float[] dim = DimFit.direction(all);
            System.arraycopy(dim, 0, finalDims, li * d, d);
            Standardisation dimSt = Standardisation.of(project(rows, nAll, d, dim), nAll);
            PooledCovariance cov = PooledCovariance.fit(all, o.mahalanobisL2Normalize());
            float[] fisher = FisherFit.direction(cov);
            Standardisation fisherSt = Standardisation.of(project(rows, nAll, d, fisher), nAll);
            MahalanobisFit.Result maha = MahalanobisFit.fit(cov, new MahalanobisFit.Options(o.lowRankK(), exact,
                    o.mahalanobisL2Normalize(), oodCalibration[li]));
            MahalanobisScorer ms = new MahalanobisScorer(maha.meanHarmful(), maha.meanHarmless(), maha.params());
            double[] refusal = new double[nAll];
            mahalanobis(ms, exact, rows, nAll, d, refusal, null);
            Standardisation mahaSt = Standardisation.of(refusal, nAll);
            LogisticProbeParams probe = LogisticProbeFit.fit(rows, nAll, d, allLabels, o.probe());
            CastParams evalCast = cast.perLayer().get(li);
            float[] c = CastFit.conditionVector(all.harmful(), all.nHarmful(), all.harmless(), all.nHarmless(), d);
            CastParams castParams = new CastParams(c, evalCast.threshold(), evalCast.firesAbove(), evalCast.f1());
            float[] pca = PcaReadingVector.fit(all.harmful(), all.nHarmful(), all.harmless(), all.nHarmless(), d, o.seed());
            out.add(new LayerDirections(layer, maha.meanHarmful(), maha.meanHarmless(), dim, dimSt, fisher, fisherSt,
                    probe, maha.params(), castParams, pca, mahaSt));

            double[] f = (double[]) evalFigures[li];
            reports.add(new LayerReport(layer, train.nHarmful(), train.nHarmless(), test.nHarmful(), test.nHarmless(),
                    f[0], f[1], probeAuc[li], f[2], f[3], f[4], f[5], f[6], maha.params().shrinkage(),
                    maha.params().conditionNumber(), maha.params().eigenvalueFloor(), evalCast.threshold(),
                    evalCast.firesAbove() ? "greater" : "less", evalCast.f1()));
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

        double seconds = (System.nanoTime() - t0) / 1e9;
        List<FitReport.SectorReport> sectors = new ArrayList<>();
        for (Sector s : plane.sectors()) sectors.add(new FitReport.SectorReport(s.name(), s.startDeg(), s.endDeg()));
        FitReport report = new FitReport(o.modelId(), data.nHarmful(), data.nHarmless(), d, evaluation, reports,
                probeAuc.clone(), layers[best], cast.bestLayer(), ensemble, ensembleAuc,
                LayerSelection.cosineMatrix(splitRows(finalDims, nLayers, d)), sectors,
                exact ? "exact+low_rank" : "low_rank", Math.min(o.lowRankK(), d), o.mahalanobisL2Normalize(), seconds);
        DirectionSetModel set = new DirectionSetModel(o.modelId(), o.modelRevision(), o.version(),
                System.currentTimeMillis(), d, layers[best], cast.bestLayer(), List.copyOf(out), plane, ensemble,
                data.nHarmful(), data.nHarmless(), "");
        return new Result(set, report);
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
