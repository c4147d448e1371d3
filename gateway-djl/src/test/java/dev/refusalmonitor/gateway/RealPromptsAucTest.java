package dev.refusalmonitor.gateway;

import dev.refusalmonitor.activations.ActivationSetWriter;
import dev.refusalmonitor.activations.NpyDType;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Embeds the shared prompt data (harmful_train + a slice of harmless_train; harmful_val + a slice of harmless_val),
 * writes the .npy files to target/real-prompts/, and checks that a difference-in-means direction fitted on the
 * training prompts separates the held-out prompts at some layer. The per-layer AUC table goes to
 * target/real-prompts/auc.txt. Data: {@code ../shared/data/prompts} beside the repository root, or the directory in
 * the system property {@code refusalmonitor.shared.data} or the environment variable
 * {@code REFUSALMONITOR_SHARED_DATA}; skipped when absent.
 */
class RealPromptsAucTest {
    private static final int HARMLESS_TRAIN = 260;
    private static final int HARMLESS_VAL = 100;
    private static final double MIN_BEST_AUC = 0.95;

    @Test
    void shouldSeparateHeldOutHarmfulPromptsWithADifferenceInMeansDirection() throws Exception {
        Path prompts = sharedData();
        assumeTrue(prompts != null, "shared prompt data not found (../shared/data/prompts beside the repository root, "
                + "-Drefusalmonitor.shared.data or REFUSALMONITOR_SHARED_DATA): skipping the real-data test");
        Path outDir = Path.of("target", "real-prompts");
        Files.createDirectories(outDir);
        try (TransformerHiddenStates model = TransformerHiddenStates.openMiniLm()) {
            long start = System.nanoTime();
            PooledHiddenStates hTrain = embed(model, prompts.resolve("harmful_train.json"), Integer.MAX_VALUE, outDir.resolve("harmful_train.npy"));
            PooledHiddenStates sTrain = embed(model, prompts.resolve("harmless_train.json"), HARMLESS_TRAIN, outDir.resolve("harmless_train.npy"));
            PooledHiddenStates hVal = embed(model, prompts.resolve("harmful_val.json"), Integer.MAX_VALUE, outDir.resolve("harmful_val.npy"));
            PooledHiddenStates sVal = embed(model, prompts.resolve("harmless_val.json"), HARMLESS_VAL, outDir.resolve("harmless_val.npy"));
            double seconds = (System.nanoTime() - start) / 1e9;
            int total = hTrain.n() + sTrain.n() + hVal.n() + sVal.n();

            StringBuilder table = new StringBuilder();
            table.append(String.format(Locale.ROOT, "# all-MiniLM-L6-v2, MEAN pooling; train %d harmful / %d harmless, held-out %d / %d%n",
                    hTrain.n(), sTrain.n(), hVal.n(), sVal.n()));
            table.append(String.format(Locale.ROOT, "# %d prompts embedded in %.1f s (%.0f prompts/s, informal, includes .npy writing)%n",
                    total, seconds, total / seconds));
            table.append("layer\theld_out_dim_auc\n");
            double best = 0;
            for (int layer : hTrain.layers()) {
                double auc = dimHeldOutAuc(hTrain, sTrain, hVal, sVal, layer);
                best = Math.max(best, auc);
                table.append(String.format(Locale.ROOT, "%d\t%.4f%n", layer, auc));
            }
            Files.writeString(outDir.resolve("auc.txt"), table);
            assertTrue(best >= MIN_BEST_AUC, "best-layer held-out DIM AUC " + best + "\n" + table);
        }
    }

    private static PooledHiddenStates embed(TransformerHiddenStates model, Path file, int limit, Path npy) throws Exception {
        List<Prompt> all = PromptReader.read(file);
        List<String> text = all.subList(0, Math.min(limit, all.size())).stream().map(Prompt::instruction).toList();
        PooledHiddenStates s = model.embed(text, TokenPooling.MEAN);
        ActivationSetWriter.writeNpy(npy, s.toActivationSet(npy), NpyDType.F32);
        return s;
    }

    /** r = μ_H − μ_S on the training rows; held-out scores x·r; AUC = P(score_H > score_S) + ½ P(tie). */
    private static double dimHeldOutAuc(PooledHiddenStates hTrain, PooledHiddenStates sTrain,
                                        PooledHiddenStates hVal, PooledHiddenStates sVal, int layer) {
        int d = hTrain.d();
        double[] r = new double[d];
        for (int i = 0; i < hTrain.n(); i++) { float[] v = hTrain.vector(i, layer); for (int c = 0; c < d; c++) r[c] += v[c] / (double) hTrain.n(); }
        for (int i = 0; i < sTrain.n(); i++) { float[] v = sTrain.vector(i, layer); for (int c = 0; c < d; c++) r[c] -= v[c] / (double) sTrain.n(); }
        double[] h = scores(hVal, layer, r);
        double[] s = scores(sVal, layer, r);
        double wins = 0;
        for (double a : h) for (double b : s) wins += a > b ? 1 : a == b ? 0.5 : 0;
        return wins / ((double) h.length * s.length);
    }

    private static double[] scores(PooledHiddenStates set, int layer, double[] r) {
        double[] out = new double[set.n()];
        for (int i = 0; i < set.n(); i++) {
            float[] v = set.vector(i, layer);
            for (int c = 0; c < r.length; c++) out[i] += v[c] * r[c];
        }
        return out;
    }

    private static Path sharedData() {
        String configured = System.getProperty("refusalmonitor.shared.data", System.getenv("REFUSALMONITOR_SHARED_DATA"));
        if (configured != null) {
            Path p = Path.of(configured);
            Path withPrompts = p.resolve("prompts");
            return Files.isDirectory(withPrompts) ? withPrompts : Files.isDirectory(p) ? p : null;
        }
        // Surefire runs in the module directory; the repository root is its parent.
        Path root = Path.of("").toAbsolutePath().getParent();
        Path p = root == null ? null : root.resolve("../shared/data/prompts").normalize();
        return p != null && Files.isRegularFile(p.resolve("harmful_train.json")) ? p : null;
    }
}
