package dev.refusalmonitor.math.synthetic;

import dev.refusalmonitor.math.fit.LabelledLayers;

import java.util.SplittableRandom;

/**
 * Labelled training sets and a live request stream from the planted-truth generator (the demo's synthetic traffic,
 * and tests that need realistic traffic with a known truth). One generated population:
 * the first rows are the labelled training sets (a fresh slice per version), the rest is the live stream, replayed at
 * random, so training and traffic share one geometry.
 */
public final class PlantedTruthTraffic {
    private static final int TRAIN_HARMFUL = 300;
    private static final int TRAIN_HARMLESS = 900;
    /** Training slices reserved (versions beyond reuse the last slice). */
    private static final int VERSIONS = 3;

    private final String modelId;
    private final int d;
    private final int[] layers;
    private final SyntheticActivations.Sample pool;

    public PlantedTruthTraffic(String modelId, int d, int nLayers, long seed) {
        this.modelId = modelId;
        this.d = d;
        this.layers = new int[nLayers];
        for (int i = 0; i < nLayers; i++) layers[i] = i;
        this.pool = SyntheticActivations.generate(PlantedTruthSpec.of(TRAIN_HARMFUL * VERSIONS + 1000,
                TRAIN_HARMLESS * VERSIONS + 4000, d, nLayers, seed));
    }

    public String modelId() {
        return modelId;
    }

    /** A one-line description for banners. */
    public String description() {
        return "synthetic activations (planted refusal direction, d = " + d + ", " + layers.length + " layers)";
    }

    public int d() {
        return d;
    }

    public int[] layers() {
        return layers.clone();
    }

    /** Labelled rows for fitting version {@code version}: a fresh slice for each of the first versions. */
    public LabelledLayers trainingSet(int version) {
        int slice = Math.min(Math.max(version, 1), VERSIONS) - 1;
        LabelledLayers all = new LabelledLayers(layers, pool.harmful(), pool.harmful()[0].length / d, pool.harmless(),
                pool.harmless()[0].length / d, d, pool.harmfulResponses());
        return all.rows(range(slice * TRAIN_HARMFUL, TRAIN_HARMFUL), range(slice * TRAIN_HARMLESS, TRAIN_HARMLESS));
    }

    /** One live request's per-layer vectors, drawn from rows no training set uses. */
    public float[][] next(boolean harmful, SplittableRandom rnd) {
        float[][] src = harmful ? pool.harmful() : pool.harmless();
        int first = (harmful ? TRAIN_HARMFUL : TRAIN_HARMLESS) * VERSIONS;
        int n = src[0].length / d - first;
        int row = first + rnd.nextInt(n);
        float[][] out = new float[layers.length][];
        for (int l = 0; l < layers.length; l++) {
            out[l] = new float[d];
            System.arraycopy(src[l], row * d, out[l], 0, d);
        }
        return out;
    }

    private static int[] range(int from, int count) {
        int[] r = new int[count];
        for (int i = 0; i < count; i++) r[i] = from + i;
        return r;
    }
}
