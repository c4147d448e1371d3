package dev.refusalmonitor.bench.detection;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.refusalmonitor.activations.ActivationSet;
import dev.refusalmonitor.contract.directions.DirectionSetModel;
import dev.refusalmonitor.contract.directions.LayerDirections;
import dev.refusalmonitor.contract.directions.LogisticProbeParams;
import dev.refusalmonitor.math.fit.ClassData;
import dev.refusalmonitor.math.fit.CrossValidation;
import dev.refusalmonitor.math.fit.DirectionFitter;
import dev.refusalmonitor.math.fit.LabelledLayers;
import dev.refusalmonitor.math.fit.LogisticProbeFit;
import dev.refusalmonitor.math.fit.MahalanobisFit;
import dev.refusalmonitor.math.fit.PooledCovariance;
import dev.refusalmonitor.math.fit.RocAuc;
import dev.refusalmonitor.math.score.CastScorer;
import dev.refusalmonitor.math.score.DirectionSetScorer;
import dev.refusalmonitor.math.score.MahalanobisScorer;
import dev.refusalmonitor.math.score.ProbeScorer;
import dev.refusalmonitor.math.score.Scores;
import dev.refusalmonitor.schemas.DirectionSetCodec;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Detection quality on real MiniLM activations (BENCHMARKS.md "Detection quality"): scores the validation prompts,
 * the paraphrased harmful prompts and a shifted-domain set with a direction set that {@code probe-trainer fit} wrote
 * with its defaults, and compares it with every single-layer probe of the set and with the multi-layer probe
 * variants (concatenated, stacked), which it fits itself on the training rows. Also measures the Mahalanobis OOD
 * variants (plain, Mahalanobis++) on the shifted set at matched length. Prints Markdown to stdout.
 *
 * <p>Arguments: EMB_DIR (harmful_train.npy, harmless_train.npy, harmful_val.npy, harmless_val.npy,
 * paraphrased_harmful.npy, shifted_docs.npy), PROMPTS_DIR (the four prompt JSON files), EXTRA_DIR
 * (benchmarks/detection: paraphrased_harmful.json, shifted_docs.json), SET (directions.pb).
 */
public final class DetectionQualityBenchmark {
    private static final double FPR = 0.01;

    private DetectionQualityBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        Path emb = Path.of(args[0]), prompts = Path.of(args[1]), extra = Path.of(args[2]);
        DirectionSetModel set = DirectionSetCodec.open(Files.readAllBytes(Path.of(args[3])));
        ActivationSet hTrain = ActivationSet.load(emb.resolve("harmful_train.npy"));
        ActivationSet sTrain = ActivationSet.load(emb.resolve("harmless_train.npy"));
        ActivationSet hVal = ActivationSet.load(emb.resolve("harmful_val.npy"));
        ActivationSet sVal = ActivationSet.load(emb.resolve("harmless_val.npy"));
        ActivationSet para = ActivationSet.load(emb.resolve("paraphrased_harmful.npy"));
        ActivationSet shifted = ActivationSet.load(emb.resolve("shifted_docs.npy"));
        int[] layers = hTrain.layers();
        int d = hTrain.d();
        StringBuilder md = new StringBuilder();
        JsonNode report = new ObjectMapper().readTree(set.reportJson());

