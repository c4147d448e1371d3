package dev.refusalmonitor.gateway;

import dev.refusalmonitor.activations.ActivationSetWriter;
import dev.refusalmonitor.activations.NpyDType;
import dev.refusalmonitor.math.fit.DirectionFitter;
import dev.refusalmonitor.math.fit.LabelledLayers;
import dev.refusalmonitor.math.fit.LayerReport;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Embeds the shared prompt data (harmful_train + a slice of harmless_train; harmful_val + a slice of harmless_val),
 * writes the .npy files to target/real-prompts/, runs the full fit (every direction type) on the training prompts with
 * the validation prompts as holdout, and requires a held-out ROC AUC of at least 0.95 for the best method and layer.
 * The per-layer table (every method's AUC, selectivity, CAST F1) goes to target/real-prompts/auc.txt. Data: {@code ../shared/data/prompts} beside the repository root, or the directory in
 * the system property {@code refusalmonitor.shared.data} or the environment variable
 * {@code REFUSALMONITOR_SHARED_DATA}; skipped when absent.
 */
class RealPromptsAucTest {
    private static final int HARMLESS_TRAIN = 260;
    private static final int HARMLESS_VAL = 100;
    private static final double MIN_BEST_AUC = 0.95;

    @Test
    void shouldSeparateHeldOutHarmfulPromptsWithTheFittedDirections() throws Exception {
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

            // The full fit (every direction type) on the training prompts, evaluated on the validation prompts.
            DirectionFitter.Result fit = DirectionFitter.fit(labelled(hTrain, sTrain), labelled(hVal, sVal),
                    DirectionFitter.Options.defaults("all-MiniLM-L6-v2"));
            StringBuilder table = new StringBuilder();
            table.append(String.format(Locale.ROOT, "# all-MiniLM-L6-v2, MEAN pooling; train %d harmful / %d harmless, held-out %d / %d (%s)%n",
                    hTrain.n(), sTrain.n(), hVal.n(), sVal.n(), fit.report().evaluation()));
            table.append(String.format(Locale.ROOT, "# %d prompts embedded in %.1f s (%.0f prompts/s, informal, includes .npy writing)%n",
                    total, seconds, total / seconds));
            table.append("layer\tdim_auc\tfisher_auc\tprobe_auc\tmahalanobis_auc\tpca_auc\tselectivity\tcast_f1\n");
            double best = 0;
            String bestAt = "";
            for (LayerReport l : fit.report().layers()) {
                double[] aucs = {l.dimAuc(), l.fisherAuc(), l.probeAuc(), l.mahalanobisAuc(), l.pcaAuc()};
                String[] names = {"dim", "fisher", "probe", "mahalanobis", "pca"};
                for (int i = 0; i < aucs.length; i++) {
                    if (aucs[i] > best) {
                        best = aucs[i];
                        bestAt = names[i] + " at layer " + l.layer();
                    }
                }
                table.append(String.format(Locale.ROOT, "%d\t%.4f\t%.4f\t%.4f\t%.4f\t%.4f\t%.3f\t%.3f%n", l.layer(),
                        l.dimAuc(), l.fisherAuc(), l.probeAuc(), l.mahalanobisAuc(), l.pcaAuc(), l.selectivity(), l.castF1()));
            }
            table.append(String.format(Locale.ROOT, "# best: %s (%.4f); scoring layer chosen by probe AUC: %d%n", bestAt, best,
                    fit.report().scoringLayer()));
            Files.writeString(outDir.resolve("auc.txt"), table);
            assertTrue(best >= MIN_BEST_AUC, "best held-out AUC " + best + " (" + bestAt + ")\n" + table);
        }
    }

    private static LabelledLayers labelled(PooledHiddenStates harmful, PooledHiddenStates harmless) {
        return new LabelledLayers(harmful.layers(), harmful.perLayer(), harmful.n(), harmless.perLayer(), harmless.n(),
                harmful.d(), null);
    }

    private static PooledHiddenStates embed(TransformerHiddenStates model, Path file, int limit, Path npy) throws Exception {
        List<Prompt> all = PromptReader.read(file);
        List<String> text = all.subList(0, Math.min(limit, all.size())).stream().map(Prompt::instruction).toList();
        PooledHiddenStates s = model.embed(text, TokenPooling.MEAN);
        ActivationSetWriter.writeNpy(npy, s.toActivationSet(npy), NpyDType.F32);
        return s;
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
