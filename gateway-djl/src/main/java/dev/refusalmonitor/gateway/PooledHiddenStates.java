package dev.refusalmonitor.gateway;

import dev.refusalmonitor.activations.ActivationSet;

import java.nio.file.Path;
import java.util.Arrays;

/**
 * One pooled vector per prompt and layer.
 *
 * @param n            number of prompts
 * @param d            hidden size
 * @param layers       Hugging Face layer indices, ascending
 * @param perLayer     per layer (in {@code layers} order) the row-major [n, d] values; row i = prompt i
 * @param promptTokens tokens per prompt after truncation (special tokens included)
 */
public record PooledHiddenStates(int n, int d, int[] layers, float[][] perLayer, int[] promptTokens) {

    /** The values of prompt {@code row} at {@code layer} (a copy). */
    public float[] vector(int row, int layer) {
        int k = Arrays.binarySearch(layers, layer);
        if (k < 0) throw new IllegalArgumentException("no layer " + layer + "; layers " + Arrays.toString(layers));
        return Arrays.copyOfRange(perLayer[k], row * d, (row + 1) * d);
    }

    /** As an activation set (arrays shared), for {@code ActivationSetWriter}. */
    public ActivationSet toActivationSet(Path source) {
        return ActivationSet.of(source, n, d, layers, perLayer);
    }
}