        // ---- The shipped set: headline and per-layer probes, CAST.
        DirectionSetScorer scorer = new DirectionSetScorer(set);
        Scored vH = score(scorer, hVal), vS = score(scorer, sVal), vP = score(scorer, para);
        String kind = set.multiLayerProbe() == null ? "single layer " + set.scoringLayer()
                : set.multiLayerProbe().kind() + " " + Arrays.toString(set.multiLayerProbe().layers());
        md.append(String.format(Locale.ROOT, "Shipped set: headline probe **%s**, scoring layer %d, CAST layer %d, target FPR %s; "
                        + "layer ranking by 5-fold CV (TPR at 1 %% FPR, then log-loss): %s.%n%n", kind, set.scoringLayer(),
                set.castLayer(), set.targetFpr(), report.get("layerRanking")));
        md.append("Validation prompts (harmful_val 39, harmless_val 6264) and the paraphrased set (40, `benchmarks/detection/paraphrased_harmful.json`). "
                + "AUROC and \"TPR at 1 % FPR\" are curve figures on val (threshold at val's own 1 % harmless quantile); "
                + "\"flagged\" columns use the threshold stored in the set (calibrated on out-of-fold training rows); "
                + "\"paraphrased caught\" is at the stored threshold.\n\n");
        md.append("| probe | val AUROC | val TPR at 1 % FPR | val harmless flagged (95 % CI) | val harmful flagged | paraphrased caught |\n");
        md.append("| --- | ---: | ---: | ---: | ---: | ---: |\n");
        row(md, "**headline (" + kind + ")**", vH.probe, vS.probe, vP.probe, vH.flagged, vS.flagged, vP.flagged);
        double bestSingleAuc = 0, bestSingleTpr = 0, scoringAuc = 0, scoringTpr = 0;
        int bestAucLayer = -1, bestTprLayer = -1;
        for (LayerDirections l : set.layers()) {
            ProbeScorer p = new ProbeScorer(l.probe());
            double[] h = probs(p, hVal, l.layer()), s = probs(p, sVal, l.layer()), q = probs(p, para, l.layer());
            row(md, "layer " + l.layer() + (l.layer() == set.scoringLayer() ? " (scoring)" : ""), h, s, q,
                    countAtLeast(h, l.probe().decisionThreshold()), countAtLeast(s, l.probe().decisionThreshold()),
                    countAtLeast(q, l.probe().decisionThreshold()));
            double auc = RocAuc.auc(concat(h, s), labels(h.length, s.length)), tpr = tprAtFpr(h, s, FPR);
            if (auc > bestSingleAuc) { bestSingleAuc = auc; bestAucLayer = l.layer(); }
            if (tpr > bestSingleTpr) { bestSingleTpr = tpr; bestTprLayer = l.layer(); }
            if (l.layer() == set.scoringLayer()) { scoringAuc = auc; scoringTpr = tpr; }
        }
        double headAuc = RocAuc.auc(concat(vH.probe, vS.probe), labels(vH.probe.length, vS.probe.length));
        double headTpr = tprAtFpr(vH.probe, vS.probe, FPR);
        md.append(String.format(Locale.ROOT, "%nOn val, the headline against the best single layer chosen by CV (layer %d): AUROC %.4f vs %.4f (%s), "
                        + "TPR at 1 %% FPR %.3f vs %.3f (%s); against the best per-layer val figure (picked on val itself): AUROC %.4f vs %.4f "
                        + "(layer %d, %s), TPR %.3f vs %.3f (layer %d, %s). Held-out harmless flagged %.4f against the target %.2f: %s.%n%n",
                set.scoringLayer(), headAuc, scoringAuc, headAuc >= scoringAuc ? "at or above" : "below", headTpr, scoringTpr,
                headTpr >= scoringTpr ? "at or above" : "below", headAuc, bestSingleAuc, bestAucLayer,
                headAuc >= bestSingleAuc ? "at or above" : String.format(Locale.ROOT, "below by %.4f", bestSingleAuc - headAuc),
                headTpr, bestSingleTpr, bestTprLayer,
                headTpr >= bestSingleTpr ? "at or above" : String.format(Locale.ROOT, "below by %.3f", bestSingleTpr - headTpr),
                (double) vS.flagged / vS.probe.length, set.targetFpr(), withinTarget(vS.flagged, vS.probe.length, set.targetFpr())));

