package dev.refusalmonitor.schemas;

import dev.refusalmonitor.schemas.v1.Labels;
import dev.refusalmonitor.schemas.v1.TokenPosition;

import java.util.Arrays;

/**
 * A validated hidden-state record with every layer decoded to f32. Layers keep the order they had on the wire.
 * The float arrays are owned by this object and handed out without copying (the hot path must not copy them);
 * callers must not modify them.
 *
 * @param layerIndices Hugging Face hidden_states indices (0 = embeddings), distinct
 * @param layerValues {@code layerValues[i]} holds the values of layer {@code layerIndices[i]}
 * @param labels the training labels, or null on live traffic
 */
public record DecodedHiddenState(String requestId, String modelId, String modelRevision, String tenant, String route,
                                 long eventTimeUnixMs, TokenPosition tokenPosition, int promptTokens,
                                 int[] layerIndices, float[][] layerValues, Labels labels) {

    public DecodedHiddenState {
        if (layerIndices.length != layerValues.length) {
            throw new IllegalArgumentException(layerIndices.length + " layer indices but " + layerValues.length
                    + " value arrays");
        }
    }

    public int layerCount() {
        return layerIndices.length;
    }

    /** The values of layer {@code layer}, or null when the record does not carry it. Not a copy. */
    public float[] layer(int layer) {
        for (int i = 0; i < layerIndices.length; i++) if (layerIndices[i] == layer) return layerValues[i];
        return null;
    }

    public boolean hasLabels() {
        return labels != null;
    }

    /** Never prints hidden-state values (they can leak prompt contents). */
    @Override
    public String toString() {
        return "DecodedHiddenState[requestId=" + requestId + ", modelId=" + modelId + ", modelRevision=" + modelRevision
                + ", tenant=" + tenant + ", route=" + route + ", eventTimeUnixMs=" + eventTimeUnixMs
                + ", tokenPosition=" + tokenPosition + ", layers=" + Arrays.toString(layerIndices)
                + ", labelled=" + hasLabels() + "]";
    }
}
