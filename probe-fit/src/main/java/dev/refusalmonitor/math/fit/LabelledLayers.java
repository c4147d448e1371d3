package dev.refusalmonitor.math.fit;

import java.util.Arrays;

/**
 * Labelled activations for several layers: per layer a row-major [nHarmful, d] and a [nHarmless, d] array, with the
 * same rows (requests) in every layer.
 *
 * @param layers Hugging Face hidden_states indices, ascending, one per array entry
 * @param harmfulResponses per harmful row, a response label (1 refused, 3 complied with warning, 4 redirected); null
 *                         means every harmful row is "refused". Harmless rows count as "complied".
 */
public record LabelledLayers(int[] layers, float[][] harmful, int nHarmful, float[][] harmless, int nHarmless, int d,
                             int[] harmfulResponses) {

    public LabelledLayers {
        if (layers == null || layers.length == 0) throw new IllegalArgumentException("no layers");
        if (harmful.length != layers.length || harmless.length != layers.length)
            throw new IllegalArgumentException("need one harmful and one harmless array per layer (" + layers.length + ")");
        for (int i = 1; i < layers.length; i++)
            if (layers[i] <= layers[i - 1]) throw new IllegalArgumentException("layers must be ascending and distinct: " + Arrays.toString(layers));
        for (int l = 0; l < layers.length; l++) {
            if ((long) nHarmful * d != harmful[l].length)
                throw new IllegalArgumentException("layer " + layers[l] + ": harmful array has " + harmful[l].length + " values, expected " + nHarmful + " x " + d);
            if ((long) nHarmless * d != harmless[l].length)
                throw new IllegalArgumentException("layer " + layers[l] + ": harmless array has " + harmless[l].length + " values, expected " + nHarmless + " x " + d);
        }
        if (harmfulResponses != null && harmfulResponses.length != nHarmful)
            throw new IllegalArgumentException("harmfulResponses has " + harmfulResponses.length + " labels for " + nHarmful + " harmful rows");
    }

    public int layerCount() {
        return layers.length;
    }

    /** The rows {@code harmfulRows} / {@code harmlessRows} of every layer, as a new set. */
    public LabelledLayers rows(int[] harmfulRows, int[] harmlessRows) {
        float[][] h = new float[layers.length][];
        float[][] s = new float[layers.length][];
        for (int l = 0; l < layers.length; l++) {
            h[l] = gather(harmful[l], harmfulRows, d);
            s[l] = gather(harmless[l], harmlessRows, d);
        }
        int[] responses = null;
        if (harmfulResponses != null) {
            responses = new int[harmfulRows.length];
            for (int i = 0; i < harmfulRows.length; i++) responses[i] = harmfulResponses[harmfulRows[i]];
        }
        return new LabelledLayers(layers, h, harmfulRows.length, s, harmlessRows.length, d, responses);
    }

    /** One layer's data as {@link ClassData}. */
    public ClassData classData(int layerIndex) {
        return new ClassData(harmful[layerIndex], nHarmful, harmless[layerIndex], nHarmless, d);
    }

    private static float[] gather(float[] x, int[] rows, int d) {
        float[] out = new float[rows.length * d];
        for (int i = 0; i < rows.length; i++) System.arraycopy(x, rows[i] * d, out, i * d, d);
        return out;
    }
}
