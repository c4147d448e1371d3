package dev.refusalmonitor.trainer.reservoir;

import dev.refusalmonitor.schemas.DecodedHiddenState;
import dev.refusalmonitor.schemas.HiddenStateDecoder;
import dev.refusalmonitor.schemas.v1.HarmLabel;
import dev.refusalmonitor.schemas.v1.Labels;
import dev.refusalmonitor.schemas.v1.ResponseLabel;

import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * Validates labelled hidden-state records and routes them to the per-model {@link SampleReservoir}. A model's layer
 * set and d are fixed by {@code --layers} or by its first accepted sample; later records must carry those layers
 * (extra layers are ignored) with the same d. Anything else is skipped with a reason and never reaches a reservoir:
 * decoding rejections (including NaN/infinity), a missing harm label, a wrong d, a missing layer.
 *
 * <p>Thread-safe (reservoirs are created atomically; each serialises its own offers).
 */
public final class SampleIntake {
    /** The decoder's reason for NaN/infinity, also used for rows that bypass the decoder (files). */
    static final String NON_FINITE = "non_finite";
    private final HiddenStateDecoder decoder = new HiddenStateDecoder();
    private final Map<String, SampleReservoir> reservoirs = new ConcurrentHashMap<>();
    private final String modelFilter;
    private final int[] fixedLayers;
    private final int capacityPerClass;
    private final long seed;
    private final Consumer<SampleReservoir> onNewReservoir;

    /**
     * @param modelFilter only this model is trained, or null for every model seen
     * @param fixedLayers the layer set, or null to take each model's first accepted sample's layers
     * @param onNewReservoir told once per model when its reservoir is created (metrics, logs)
     */
    public SampleIntake(String modelFilter, int[] fixedLayers, int capacityPerClass, long seed,
                        Consumer<SampleReservoir> onNewReservoir) {
        if (capacityPerClass < 1) throw new IllegalArgumentException("reservoir size must be >= 1, got " + capacityPerClass);
        this.modelFilter = modelFilter == null || modelFilter.isBlank() ? null : modelFilter;
        this.fixedLayers = fixedLayers == null ? null : Arrays.stream(fixedLayers).sorted().distinct().toArray();
        this.capacityPerClass = capacityPerClass;
        this.seed = seed;
        this.onNewReservoir = onNewReservoir == null ? r -> { } : onNewReservoir;
    }

    /** Decodes, validates and routes one record value. Never throws for bad input. */
    public SampleOutcome offer(byte[] value) {
        HiddenStateDecoder.Result r = decoder.decode(value);
        if (r instanceof HiddenStateDecoder.Rejected rej) {
            String reason = rej.reason().name().replace("DEAD_LETTER_REASON_", "").toLowerCase(Locale.ROOT);
            return SampleOutcome.skipped(reason, null, rej.detail());
        }
        return offer(((HiddenStateDecoder.Decoded) r).state());
    }

    /** Validates and routes a decoded record. */
    public SampleOutcome offer(DecodedHiddenState s) {
        String model = s.modelId();
        if (modelFilter != null && !modelFilter.equals(model)) return SampleOutcome.ignored(model);
        Labels labels = s.labels();
        if (labels == null || (labels.getHarm() != HarmLabel.HARM_LABEL_HARMFUL && labels.getHarm() != HarmLabel.HARM_LABEL_HARMLESS))
            return SampleOutcome.skipped(SampleOutcome.MISSING_LABEL, model,
                    labels == null ? "record has no labels" : "labels.harm is " + labels.getHarm());
        SampleReservoir res = reservoirs.get(model);
        int[] layers = res != null ? res.layers() : fixedLayers != null ? fixedLayers : sortedLayers(s);
        float[][] vectors = new float[layers.length][];
        for (int i = 0; i < layers.length; i++) {
            vectors[i] = s.layer(layers[i]);
            if (vectors[i] == null)
                return SampleOutcome.skipped(SampleOutcome.MISSING_LAYER, model, "record lacks layer " + layers[i]
                        + " of the layer set " + Arrays.toString(layers));
        }
        int d = res != null ? res.d() : vectors[0].length;
        for (int i = 0; i < layers.length; i++)
            if (vectors[i].length != d)
                return SampleOutcome.skipped(SampleOutcome.WRONG_DIM, model, "layer " + layers[i] + " has d = "
                        + vectors[i].length + " but the reservoir for model '" + model + "' has d = " + d);
        for (int i = 0; i < layers.length; i++)
            for (int j = 0; j < d; j++)
                if (!Float.isFinite(vectors[i][j]))
                    return SampleOutcome.skipped(NON_FINITE, model, "layer " + layers[i] + ": non-finite value at element " + j);
        if (res == null) {
            final int dd = d;
            res = reservoirs.computeIfAbsent(model, m -> {
                SampleReservoir created = new SampleReservoir(m, layers, dd, capacityPerClass, seed ^ m.hashCode());
                onNewReservoir.accept(created);
                return created;
            });
            if (res.d() != d || !Arrays.equals(res.layers(), layers)) return offer(s); // lost a creation race
        }
        boolean harmful = labels.getHarm() == HarmLabel.HARM_LABEL_HARMFUL;
        res.offer(harmful, vectors, harmful ? harmfulResponse(labels.getResponse()) : ResponseLabel.RESPONSE_LABEL_COMPLIED_VALUE);
        return SampleOutcome.accepted(model);
    }

    /** Refusal-plane sector label of a harmful row: its response, "refused" when unspecified. */
    static int harmfulResponse(ResponseLabel r) {
        return switch (r) {
            case RESPONSE_LABEL_COMPLIED, RESPONSE_LABEL_COMPLIED_WITH_WARNING, RESPONSE_LABEL_REDIRECTED -> r.getNumber();
            default -> ResponseLabel.RESPONSE_LABEL_REFUSED_VALUE;
        };
    }

    private static int[] sortedLayers(DecodedHiddenState s) {
        return Arrays.stream(s.layerIndices()).sorted().toArray();
    }

    /** The reservoir of {@code modelId}, or null before its first accepted sample. */
    public SampleReservoir reservoir(String modelId) {
        return reservoirs.get(modelId);
    }

    public Collection<SampleReservoir> reservoirs() {
        return List.copyOf(reservoirs.values());
    }
}
