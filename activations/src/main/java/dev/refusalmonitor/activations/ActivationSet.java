package dev.refusalmonitor.activations;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * Activations of n samples at one or more layers, as {@code probe-trainer fit} and {@code monitor-service score}
 * load them: per layer a row-major float[] of shape [n, d] (row i = sample i).
 *
 * <p>"Layer" is the Hugging Face {@code hidden_states} index: 0 = embeddings output, i = output of decoder block
 * i - 1 (TransformerLens {@code blocks.{i}.hook_resid_pre}). Layers are kept sorted ascending.
 *
 * <p>Inputs read by {@link #load(Path, LoadOptions)}:
 * <ul>
 *   <li>{@code .npy} (float16/32/64, C order) of shape [n, d] (one layer) or [n, L, d] (L layers; entry i of the
 *       layer axis is layer i unless {@link LoadOptions#axisLayers()} says otherwise);</li>
 *   <li>{@code .safetensors} with one [n, d] tensor per layer, named {@code layer.{i}}, {@code layers.{i}},
 *       {@code hidden_states.{i}} or just {@code {i}} (i = layer index); or a single tensor [n, L, d] (or [n, d])
 *       with any name, read like {@code .npy};</li>
 *   <li>per-request files of vLLM's hidden-state export ({@code ExampleHiddenStatesConnector}: a safetensors file
 *       per request with {@code token_ids} [seq] I64/I32 and {@code hidden_states} [seq, L, hidden]): a directory
 *       of them (every {@code *.safetensors}, sorted by file name; row i = i-th file) or one such file; each file is
 *       pooled to one row by {@link Pooling}. vLLM's layer ids ({@code eagle_aux_hidden_state_layer_ids}) count
 *       the residual stream entering decoder layer i, i.e. hidden_states index i; they are not stored in the file,
 *       so pass them as {@link LoadOptions#axisLayers()}.</li>
 * </ul>
 * Every value is checked finite; empty arrays are rejected; errors are {@link ActivationFileException}s naming the
 * file (and row and layer where there is one).
 */
public final class ActivationSet {
    private final Path source;
    private final int n;
    private final int d;
    private final int[] layers;
    private final float[][] data;

    private ActivationSet(Path source, int n, int d, int[] layers, float[][] data) {
        this.source = source;
        this.n = n;
        this.d = d;
        this.layers = layers;
        this.data = data;
    }

    /**
     * An in-memory set (e.g. from the synthetic generator). {@code perLayer[k]} is the row-major [n, d] array of
     * {@code layers[k]}; arrays are not copied. Layers may come in any order; they are sorted.
     *
     * @throws IllegalArgumentException for n or d below 1, repeated or negative layers, wrong array lengths, or a
     *         non-finite value (message gives row and layer)
     */
    public static ActivationSet of(Path source, int n, int d, int[] layers, float[][] perLayer) {
        Objects.requireNonNull(source, "source");
        if (n < 1 || d < 1) throw new IllegalArgumentException("need n >= 1 and d >= 1, got n = " + n + ", d = " + d);
        if (layers.length == 0 || layers.length != perLayer.length)
            throw new IllegalArgumentException("need one array per layer: " + layers.length + " layers, "
                    + perLayer.length + " arrays");
        LoadOptions.requireDistinctNonNegative("layers", layers);
        Integer[] order = new Integer[layers.length];
        for (int k = 0; k < order.length; k++) order[k] = k;
        Arrays.sort(order, (a, b) -> Integer.compare(layers[a], layers[b]));
        int[] sortedLayers = new int[layers.length];
        float[][] sortedData = new float[layers.length][];
        for (int k = 0; k < order.length; k++) {
            sortedLayers[k] = layers[order[k]];
            sortedData[k] = perLayer[order[k]];
            if ((long) sortedData[k].length != (long) n * d)
                throw new IllegalArgumentException("layer " + sortedLayers[k] + ": expected n * d = " + (long) n * d
                        + " values, got " + sortedData[k].length);
            String bad = firstNonFinite(sortedData[k], n, d, sortedLayers[k]);
            if (bad != null) throw new IllegalArgumentException(source + ": " + bad);
        }
        return new ActivationSet(source, n, d, sortedLayers, sortedData);
    }

    /** For readers that have already sorted the layers and checked every value. */
    static ActivationSet checked(Path source, int n, int d, int[] sortedLayers, float[][] perLayer) {
        return new ActivationSet(source, n, d, sortedLayers, perLayer);
    }

    /** {@link #load(Path, LoadOptions)} with {@link LoadOptions#DEFAULT}. */
    public static ActivationSet load(Path path) throws IOException {
        return load(path, LoadOptions.DEFAULT);
    }

    /** Loads a {@code .npy} file, a {@code .safetensors} file or a directory of vLLM per-request files. */
    public static ActivationSet load(Path path, LoadOptions options) throws IOException {
        return ActivationReader.load(path, options);
    }

    /** Loads vLLM per-request files, one row per file in the given order. */
    public static ActivationSet loadVllm(List<Path> files, LoadOptions options) throws IOException {
        return ActivationReader.loadVllm(files, options);
    }

    /** The file or directory the set came from (for messages). */
    public Path source() {
        return source;
    }

    /** Number of samples (rows). */
    public int n() {
        return n;
    }

    /** Hidden size (columns). */
    public int d() {
        return d;
    }

    /** Layer indices, ascending (a copy). */
    public int[] layers() {
        return layers.clone();
    }

    public boolean hasLayer(int layer) {
        return Arrays.binarySearch(layers, layer) >= 0;
    }

    /**
     * The row-major [n, d] values of {@code layer}: row i is {@code [i * d, (i + 1) * d)}. Not copied: do not
     * modify.
     *
     * @throws IllegalArgumentException if the set has no such layer (message lists the layers it has)
     */
    public float[] layer(int layer) {
        int k = Arrays.binarySearch(layers, layer);
        if (k < 0) throw new IllegalArgumentException(source + ": no layer " + layer + "; available layers " + Arrays.toString(layers));
        return data[k];
    }

    /**
     * The same samples restricted to {@code keep} (any order; the arrays are shared, not copied).
     *
     * @throws ActivationFileException naming the source and its available layers when a requested layer is absent
     */
    public ActivationSet select(int... keep) throws ActivationFileException {
        if (keep.length == 0) throw new IllegalArgumentException("select needs at least one layer");
        LoadOptions.requireDistinctNonNegative("layers", keep);
        int[] sorted = keep.clone();
        Arrays.sort(sorted);
        float[][] out = new float[sorted.length][];
        for (int k = 0; k < sorted.length; k++) {
            int idx = Arrays.binarySearch(layers, sorted[k]);
            if (idx < 0)
                throw new ActivationFileException(source, "no layer " + sorted[k] + "; available layers " + Arrays.toString(layers));
            out[k] = data[idx];
        }
        return new ActivationSet(source, n, d, sorted, out);
    }

    /**
     * Checks that {@code other} can be used together with this set (harmful vs harmless, training vs held-out): the
     * same hidden size d and the same layers. Row counts may differ.
     *
     * @throws ActivationFileException naming both sources and what differs
     */
    public void requireSameShape(ActivationSet other) throws ActivationFileException {
        if (other.d != d)
            throw new ActivationFileException(other.source, "hidden size d = " + other.d + " does not match d = " + d
                    + " of " + source);
        if (!Arrays.equals(other.layers, layers))
            throw new ActivationFileException(other.source, "layers " + Arrays.toString(other.layers)
                    + " do not match layers " + Arrays.toString(layers) + " of " + source);
    }

    /** "row i, layer l has a non-finite value (...)" for the first NaN/Inf in [n, d] {@code a}, or null. */
    static String firstNonFinite(float[] a, int n, int d, int layer) {
        for (int i = 0; i < a.length; i++) {
            if (!Float.isFinite(a[i]))
                return "row " + (i / d) + ", layer " + layer + " has a non-finite value (" + a[i] + " at column " + (i % d) + ")";
        }
        return null;
    }

    @Override
    public String toString() {
        return "ActivationSet[" + source + ": n = " + n + ", d = " + d + ", layers " + Arrays.toString(layers) + "]";
    }
}
