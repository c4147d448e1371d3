package dev.refusalmonitor.bench.detection;

import dev.refusalmonitor.activations.ActivationSet;
import dev.refusalmonitor.bench.Machine;
import dev.refusalmonitor.contract.HalfFloats;
import dev.refusalmonitor.contract.directions.MahalanobisParams;
import dev.refusalmonitor.math.fit.ClassData;
import dev.refusalmonitor.math.fit.DirectionFitter;
import dev.refusalmonitor.math.fit.MahalanobisFit;
import dev.refusalmonitor.math.fit.PooledCovariance;
import dev.refusalmonitor.math.fit.RocAuc;
import dev.refusalmonitor.math.score.MahalanobisScorer;
import dev.refusalmonitor.math.score.MahalanobisScorer.EigenvectorStorage;
import dev.refusalmonitor.math.synthetic.PlantedTruthSpec;
import dev.refusalmonitor.math.synthetic.SyntheticActivations;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Quality and speed of the low-rank Mahalanobis path against its rank k and eigenvector storage (BENCHMARKS.md
 * "Mahalanobis eigenvector storage", "Rank"): one fit at k = 64 per data set, the lower ranks cut from it with
 * {@link MahalanobisFit#truncate} (what a fit at that k returns), scored by the product's {@link MahalanobisScorer}.
 * <ul>
 * <li>refusal AUROC: d_S − d_H of held-out harmful vs harmless rows;</li>
 * <li>OOD AUROC: min-class distance of an OOD set vs held-out in-distribution rows;</li>
 * <li>ns/record: {@code score} over the held-out rows, single thread, after warm-up.</li>
 * </ul>
 * Storage: f32 rows, scaled int16 (the default rule: int16 except the rows the error model keeps in f32), and f16 with a
 * per-row scale (quality only: rows rounded through f16 and scored as f32, since JDK 17 has no f16 vector kernel).
 * Data: planted truth (d = 4096 and 1024; OOD = held-out rows shifted by 3 sd along a random unit direction, and rows of
 * another planted model) and, when EMB_DIR is given, real MiniLM activations of the shared train/val prompts
 * (fit on *_train, refusal on *_val, OOD = shifted_docs vs harmless_val).
 *
 * <p>Usage: MahalanobisRankBenchmark OUT.md COMMAND [EMB_DIR]
 */
public final class MahalanobisRankBenchmark {
    private static final int[] RANKS = {8, 16, 32, 64};
    /** The fitter's default: Mahalanobis++ (rows and x L2-normalised). */
    private static final boolean L2 = DirectionFitter.DEFAULT_MAHALANOBIS_L2_NORMALIZE;

    private MahalanobisRankBenchmark() {
    }

    /** Rows to score: harmful, harmless (held out), in-distribution reference for OOD, OOD rows. */
    private record Eval(String name, int d, float[] harmful, float[] harmless, float[] in, float[] ood, String oodName, ClassData train) {
    }

    public static void main(String[] args) throws Exception {
        Path out = Path.of(args[0]);
        StringBuilder md = new StringBuilder("### Rank and storage: quality and speed (`benchmarks/run-rank.sh`)\n\n");
        md.append("Command: `").append(args[1]).append("`\n\nMachine: ").append(Machine.describe()).append("\n\n");
        md.append("One covariance fit per data set (PooledCovariance, Ledoit–Wolf shrinkage, top 64 eigenpairs; rows L2-normalised "
                + "first (Mahalanobis++), the fitter's default " + (L2 ? "(on)" : "(off)") + "); lower ranks cut "
                + "from it with `MahalanobisFit.truncate` (the top-k eigenpairs and trace-based remainder variance a fit at k returns). "
                + "AUROC of the refusal score d_S − d_H (held-out harmful vs harmless) and of the OOD score min(d_H, d_S) (OOD rows vs "
                + "held-out in-distribution rows); ns/record = `MahalanobisScorer.score` (both distances, one thread, fastest of 7 × 0.25 s after warm-up). "
                + "Storage: f32 rows; int16 = the default (scaled int16, rows the error model flags kept in f32; \"f32 rows\" says how many); "
                + "f16 = rows rounded through f16 with a per-row scale, scored as f32 (quality only: no f16 kernel on JDK 17). "
                + "\"exact\" = the exact whitening factor (stored only when d ≤ 1024).\n\n");
        md.append("| data | k | storage | f32 rows | refusal AUROC | OOD AUROC | ns/record |\n| --- | ---: | --- | ---: | ---: | ---: | ---: |\n");
        for (int d : new int[]{4096, 1024}) {
            for (Eval e : planted(d)) run(md, e);
        }
        if (args.length > 2) {
            Path emb = Path.of(args[2]);
            ActivationSet hT = ActivationSet.load(emb.resolve("harmful_train.npy")), sT = ActivationSet.load(emb.resolve("harmless_train.npy"));
            ActivationSet hV = ActivationSet.load(emb.resolve("harmful_val.npy")), sV = ActivationSet.load(emb.resolve("harmless_val.npy"));
            ActivationSet sh = ActivationSet.load(emb.resolve("shifted_docs.npy"));
            int[] layers = hT.layers();
            for (int layer : new int[]{layers[layers.length / 2], layers[layers.length - 1]}) {
                int d = hT.d();
                ClassData train = new ClassData(hT.layer(layer), hT.n(), sT.layer(layer), sT.n(), d);
                Eval e = new Eval(String.format(Locale.ROOT, "MiniLM layer %d (d = %d; train %d + %d, val %d + %d)", layer, d,
                        hT.n(), sT.n(), hV.n(), sV.n()), d, hV.layer(layer), sV.layer(layer), sV.layer(layer), sh.layer(layer),
                        "shifted_docs " + sh.n(), train);
                run(md, e);
            }
        }
        md.append('\n');
        Files.writeString(out, md.toString());
    }

    /** Planted truth at d: train 200 + 200 (the benchmark set's size), held out 500 + 500, two OOD sets. */
    private static Eval[] planted(int d) {
        int train = 200, test = 500;
        SyntheticActivations.Sample s = SyntheticActivations.generate(PlantedTruthSpec.of(train + test, train + test, d, 1, 11));
        float[] h = s.harmful()[0], sl = s.harmless()[0];
        float[] hTrain = Arrays.copyOf(h, train * d), sTrain = Arrays.copyOf(sl, train * d);
        float[] hTest = Arrays.copyOfRange(h, train * d, (train + test) * d), sTest = Arrays.copyOfRange(sl, train * d, (train + test) * d);
        float[] in = concat(hTest, sTest);
        // OOD 1: the held-out rows shifted by 3 sd (of the training rows along u) along a random unit direction u.
        SplittableRandom rnd = new SplittableRandom(5);
        double[] u = new double[d];
        double norm = 0;
        for (int j = 0; j < d; j++) norm += (u[j] = rnd.nextGaussian()) * u[j];
        norm = Math.sqrt(norm);
        for (int j = 0; j < d; j++) u[j] /= norm;
        double[] proj = new double[2 * train];
        float[] all = concat(hTrain, sTrain);
        for (int i = 0; i < 2 * train; i++) for (int j = 0; j < d; j++) proj[i] += u[j] * all[i * d + j];
        double mean = Arrays.stream(proj).average().orElse(0), var = 0;
        for (double p : proj) var += (p - mean) * (p - mean);
        double shift = 3 * Math.sqrt(var / (proj.length - 1));
        float[] shifted = in.clone();
        for (int i = 0; i < 2 * test; i++) for (int j = 0; j < d; j++) shifted[i * d + j] += (float) (shift * u[j]);
        // OOD 2: rows of another planted model (another seed: other scales, mean and loadings).
        SyntheticActivations.Sample other = SyntheticActivations.generate(PlantedTruthSpec.of(test, test, d, 1, 99));
        float[] otherRows = concat(other.harmful()[0], other.harmless()[0]);
        ClassData trainData = new ClassData(hTrain, train, sTrain, train, d);
        String name = String.format(Locale.ROOT, "planted d = %d (train %d + %d, held out %d + %d)", d, train, train, test, test);
        return new Eval[]{
                new Eval(name, d, hTest, sTest, in, shifted, "shift 3 sd along a random direction", trainData),
                new Eval(name, d, hTest, sTest, in, otherRows, "another planted model", trainData)};
    }

    /** One fit per data set (both planted OOD sets share it). */
    private static final java.util.Map<String, MahalanobisFit.Result> FITS = new java.util.HashMap<>();

    private static void run(StringBuilder md, Eval e) {
        ClassData train = e.train();
        int d = e.d();
        MahalanobisFit.Result fit = FITS.computeIfAbsent(e.name(), n -> {
            long t0 = System.nanoTime();
            PooledCovariance cov = PooledCovariance.fit(train, L2);
            MahalanobisFit.Result r = MahalanobisFit.fit(cov, MahalanobisFit.Options.defaults(d).withLowRankK(64)
                    .withExact(d <= 1024).withL2Normalize(L2));
            System.err.printf(Locale.ROOT, "%s: fitted in %.1f s%n", n, (System.nanoTime() - t0) / 1e9);
            return r;
        });
        String label = e.name() + "; OOD: " + e.oodName();
        if (fit.params().hasExact()) {
            MahalanobisScorer exact = new MahalanobisScorer(fit.meanHarmful(), fit.meanHarmless(), fit.params());
            line(md, label, "exact", "", "", exact, true, e);
        }
        for (int k : RANKS) {
            MahalanobisParams p = MahalanobisFit.truncate(fit.params(), d, Math.min(k, fit.params().k()));
            MahalanobisScorer f32 = new MahalanobisScorer(fit.meanHarmful(), fit.meanHarmless(), p, EigenvectorStorage.F32);
            MahalanobisScorer int16 = new MahalanobisScorer(fit.meanHarmful(), fit.meanHarmless(), p, EigenvectorStorage.INT16_ROW_SCALED);
            MahalanobisScorer f16 = new MahalanobisScorer(fit.meanHarmful(), fit.meanHarmless(), f16Rows(p, d), EigenvectorStorage.F32);
            line(md, label, String.valueOf(k), "f32", String.valueOf(k), f32, false, e);
            line(md, label, String.valueOf(k), "int16 (default)", String.valueOf(int16.exactRowCount()), int16, false, e);
            line(md, label, String.valueOf(k), "f16 per-row scale", "—", f16, false, e);
        }
    }

    private static void line(StringBuilder md, String label, String k, String storage, String f32Rows,
                             MahalanobisScorer scorer, boolean exact, Eval e) {
        double[] h = score(scorer, e.harmful(), e.d(), exact, true), s = score(scorer, e.harmless(), e.d(), exact, true);
        double[] in = score(scorer, e.in(), e.d(), exact, false), ood = score(scorer, e.ood(), e.d(), exact, false);
        double refusal = RocAuc.auc(concat(h, s), labels(h.length, s.length));
        double oodAuc = RocAuc.auc(concat(ood, in), labels(ood.length, in.length));
        String ns = storage.startsWith("f16") ? "—" : String.format(Locale.ROOT, "%.0f", nsPerRecord(scorer, e.in(), e.d(), exact));
        md.append(String.format(Locale.ROOT, "| %s | %s | %s | %s | %.4f | %.4f | %s |%n", label, k, storage, f32Rows, refusal, oodAuc, ns));
        System.err.printf(Locale.ROOT, "%s k=%s %s: %.4f %.4f %s%n", label, k, storage, refusal, oodAuc, ns);
    }

    private static double[] score(MahalanobisScorer scorer, float[] rows, int d, boolean exact, boolean refusal) {
        int n = rows.length / d;
        double[] out = new double[n];
        MahalanobisScorer.Scratch sc = scorer.newScratch();
        MahalanobisScorer.Result r = new MahalanobisScorer.Result();
        for (int i = 0; i < n; i++) {
            scorer.score(rows, i * d, exact, sc, r);
            out[i] = refusal ? r.refusal() : r.ood();
        }
        return out;
    }

    /**
     * ns per score: the fastest of 7 runs of 0.25 s each after a 0.5 s warm-up (the minimum, because on this shared
     * machine other processes only ever add time).
     */
    private static double nsPerRecord(MahalanobisScorer scorer, float[] rows, int d, boolean exact) {
        int n = rows.length / d;
        MahalanobisScorer.Scratch sc = scorer.newScratch();
        MahalanobisScorer.Result r = new MahalanobisScorer.Result();
        double sink = 0, best = Double.POSITIVE_INFINITY;
        long end = System.nanoTime() + 500_000_000L;
        int i = 0;
        while (System.nanoTime() < end) for (int j = 0; j < 16; j++, i++) sink += scorer.score(rows, (i % n) * d, exact, sc, r).refusal();
        for (int run = 0; run < 7; run++) {
            long count = 0, t0 = System.nanoTime(), now;
            end = t0 + 250_000_000L;
            while ((now = System.nanoTime()) < end) for (int j = 0; j < 16; j++, i++, count++) sink += scorer.score(rows, (i % n) * d, exact, sc, r).refusal();
            best = Math.min(best, (double) (now - t0) / count);
        }
        if (sink == 42.4242) System.err.println(sink);
        return best;
    }

    /** The eigenvector rows rounded through f16 after scaling each row to max |value| = 1 (and back). */
    private static MahalanobisParams f16Rows(MahalanobisParams p, int d) {
        float[] v = p.eigenvectors().clone();
        for (int r = 0; r < p.k(); r++) {
            float max = 0;
            for (int j = 0; j < d; j++) max = Math.max(max, Math.abs(v[r * d + j]));
            if (max == 0) continue;
            for (int j = 0; j < d; j++) v[r * d + j] = HalfFloats.f16ToFloat(HalfFloats.floatToF16(v[r * d + j] / max)) * max;
        }
        return new MahalanobisParams(p.shrinkage(), p.traceOverD(), p.eigenvalueFloor(), p.conditionNumber(), p.k(), v,
                p.eigenvalues(), p.remainderVariance(), p.exactWhitening(), p.l2Normalize(), p.oodCalibration());
    }

    private static boolean[] labels(int pos, int neg) {
        boolean[] l = new boolean[pos + neg];
        Arrays.fill(l, 0, pos, true);
        return l;
    }

    private static double[] concat(double[] a, double[] b) {
        double[] o = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, o, a.length, b.length);
        return o;
    }

    private static float[] concat(float[] a, float[] b) {
        float[] o = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, o, a.length, b.length);
        return o;
    }
}