        md.append("CAST at its calibrated threshold against the probe (same target FPR):\n\n");
        md.append("| decision | val harmless fired (95 % CI) | val harmful fired | paraphrased fired |\n| --- | ---: | ---: | ---: |\n");
        md.append(String.format(Locale.ROOT, "| flagged (headline probe) | %s | %.3f | %.3f |%n", rate(vS.flagged, vS.probe.length),
                (double) vH.flagged / vH.probe.length, (double) vP.flagged / vP.probe.length));
        md.append(String.format(Locale.ROOT, "| cast_fired (layer %d) | %s | %.3f | %.3f |%n", set.castLayer(), rate(vS.cast, vS.probe.length),
                (double) vH.cast / vH.probe.length, (double) vP.cast / vP.probe.length));
        md.append(String.format(Locale.ROOT, "| both | | %.3f | %.3f |%n", (double) vH.both / vH.probe.length,
                (double) vP.both / vP.probe.length));
        md.append(String.format(Locale.ROOT, "| CAST but not flagged | %s | %.3f | %.3f |%n%n", rate(vS.castOnly, vS.probe.length),
                (double) vH.castOnly / vH.probe.length, (double) vP.castOnly / vP.probe.length));

        // ---- Multi-layer variants, fitted here on the training rows (top layers of the set's ranking).
        int m = Math.min(DirectionFitter.DEFAULT_MULTI_LAYER_COUNT, layers.length);
        int[] topLayers = new int[m];
        for (int i = 0; i < m; i++) topLayers[i] = report.get("layerRanking").get(i).asInt();
        Arrays.sort(topLayers);
        int[] top = new int[m];
        for (int i = 0; i < m; i++) top[i] = indexOf(layers, topLayers[i]);
        LabelledLayers train = labelled(hTrain, sTrain);
        int nAll = hTrain.n() + sTrain.n();
        boolean[] y = labels(hTrain.n(), sTrain.n());
        LogisticProbeFit.Options po = LogisticProbeFit.Options.defaults().withTolerance(1e-6);
        LogisticProbeParams concatProbe = LogisticProbeFit.fit(DirectionFitter.concatLayers(train, top), nAll, m * d, y, po);
        int[] fold = CrossValidation.folds(hTrain.n(), sTrain.n(), DirectionFitter.DEFAULT_CV_FOLDS, 7);
        float[] z = new float[nAll * m];
        LogisticProbeParams[] parts = new LogisticProbeParams[m];
        for (int j = 0; j < m; j++) {
            float[] rows = concat(train.harmful()[top[j]], train.harmless()[top[j]]);
            double[] oof = CrossValidation.probe(rows, nAll, d, y, fold, po, FPR).oofLogit();
            for (int i = 0; i < nAll; i++) z[i * m + j] = (float) oof[i];
            parts[j] = set.layer(topLayers[j]).probe();
        }
        LogisticProbeParams stacked = DirectionFitter.foldStacked(LogisticProbeFit.fit(z, nAll, m, y, po), parts, d);
        md.append("Multi-layer variants over layers " + Arrays.toString(topLayers) + " (the set's three best-ranked), fitted on all training rows; "
                + "5-fold CV figures from the fit's report.json; val figures as above (paraphrased caught at val's 1 % FPR threshold, so the rows compare):\n\n");
        md.append("| probe | CV AUROC (mean ± sd over folds) | CV TPR at 1 % FPR (mean ± sd) | CV log-loss | val AUROC | val TPR at 1 % FPR | paraphrased caught at val 1 % FPR |\n");
        md.append("| --- | ---: | ---: | ---: | ---: | ---: | ---: |\n");
        for (JsonNode c : report.get("probeCandidates")) {
            LogisticProbeParams p = switch (c.get("kind").asText()) {
                case "concat" -> concatProbe;
                case "stacked" -> stacked;
                default -> set.layer(c.get("layers").get(0).asInt()).probe();
            };
            int[] ls = c.get("kind").asText().equals("single") ? new int[]{c.get("layers").get(0).asInt()} : topLayers;
            ProbeScorer ps = new ProbeScorer(p);
            double[] h = probs(ps, hVal, ls), s = probs(ps, sVal, ls), q = probs(ps, para, ls);
            double t = thresholdAtFpr(s, FPR);
            md.append(String.format(Locale.ROOT, "| %s %s | %.4f (%.4f ± %.4f) | %.3f (%.3f ± %.3f) | %.4f | %.4f | %.3f | %.3f |%n",
                    c.get("kind").asText(), Arrays.toString(ls), c.get("auc").asDouble(), c.get("aucMean").asDouble(),
                    c.get("aucStd").asDouble(), c.get("tprAtTarget").asDouble(), c.get("tprMean").asDouble(),
                    c.get("tprStd").asDouble(), c.get("logLoss").asDouble(), RocAuc.auc(concat(h, s), labels(h.length, s.length)),
                    tprAtFpr(h, s, FPR), (double) countAbove(q, t) / q.length));
        }
        md.append("\nPer-layer 5-fold CV curve of the fit (all 19053 training rows):\n\n");
        md.append("| layer | CV AUROC | per-fold AUROC mean ± sd | CV TPR at 1 % FPR | per-fold TPR mean ± sd | CV log-loss | CAST TPR at 1 % FPR (OOF) |\n| --- | ---: | ---: | ---: | ---: | ---: | ---: |\n");
        for (JsonNode l : report.get("layers"))
            md.append(String.format(Locale.ROOT, "| %d | %.4f | %.4f ± %.4f | %.3f | %.3f ± %.3f | %.4f | %.3f |%n", l.get("layer").asInt(),
                    l.get("cvProbeAuc").asDouble(), l.get("cvProbeAucMean").asDouble(), l.get("cvProbeAucStd").asDouble(),
                    l.get("cvProbeTpr").asDouble(), l.get("cvProbeTprMean").asDouble(), l.get("cvProbeTprStd").asDouble(),
                    l.get("cvProbeLogLoss").asDouble(), l.get("castTpr").asDouble()));

