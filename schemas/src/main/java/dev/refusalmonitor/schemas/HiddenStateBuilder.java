package dev.refusalmonitor.schemas;

import dev.refusalmonitor.schemas.v1.DType;
import dev.refusalmonitor.schemas.v1.HarmLabel;
import dev.refusalmonitor.schemas.v1.HiddenState;
import dev.refusalmonitor.schemas.v1.Labels;
import dev.refusalmonitor.schemas.v1.ResponseLabel;
import dev.refusalmonitor.schemas.v1.TokenPosition;

/**
 * Builds {@code HiddenState} records (wire-format version {@value HiddenStateDecoder#SCHEMA_VERSION}) from
 * {@code float[]} per layer, for gateways, the generator, the demo and tests. The token position defaults to
 * {@code TOKEN_POSITION_LAST_PROMPT_TOKEN}. Layer values are encoded when {@link #layer} is called, so the caller
 * may reuse its arrays afterwards.
 *
 * <pre>{@code
 * byte[] value = HiddenStateBuilder.create("req-1", "llama-3-8b")
 *         .modelRevision("main").eventTimeUnixMs(now)
 *         .layer(14, hidden14, DType.D_TYPE_F16)
 *         .toByteArray();
 * }</pre>
 */
public final class HiddenStateBuilder {
    private final HiddenState.Builder proto;

    private HiddenStateBuilder(String requestId, String modelId) {
        proto = HiddenState.newBuilder()
                .setSchemaVersion(HiddenStateDecoder.SCHEMA_VERSION)
                .setRequestId(requestId)
                .setModelId(modelId)
                .setTokenPosition(TokenPosition.TOKEN_POSITION_LAST_PROMPT_TOKEN);
    }

    public static HiddenStateBuilder create(String requestId, String modelId) {
        if (requestId == null || requestId.isEmpty()) throw new IllegalArgumentException("request id is required");
        if (modelId == null || modelId.isEmpty()) throw new IllegalArgumentException("model id is required");
        return new HiddenStateBuilder(requestId, modelId);
    }

    public HiddenStateBuilder modelRevision(String revision) {
        proto.setModelRevision(revision);
        return this;
    }

    public HiddenStateBuilder tenant(String tenant) {
        proto.setTenant(tenant);
        return this;
    }

    public HiddenStateBuilder route(String route) {
        proto.setRoute(route);
        return this;
    }

    public HiddenStateBuilder eventTimeUnixMs(long eventTimeUnixMs) {
        proto.setEventTimeUnixMs(eventTimeUnixMs);
        return this;
    }

    public HiddenStateBuilder tokenPosition(TokenPosition position) {
        proto.setTokenPosition(position);
        return this;
    }

    public HiddenStateBuilder promptTokens(int promptTokens) {
        proto.setPromptTokens(promptTokens);
        return this;
    }

    /** Adds layer {@code layer} (Hugging Face index) with {@code values} encoded as {@code dtype}. */
    public HiddenStateBuilder layer(int layer, float[] values, DType dtype) {
        proto.addLayers(TensorCodec.layerActivation(layer, values, dtype));
        return this;
    }

    /** Adds an f32 layer. */
    public HiddenStateBuilder layer(int layer, float[] values) {
        return layer(layer, values, DType.D_TYPE_F32);
    }

    public HiddenStateBuilder labels(Labels labels) {
        proto.setLabels(labels);
        return this;
    }

    /** Marks the record as a training sample. {@code category} and {@code source} may be empty. */
    public HiddenStateBuilder labels(HarmLabel harm, ResponseLabel response, String category, String source) {
        return labels(Labels.newBuilder().setHarm(harm).setResponse(response)
                .setCategory(category).setSource(source).build());
    }

    public HiddenState build() {
        return proto.build();
    }

    public byte[] toByteArray() {
        return build().toByteArray();
    }
}
