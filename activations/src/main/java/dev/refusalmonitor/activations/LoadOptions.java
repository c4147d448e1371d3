package dev.refusalmonitor.activations;

import java.util.Arrays;
import java.util.Objects;

/**
 * Options for {@link ActivationSet#load(java.nio.file.Path, LoadOptions)}.
 *
 * @param pooling how per-request vLLM files (one hidden state per token) become one row; ignored for other inputs
 * @param axisLayers the layer index (Hugging Face hidden_states numbering, 0 = embeddings) of each entry of the
 *        file's layer axis, for [n, d], [n, L, d] and vLLM [seq, L, hidden] inputs; null means entry i is layer i.
 *        For vLLM exports pass the {@code eagle_aux_hidden_state_layer_ids} the server was started with. Not allowed
 *        for safetensors files whose tensor names give the layer.
 * @param layers the layers to keep (others are skipped while reading); null keeps all
 */
public record LoadOptions(Pooling pooling, int[] axisLayers, int[] layers) {
    /** Last-token pooling, layer axis entry i = layer i, all layers. */
    public static final LoadOptions DEFAULT = new LoadOptions(Pooling.LAST_TOKEN, null, null);

    public LoadOptions {
        Objects.requireNonNull(pooling, "pooling");
        axisLayers = axisLayers == null ? null : axisLayers.clone();
        layers = layers == null ? null : layers.clone();
        if (axisLayers != null) requireDistinctNonNegative("axisLayers", axisLayers);
        if (layers != null) {
            if (layers.length == 0) throw new IllegalArgumentException("layers to keep is empty; pass null to keep all");
            requireDistinctNonNegative("layers", layers);
        }
    }

    public LoadOptions withPooling(Pooling p) {
        return new LoadOptions(p, axisLayers, layers);
    }

    public LoadOptions withAxisLayers(int... axis) {
        return new LoadOptions(pooling, axis, layers);
    }

    public LoadOptions withLayers(int... keep) {
        return new LoadOptions(pooling, axisLayers, keep);
    }

    static void requireDistinctNonNegative(String what, int[] a) {
        int[] s = a.clone();
        Arrays.sort(s);
        for (int i = 0; i < s.length; i++) {
            if (s[i] < 0) throw new IllegalArgumentException(what + " " + Arrays.toString(a) + " has a negative layer index");
            if (i > 0 && s[i] == s[i - 1])
                throw new IllegalArgumentException(what + " " + Arrays.toString(a) + " repeats layer " + s[i]);
        }
    }

    @Override
    public String toString() {
        return "LoadOptions[pooling=" + pooling + ", axisLayers=" + Arrays.toString(axisLayers) + ", layers="
                + Arrays.toString(layers) + "]";
    }
}
