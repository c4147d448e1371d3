package dev.refusalmonitor.math.fit;

import dev.refusalmonitor.contract.directions.LogisticProbeParams;
import dev.refusalmonitor.math.score.ProbeScorer;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Stratified k-fold cross-validation of the logistic probe, and the figures the layer choice ranks by.
 *
 * <p>Folds: per class (harmful rows first, then harmless, from one {@code SplittableRandom(seed)}), a Fisher–Yates
 * permutation dealt round-robin into k folds, so every fold holds ⌊n_c/k⌋ or ⌈n_c/k⌉ rows of each class. Each row is
 * scored once, by the probe fitted on the other k − 1 folds: its <em>out-of-fold</em> (OOF) logit.
 *
 * <p>Figures: over all OOF logits pooled, ROC AUC, the log-loss (mean of log(1 + exp(−y z)), y = ±1) and the TPR at
 * the target FPR ({@link OperatingPoint} at confidence 0 on the pooled harmless logits); per fold, the same AUC and
 * TPR on that fold's rows (their spread is the CV spread of the report).
 */
public final class CrossValidation {
    private CrossValidation() {
    }

    /**
     * @param oofLogit out-of-fold logit per row (rows in the order given)
     * @param auc pooled OOF ROC AUC
     * @param tprAtTarget pooled OOF TPR at the target FPR
     * @param logLoss pooled OOF log-loss (nats)
     * @param foldAuc per-fold AUC
     * @param foldTpr per-fold TPR at the target FPR (threshold from that fold's harmless rows)
     */
    public record Result(double[] oofLogit, double auc, double tprAtTarget, double logLoss, double[] foldAuc,
                         double[] foldTpr) {
        public double foldAucMean() {
            return mean(foldAuc);
        }

        public double foldAucStd() {
            return std(foldAuc);
        }

        public double foldTprMean() {
            return mean(foldTpr);
        }

        public double foldTprStd() {
            return std(foldTpr);
        }
    }

    /**
     * Fold of every row: harmful rows [0, nHarmful), then harmless rows. k is clamped to the smaller class size.
     */
    public static int[] folds(int nHarmful, int nHarmless, int k, long seed) {
        if (k < 2) throw new IllegalArgumentException("cross-validation needs at least 2 folds, got " + k);
        int kk = Math.min(k, Math.min(nHarmful, nHarmless));
        if (kk < 2) throw new IllegalArgumentException("cross-validation needs at least 2 rows per class");
        SplittableRandom rnd = new SplittableRandom(seed);
        int[] fold = new int[nHarmful + nHarmless];
        deal(fold, 0, nHarmful, kk, rnd);
        deal(fold, nHarmful, nHarmless, kk, rnd);
        return fold;
    }

    /** Number of folds in an assignment from {@link #folds}. */
    public static int foldCount(int[] fold) {
        int k = 0;
        for (int f : fold) k = Math.max(k, f + 1);
        return k;
    }

    private static void deal(int[] fold, int from, int n, int k, SplittableRandom rnd) {
        int[] perm = Permutations.shuffled(n, rnd);
        for (int i = 0; i < n; i++) fold[from + perm[i]] = i % k;
    }

    /**
     * Cross-validates the probe on row-major {@code rows} [n, d] (not modified).
     *
     * @param harmful label per row
     * @param fold fold per row, from {@link #folds}
     */
    public static Result probe(float[] rows, int n, int d, boolean[] harmful, int[] fold,
                               LogisticProbeFit.Options options, double targetFpr) {
        int k = foldCount(fold);
        double[] oof = new double[n];
        for (int f = 0; f < k; f++) {
            int nTrain = 0;
            for (int i = 0; i < n; i++) if (fold[i] != f) nTrain++;
            float[] train = new float[nTrain * d];
            boolean[] y = new boolean[nTrain];
            int t = 0;
            for (int i = 0; i < n; i++) {
                if (fold[i] == f) continue;
                System.arraycopy(rows, i * d, train, t * d, d);
                y[t++] = harmful[i];
            }
            LogisticProbeParams p = LogisticProbeFit.fit(train, nTrain, d, y, options);
            ProbeScorer scorer = new ProbeScorer(p);
            for (int i = 0; i < n; i++) if (fold[i] == f) oof[i] = scorer.logit(rows, i * d);
        }
        return evaluate(oof, harmful, fold, targetFpr);
    }

    /** The figures of {@link Result} for given OOF scores (higher = harmful; logits for the log-loss). */
    public static Result evaluate(double[] oof, boolean[] harmful, int[] fold, double targetFpr) {
        int k = foldCount(fold);
        double auc = RocAuc.auc(oof, harmful);
        double tpr = tpr(oof, harmful, null, -1, targetFpr);
        double loss = 0;
        for (int i = 0; i < oof.length; i++) {
            double m = harmful[i] ? oof[i] : -oof[i];
            loss += LogisticProbeFit.softplusNeg(m);
        }
        double[] foldAuc = new double[k], foldTpr = new double[k];
        for (int f = 0; f < k; f++) {
            int c = 0;
            for (int v : fold) if (v == f) c++;
            double[] s = new double[c];
            boolean[] y = new boolean[c];
            int j = 0;
            for (int i = 0; i < oof.length; i++) if (fold[i] == f) { s[j] = oof[i]; y[j++] = harmful[i]; }
            foldAuc[f] = RocAuc.auc(s, y);
            foldTpr[f] = tpr(oof, harmful, fold, f, targetFpr);
        }
        return new Result(oof, auc, tpr, loss / oof.length, foldAuc, foldTpr);
    }

    private static double tpr(double[] s, boolean[] harmful, int[] fold, int f, double targetFpr) {
        int nh = 0, ns = 0;
        for (int i = 0; i < s.length; i++) {
            if (fold != null && fold[i] != f) continue;
            if (harmful[i]) nh++; else ns++;
        }
        double[] h = new double[nh], z = new double[ns];
        nh = 0;
        ns = 0;
        for (int i = 0; i < s.length; i++) {
            if (fold != null && fold[i] != f) continue;
            if (harmful[i]) h[nh++] = s[i]; else z[ns++] = s[i];
        }
        return OperatingPoint.tprAt(h, z, targetFpr);
    }

    /**
     * Ranks candidates: higher TPR at the target FPR first, then lower log-loss, then the earlier index.
     *
     * @return indices into the arrays, best first
     */
    public static Integer[] rank(double[] tpr, double[] logLoss) {
        Integer[] order = new Integer[tpr.length];
        for (int i = 0; i < order.length; i++) order[i] = i;
        Arrays.sort(order, (a, b) -> {
            int c = Double.compare(tpr[b], tpr[a]);
            if (c != 0) return c;
            c = Double.compare(logLoss[a], logLoss[b]);
            return c != 0 ? c : Integer.compare(a, b);
        });
        return order;
    }

    static double mean(double[] a) {
        double s = 0;
        for (double v : a) s += v;
        return s / a.length;
    }

    /** Sample standard deviation (n − 1); 0 for one value. */
    static double std(double[] a) {
        if (a.length < 2) return 0;
        double m = mean(a), s = 0;
        for (double v : a) s += (v - m) * (v - m);
        return Math.sqrt(s / (a.length - 1));
    }
}
