package dev.refusalmonitor.math.fit;

import dev.refusalmonitor.contract.directions.CastParams;
import dev.refusalmonitor.math.score.CastScorer;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Fits the CAST condition of DESIGN score 5 (seeds §8.7; IBM's activation-steering is the reference).
 *
 * <p><b>Condition vector.</b> The reference ("pca_center") centres each contrastive pair on its own midpoint and
 * takes the first principal component of the stacked centred rows. Our classes are unpaired, so every row is
 * centred on the midpoint of the two class means, m = (μ_H + μ_S)/2, and c is the first right singular vector of
 * the stacked [H; S] − m (no further mean removal: that would undo the pairing centre when the classes are
 * unbalanced). The sign is chosen so that harmful projects higher: (μ_H − μ_S)·c ≥ 0.
 *
 * <p><b>Rule.</b> s(x) = cos(x, tanh(P x)), P = c cᵀ/(cᵀc) (see {@link CastScorer}). On held-out rows, θ runs over
 * the grid θ_k = lo + k·step, k = 0..⌈(hi − lo)/step⌉, where [lo, hi] is the observed range of s, for both
 * comparators, maximising F1 with harmful as the positive class: F1 = 2TP/(2TP + FP + FN) (0 when TP = 0).
 * Ties between comparators keep "fires when s &gt; θ". θ is the middle grid point (index ⌊(first + last)/2⌋) of the
 * first run of consecutive grid points that reach the best F1: every θ of the run scores the same on the held-out
 * rows, and its middle keeps a margin to both classes where the run's first point would sit on the edge of the
 * held-out harmless similarities (DESIGN leaves ties open; IBM's reference keeps the first).
 * The best layer maximises F1, ties going to the earlier layer. {@link CastParams#firesAbove()} means "fires when
 * s &gt; θ"; beware that IBM's reference code names its comparators the other way round (its
 * {@code condition_comparator_threshold_is="smaller"} fires when s &gt; θ).
 */
public final class CastFit {
    /** Default θ grid step (DESIGN: 0.001 or finer). */
    public static final double DEFAULT_STEP = 0.001;

    private CastFit() {
    }

    /**
     * Best rule on one layer's held-out similarities.
     *
     * @param threshold θ
     * @param firesAbove true: fires when s &gt; θ
     * @param f1 held-out F1 (harmful positive)
     */
    public record ThresholdChoice(double threshold, boolean firesAbove, double f1) {
    }

    /**
     * @param layers layer indices searched
     * @param perLayer fitted CAST parameters per layer (same order)
     * @param bestIndex index of the layer with the highest F1 (ties: earlier layer)
     */
    public record Result(int[] layers, List<CastParams> perLayer, int bestIndex) {
        public int bestLayer() {
            return layers[bestIndex];
        }

        public CastParams best() {
            return perLayer.get(bestIndex);
        }
    }

    /**
     * Condition vector c (unit length, harmful projects higher): first principal component of the rows of H and S
     * centred on (μ_H + μ_S)/2. Inputs are row-major and not modified.
     */
    public static float[] conditionVector(float[] harmful, int nHarmful, float[] harmless, int nHarmless, int d) {
        Inputs.matrix("harmful", harmful, nHarmful, d, 1);
        Inputs.matrix("harmless", harmless, nHarmless, d, 1);
        double[] muH = dev.refusalmonitor.math.VectorOps.columnMeans(harmful, nHarmful, d);
        double[] muS = dev.refusalmonitor.math.VectorOps.columnMeans(harmless, nHarmless, d);
        double[] mid = new double[d];
        for (int j = 0; j < d; j++) mid[j] = 0.5 * (muH[j] + muS[j]);
        float[] stacked = new float[(nHarmful + nHarmless) * d];
        System.arraycopy(harmful, 0, stacked, 0, nHarmful * d);
        System.arraycopy(harmless, 0, stacked, nHarmful * d, nHarmless * d);
        FirstPrincipalComponent.Result pc = FirstPrincipalComponent.compute(stacked, nHarmful + nHarmless, d, mid, 5L);
        if (!(pc.eigenvalue() > 0))
            throw new IllegalArgumentException("CAST: all rows coincide with the class midpoint; no condition vector");
        double[] v = pc.vector();
        double diff = 0;
        for (int j = 0; j < d; j++) diff += (muH[j] - muS[j]) * v[j];
        float[] c = new float[d];
        double sign = diff < 0 ? -1 : 1;
        for (int j = 0; j < d; j++) c[j] = (float) (sign * v[j]);
        return c;
    }

    /**
     * Grid search of θ and comparator on held-out similarities (see class Javadoc for the grid and tie order).
     *
     * @param simHarmful s of held-out harmful rows, not modified
     * @param simHarmless s of held-out harmless rows, not modified
     * @param step grid step, &gt; 0 (DESIGN: 0.001 or finer)
     */
    public static ThresholdChoice searchThreshold(double[] simHarmful, double[] simHarmless, double step) {
        if (simHarmful == null || simHarmful.length == 0)
            throw new IllegalArgumentException("CAST: no held-out harmful similarities");
        if (simHarmless == null || simHarmless.length == 0)
            throw new IllegalArgumentException("CAST: no held-out harmless similarities");
        if (!(step > 0) || !Double.isFinite(step)) throw new IllegalArgumentException("step must be > 0, got " + step);
        double[] h = simHarmful.clone(), s = simHarmless.clone();
        Arrays.sort(h);
        Arrays.sort(s);
        if (!Double.isFinite(h[0]) || !Double.isFinite(h[h.length - 1])
                || !Double.isFinite(s[0]) || !Double.isFinite(s[s.length - 1]))
            throw new IllegalArgumentException("CAST: non-finite similarity");
        double lo = Math.min(h[0], s[0]), hi = Math.max(h[h.length - 1], s[s.length - 1]);
        long steps = (long) Math.ceil((hi - lo) / step);
        if (steps > 100_000_000L) throw new IllegalArgumentException("CAST: grid of " + steps + " steps is too fine");
        double bestF1 = -1;
        long runFirst = 0, runLast = 0; // the best run of consecutive grid points
        boolean bestAbove = true;
        for (int comparator = 0; comparator < 2; comparator++) {
            boolean above = comparator == 0;
            boolean extending = false;
            for (long k = 0; k <= steps; k++) {
                double theta = lo + k * step;
                long tp = above ? countAbove(h, theta) : countBelow(h, theta);
                long fp = above ? countAbove(s, theta) : countBelow(s, theta);
                double f1 = f1(tp, fp, h.length - tp);
                if (f1 > bestF1) {
                    bestF1 = f1;
                    runFirst = runLast = k;
                    bestAbove = above;
                    extending = true;
                } else if (extending && f1 == bestF1) {
                    runLast = k;
                } else {
                    extending = false;
                }
            }
        }
        // The middle of the run rather than its first point: the first point sits on the edge of the held-out
        // harmless similarities, so with few held-out rows the rule fired on much unseen harmless traffic.
        return new ThresholdChoice(lo + ((runFirst + runLast) / 2) * step, bestAbove, bestF1);
    }

    /**
     * Fits every candidate layer: the condition vector on the training rows, the rule on the held-out rows, then
     * picks the best layer by F1 (ties: earlier layer). Arrays are indexed like {@code layers}; nothing is modified.
     */
    public static Result fit(int[] layers, float[][] trainHarmful, int nTrainHarmful, float[][] trainHarmless,
                             int nTrainHarmless, float[][] heldHarmful, int nHeldHarmful, float[][] heldHarmless,
                             int nHeldHarmless, int d, double step) {
        if (layers == null || layers.length == 0) throw new IllegalArgumentException("CAST: no candidate layers");
        for (float[][] a : new float[][][]{trainHarmful, trainHarmless, heldHarmful, heldHarmless})
            if (a == null || a.length != layers.length)
                throw new IllegalArgumentException("CAST: need one array per candidate layer (" + layers.length + ")");
        List<CastParams> perLayer = new ArrayList<>();
        int best = 0;
        for (int l = 0; l < layers.length; l++) {
            float[] c = conditionVector(trainHarmful[l], nTrainHarmful, trainHarmless[l], nTrainHarmless, d);
            Inputs.matrix("heldHarmful", heldHarmful[l], nHeldHarmful, d, 1);
            Inputs.matrix("heldHarmless", heldHarmless[l], nHeldHarmless, d, 1);
            CastScorer scorer = new CastScorer(c, 0, true);
            ThresholdChoice choice = searchThreshold(similarities(scorer, heldHarmful[l], nHeldHarmful, d),
                    similarities(scorer, heldHarmless[l], nHeldHarmless, d), step);
            perLayer.add(new CastParams(c, choice.threshold(), choice.firesAbove(), choice.f1()));
            CastParams bestSoFar = perLayer.get(best);
            if (choice.f1() > bestSoFar.f1() || (choice.f1() == bestSoFar.f1() && layers[l] < layers[best])) best = l;
        }
        return new Result(layers.clone(), List.copyOf(perLayer), best);
    }

    /** s(x) of each row of row-major [n, d] {@code rows}. */
    static double[] similarities(CastScorer scorer, float[] rows, int n, int d) {
        double[] out = new double[n];
        for (int i = 0; i < n; i++) out[i] = scorer.similarity(rows, i * d);
        return out;
    }

    /** F1 = 2TP / (2TP + FP + FN); 0 when nothing harmful is caught. */
    static double f1(double tp, double fp, double fn) {
        return tp == 0 ? 0.0 : 2.0 * tp / (2.0 * tp + fp + fn);
    }

    /** Number of values (sorted ascending) strictly greater than t. */
    private static long countAbove(double[] sorted, double t) {
        int lo = 0, hi = sorted.length; // first index with value > t
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (sorted[mid] > t) hi = mid; else lo = mid + 1;
        }
        return sorted.length - lo;
    }

    /** Number of values (sorted ascending) strictly less than t. */
    private static long countBelow(double[] sorted, double t) {
        int lo = 0, hi = sorted.length; // first index with value >= t
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (sorted[mid] >= t) hi = mid; else lo = mid + 1;
        }
        return lo;
    }
}
