package dev.refusalmonitor.demo;

import dev.refusalmonitor.gateway.GatewayException;
import dev.refusalmonitor.gateway.PooledHiddenStates;
import dev.refusalmonitor.gateway.Prompt;
import dev.refusalmonitor.gateway.PromptReader;
import dev.refusalmonitor.gateway.TokenPooling;
import dev.refusalmonitor.gateway.TransformerHiddenStates;
import dev.refusalmonitor.math.fit.LabelledLayers;

import java.util.List;
import java.util.SplittableRandom;

/**
 * Demo traffic from a real transformer: the project's own demo prompts (gateway-djl resources
 * {@code prompts/demo_harmful.json}, {@code prompts/demo_harmless.json}) embedded once by all-MiniLM-L6-v2 through
 * DJL's ONNX Runtime (mean pooling, every layer), then replayed. Version 1 is fitted on the first 30 prompts of each
 * class, later versions on all of them.
 */
public final class TransformerTraffic implements DemoTraffic {
    private static final int FIRST_FIT = 30;

    private final String modelId;
    private final PooledHiddenStates harmful;
    private final PooledHiddenStates harmless;
    private final String description;

    private TransformerTraffic(String modelId, PooledHiddenStates harmful, PooledHiddenStates harmless, String description) {
        this.modelId = modelId;
        this.harmful = harmful;
        this.harmless = harmless;
        this.description = description;
    }

    /** Loads the model and embeds the demo prompts (a few seconds). */
    public static TransformerTraffic load(String modelId) throws GatewayException {
        List<Prompt> h = PromptReader.readResource("prompts/demo_harmful.json");
        List<Prompt> s = PromptReader.readResource("prompts/demo_harmless.json");
        try (TransformerHiddenStates model = TransformerHiddenStates.openMiniLm()) {
            PooledHiddenStates hs = model.embed(h.stream().map(Prompt::instruction).toList(), TokenPooling.MEAN);
            PooledHiddenStates ss = model.embed(s.stream().map(Prompt::instruction).toList(), TokenPooling.MEAN);
            String description = "real hidden states of " + model.modelId() + " (d = " + hs.d() + ", layers "
                    + hs.layers()[0] + ".." + hs.layers()[hs.layers().length - 1] + ", mean pooling) for "
                    + h.size() + " harmful and " + s.size() + " harmless demo prompts";
            return new TransformerTraffic(modelId, hs, ss, description);
        }
    }

    @Override
    public String modelId() {
        return modelId;
    }

    @Override
    public String description() {
        return description;
    }

    @Override
    public int d() {
        return harmful.d();
    }

    @Override
    public int[] layers() {
        return harmful.layers().clone();
    }

    @Override
    public LabelledLayers trainingSet(int version) {
        int nh = version <= 1 ? Math.min(FIRST_FIT, harmful.n()) : harmful.n();
        int ns = version <= 1 ? Math.min(FIRST_FIT, harmless.n()) : harmless.n();
        LabelledLayers all = new LabelledLayers(harmful.layers(), harmful.perLayer(), harmful.n(), harmless.perLayer(),
                harmless.n(), harmful.d(), null);
        return all.rows(range(nh), range(ns));
    }

    @Override
    public float[][] next(boolean harmfulRequest, SplittableRandom rnd) {
        PooledHiddenStates src = harmfulRequest ? harmful : harmless;
        int row = rnd.nextInt(src.n());
        int[] layers = src.layers();
        float[][] out = new float[layers.length][];
        for (int l = 0; l < layers.length; l++) out[l] = src.vector(row, layers[l]);
        return out;
    }

    private static int[] range(int n) {
        int[] r = new int[n];
        for (int i = 0; i < n; i++) r[i] = i;
        return r;
    }
}
