package dev.refusalmonitor.trainer.reservoir;

import dev.refusalmonitor.math.fit.LabelledLayers;

import java.util.Arrays;

/**
 * The stratified sample of one model's labelled traffic: one {@link ClassReservoir} per class (harmful, harmless),
 * each of the same capacity, over a fixed layer set and hidden size d. Stratified means the classes never compete
 * for room: a burst of harmless traffic cannot push the harmful rows out.
 *
 * <p>Thread-safe: offers (the consumer thread) and snapshots (the refit thread) are serialised on this object.
 */
public final class SampleReservoir {
    private final String modelId;
    private final int[] layers;
    private final int d;
    private final ClassReservoir harmful;
    private final ClassReservoir harmless;

    /**
     * @param layers Hugging Face hidden_states indices, ascending and distinct
     * @param capacityPerClass rows kept per class
     * @param seed seeds both classes' replacement choices (each class gets its own stream)
     */
    public SampleReservoir(String modelId, int[] layers, int d, int capacityPerClass, long seed) {
        if (layers.length == 0) throw new IllegalArgumentException("a reservoir needs at least one layer");
        for (int i = 1; i < layers.length; i++)
            if (layers[i] <= layers[i - 1])
                throw new IllegalArgumentException("layers must be ascending and distinct: " + Arrays.toString(layers));
        this.modelId = modelId;
        this.layers = layers.clone();
        this.d = d;
        this.harmful = new ClassReservoir(capacityPerClass, layers.length, d, seed);
        this.harmless = new ClassReservoir(capacityPerClass, layers.length, d, seed ^ 0x9E3779B97F4A7C15L);
    }

    public String modelId() {
        return modelId;
    }

    public int[] layers() {
        return layers.clone();
    }

    public int d() {
        return d;
    }

    /** Offers a validated row to its class's reservoir; returns the slot or -1 (dropped by Algorithm R). */
    public synchronized int offer(boolean isHarmful, float[][] vectors, int response) {
        return (isHarmful ? harmful : harmless).offer(vectors, response);
    }

    /** Counts and memory of both classes at one instant. */
    public synchronized Stats stats() {
        return new Stats(harmful.size(), harmless.size(), harmful.seen(), harmless.seen(),
                harmful.allocatedBytes() + harmless.allocatedBytes(),
                harmful.capacityBytes() + harmless.capacityBytes(), harmful.capacity());
    }

    /**
     * A copy of every kept row as {@link LabelledLayers} (harmful responses from the labels). The copy lets the refit
     * run while new samples arrive; it costs as much memory again as the reservoir holds.
     */
    public synchronized LabelledLayers snapshot() {
        float[][] h = new float[layers.length][];
        float[][] s = new float[layers.length][];
        for (int l = 0; l < layers.length; l++) {
            h[l] = harmful.copyLayer(l);
            s[l] = harmless.copyLayer(l);
        }
        return new LabelledLayers(layers.clone(), h, harmful.size(), s, harmless.size(), d, harmful.copyResponses());
    }

    /**
     * @param allocatedBytes bytes of row storage held now (both classes)
     * @param capacityBytes bytes when both classes are full: 2 × capacity × L × d × 4 (+ labels)
     */
    public record Stats(int harmful, int harmless, long harmfulSeen, long harmlessSeen, long allocatedBytes,
                        long capacityBytes, int capacityPerClass) {
    }
}