        // ---- OOD: plain Mahalanobis vs Mahalanobis++ on the shifted set at matched length.
        int[] wordsShifted = words(extra.resolve("shifted_docs.json"));
        int[] wordsVal = words(prompts.resolve("harmless_val.json"));
        int[] wordsHVal = words(prompts.resolve("harmful_val.json"));
        int[][] pairs = matchedPairs(wordsShifted, wordsVal, 11);
        md.append(String.format(Locale.ROOT, "%nOOD (min-class Mahalanobis distance, exact path): shifted set = %d sentences of this repository's documentation "
                + "(`benchmarks/detection/shifted_docs.json`, made by `make_shifted.py`), each paired with a harmless_val prompt of the same word count "
                + "(%d pairs). AUROC = shifted vs paired in-distribution; ρ = Spearman correlation of the distance with the word count.%n%n",
                wordsShifted.length, pairs[0].length));
        md.append("| layer | variant | AUROC shifted vs ID (matched length) | ρ(distance, words) harmful_val | ρ harmless_val |\n| --- | --- | ---: | ---: | ---: |\n");
        int plusWins = 0;
        double[] plainAuc = new double[layers.length], plusAuc = new double[layers.length];
        double[] plainRho = new double[layers.length], plusRho = new double[layers.length];
        for (int li = 0; li < layers.length; li++) {
            for (boolean l2 : new boolean[]{false, true}) {
                ClassData cd = train.classData(li);
                MahalanobisFit.Result r = MahalanobisFit.fit(PooledCovariance.fit(cd, l2),
                        new MahalanobisFit.Options(64, true, l2, null));
                MahalanobisScorer ms = new MahalanobisScorer(r.meanHarmful(), r.meanHarmless(), r.params());
                double[] oShift = ood(ms, shifted, layers[li]), oVal = ood(ms, sVal, layers[li]), oH = ood(ms, hVal, layers[li]);
                double[] a = new double[pairs[0].length], b = new double[pairs[0].length];
                for (int i = 0; i < a.length; i++) {
                    a[i] = oShift[pairs[0][i]];
                    b[i] = oVal[pairs[1][i]];
                }
                double auc = RocAuc.auc(concat(a, b), labels(a.length, b.length)), rho = spearman(oH, wordsHVal);
                if (l2) { plusAuc[li] = auc; plusRho[li] = rho; } else { plainAuc[li] = auc; plainRho[li] = rho; }
                md.append(String.format(Locale.ROOT, "| %d | %s | %.4f | %.3f | %.3f |%n", layers[li], l2 ? "Mahalanobis++ (L2-normalised)" : "plain",
                        auc, rho, spearman(oVal, wordsVal)));
            }
            if (plusAuc[li] > plainAuc[li]) plusWins++;
        }
        int sl = indexOf(layers, set.scoringLayer());
        md.append(String.format(Locale.ROOT, "%nMahalanobis++ separates the shifted set better at %d of %d layers; at the scoring layer %d: AUROC %.4f vs %.4f, "
                        + "|ρ| with length in harmful_val %.3f vs %.3f. The set above was fitted with %s.%n", plusWins, layers.length,
                set.scoringLayer(), plusAuc[sl], plainAuc[sl], Math.abs(plusRho[sl]), Math.abs(plainRho[sl]),
                set.layer(set.scoringLayer()).mahalanobis().l2Normalize() ? "Mahalanobis++ (the default)" : "the plain distance"));
        System.out.print(md);
    }

    private record Scored(double[] probe, int flagged, int cast, int both, int castOnly) {
    }

    private static Scored score(DirectionSetScorer scorer, ActivationSet a) {
        DirectionSetScorer.Scratch scratch = scorer.newScratch();
        Scores s = new Scores();
        int[] ls = a.layers();
        int d = a.d();
        double[] p = new double[a.n()];
        int flagged = 0, cast = 0, both = 0, castOnly = 0;
        float[][] row = new float[ls.length][];
        for (int i = 0; i < a.n(); i++) {
            for (int l = 0; l < ls.length; l++) row[l] = Arrays.copyOfRange(a.layer(ls[l]), i * d, (i + 1) * d);
            scorer.score(ls, row, DirectionSetScorer.MahalanobisMode.AUTO, scratch, s);
            p[i] = s.probeProbability;
            if (s.flagged) flagged++;
            if (s.castFired) cast++;
            if (s.flagged && s.castFired) both++;
            if (!s.flagged && s.castFired) castOnly++;
        }
        return new Scored(p, flagged, cast, both, castOnly);
    }

    private static double[] probs(ProbeScorer p, ActivationSet a, int... ls) {
        int d = a.d(), n = a.n();
        float[] x = new float[ls.length * d];
        double[] out = new double[n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < ls.length; j++) System.arraycopy(a.layer(ls[j]), i * d, x, j * d, d);
            out[i] = p.probability(x, 0);
        }
        return out;
    }

    private static double[] ood(MahalanobisScorer ms, ActivationSet a, int layer) {
        MahalanobisScorer.Scratch sc = ms.newScratch();
        MahalanobisScorer.Result r = new MahalanobisScorer.Result();
        double[] out = new double[a.n()];
        for (int i = 0; i < a.n(); i++) out[i] = ms.score(a.layer(layer), i * a.d(), true, sc, r).ood();
        return out;
    }

    private static void row(StringBuilder md, String name, double[] h, double[] s, double[] q, int fh, int fs, int fq) {
        md.append(String.format(Locale.ROOT, "| %s | %.4f | %.3f | %s | %.3f | %.3f |%n", name,
                RocAuc.auc(concat(h, s), labels(h.length, s.length)), tprAtFpr(h, s, FPR), rate(fs, s.length),
                (double) fh / h.length, (double) fq / q.length));
    }

    private static String rate(int x, int n) {
        return String.format(Locale.ROOT, "%.4f (%.4f–%.4f)", (double) x / n,
                dev.refusalmonitor.math.fit.OperatingPoint.clopperPearsonLow(x, n),
                dev.refusalmonitor.math.fit.OperatingPoint.clopperPearsonHigh(x, n));
    }

    private static String withinTarget(int x, int n, double target) {
        double rate = (double) x / n;
        if (rate <= target) return "**at or below the target**";
        return dev.refusalmonitor.math.fit.OperatingPoint.clopperPearsonLow(x, n) <= target
                ? "**above the target, within its 95 % interval**" : "**above the target**";
    }

    /** Threshold t with at most floor(fpr·n) harmless scores strictly above it (the val curve point). */
    private static double thresholdAtFpr(double[] harmless, double fpr) {
        double[] s = harmless.clone();
        Arrays.sort(s);
        int k = (int) Math.floor(fpr * s.length);
        return s[s.length - 1 - k];
    }

    private static double tprAtFpr(double[] harmful, double[] harmless, double fpr) {
        return (double) countAbove(harmful, thresholdAtFpr(harmless, fpr)) / harmful.length;
    }

    private static int countAbove(double[] a, double t) {
        int c = 0;
        for (double v : a) if (v > t) c++;
        return c;
    }

    private static int countAtLeast(double[] a, double t) {
        int c = 0;
        for (double v : a) if (v >= t) c++;
        return c;
    }

    private static int[] words(Path json) throws Exception {
        JsonNode a = new ObjectMapper().readTree(json.toFile());
        int[] out = new int[a.size()];
        for (int i = 0; i < out.length; i++) out[i] = a.get(i).get("instruction").asText().trim().split("\\s+").length;
        return out;
    }

    /** For each shifted row, a distinct ID row with the same word count (seeded); rows without a partner are dropped. */
    private static int[][] matchedPairs(int[] shifted, int[] id, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        List<List<Integer>> byLen = new ArrayList<>();
        for (int i = 0; i < id.length; i++) {
            while (byLen.size() <= id[i]) byLen.add(new ArrayList<>());
            byLen.get(id[i]).add(i);
        }
        List<int[]> pairs = new ArrayList<>();
        for (int i = 0; i < shifted.length; i++) {
            if (shifted[i] >= byLen.size() || byLen.get(shifted[i]).isEmpty()) continue;
            List<Integer> c = byLen.get(shifted[i]);
            pairs.add(new int[]{i, c.remove(rnd.nextInt(c.size()))});
        }
        int[][] out = new int[2][pairs.size()];
        for (int i = 0; i < pairs.size(); i++) {
            out[0][i] = pairs.get(i)[0];
            out[1][i] = pairs.get(i)[1];
        }
        return out;
    }

    static double spearman(double[] a, int[] b) {
        double[] rb = new double[b.length];
        for (int i = 0; i < b.length; i++) rb[i] = b[i];
        double[] x = ranks(a), y = ranks(rb);
        double mx = 0, my = 0;
        for (int i = 0; i < x.length; i++) { mx += x[i]; my += y[i]; }
        mx /= x.length;
        my /= y.length;
        double sxy = 0, sxx = 0, syy = 0;
        for (int i = 0; i < x.length; i++) {
            sxy += (x[i] - mx) * (y[i] - my);
            sxx += (x[i] - mx) * (x[i] - mx);
            syy += (y[i] - my) * (y[i] - my);
        }
        return sxy / Math.sqrt(sxx * syy);
    }

    private static double[] ranks(double[] v) {
        Integer[] idx = new Integer[v.length];
        for (int i = 0; i < v.length; i++) idx[i] = i;
        Arrays.sort(idx, (p, q) -> Double.compare(v[p], v[q]));
        double[] r = new double[v.length];
        for (int i = 0; i < v.length; ) {
            int j = i;
            while (j + 1 < v.length && v[idx[j + 1]] == v[idx[i]]) j++;
            for (int t = i; t <= j; t++) r[idx[t]] = (i + j) / 2.0 + 1;
            i = j + 1;
        }
        return r;
    }

    private static LabelledLayers labelled(ActivationSet h, ActivationSet s) {
        int[] ls = h.layers();
        float[][] hv = new float[ls.length][], sv = new float[ls.length][];
        for (int i = 0; i < ls.length; i++) {
            hv[i] = h.layer(ls[i]);
            sv[i] = s.layer(ls[i]);
        }
        return new LabelledLayers(ls, hv, h.n(), sv, s.n(), h.d(), null);
    }

    private static int indexOf(int[] a, int v) {
        for (int i = 0; i < a.length; i++) if (a[i] == v) return i;
        throw new IllegalArgumentException("layer " + v + " not in " + Arrays.toString(a));
    }

    private static boolean[] labels(int nh, int ns) {
        boolean[] y = new boolean[nh + ns];
        Arrays.fill(y, 0, nh, true);
        return y;
    }

    private static double[] concat(double[] a, double[] b) {
        double[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    private static float[] concat(float[] a, float[] b) {
        float[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
