package dev.refusalmonitor.gateway;

import com.google.protobuf.ByteString;
import dev.refusalmonitor.schemas.v1.DType;
import dev.refusalmonitor.schemas.v1.HarmLabel;
import dev.refusalmonitor.schemas.v1.HiddenState;
import dev.refusalmonitor.schemas.v1.LayerActivation;
import dev.refusalmonitor.schemas.v1.Labels;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** Builds wire-format {@link HiddenState} records (schema version 1) from pooled hidden states. */
public final class HiddenStateRecords {
    /** The wire-format version these records follow. */
    public static final int SCHEMA_VERSION = 1;
    /** {@code Labels.source} of samples labelled by this gateway's {@code --label}. */
    public static final String LABEL_SOURCE = "gateway-djl";

    private HiddenStateRecords() {
    }

    /** What is the same for every record of one run. */
    public record Context(String modelId, String modelRevision, String tenant, String route, TokenPooling pooling) {
    }

    /**
     * One record for row {@code row} of {@code states}: every layer as f32 little-endian bytes, and labels when
     * {@code harm} is not null (training samples).
     *
     * @param harm HARM_LABEL_HARMFUL / HARM_LABEL_HARMLESS, or null for live traffic
     */
    public static HiddenState build(Context ctx, String requestId, long eventTimeMs, PooledHiddenStates states, int row,
                                    HarmLabel harm, String category) {
        HiddenState.Builder b = HiddenState.newBuilder()
                .setSchemaVersion(SCHEMA_VERSION)
                .setRequestId(requestId)
                .setModelId(ctx.modelId())
                .setEventTimeUnixMs(eventTimeMs)
                .setTokenPosition(ctx.pooling().tokenPosition())
                .setPromptTokens(states.promptTokens()[row]);
        if (ctx.modelRevision() != null) b.setModelRevision(ctx.modelRevision());
        if (ctx.tenant() != null) b.setTenant(ctx.tenant());
        if (ctx.route() != null) b.setRoute(ctx.route());
        int d = states.d();
        int[] layers = states.layers();
        for (int k = 0; k < layers.length; k++) {
            ByteBuffer buf = ByteBuffer.allocate(4 * d).order(ByteOrder.LITTLE_ENDIAN);
            buf.asFloatBuffer().put(states.perLayer()[k], row * d, d);
            b.addLayers(LayerActivation.newBuilder()
                    .setLayer(layers[k])
                    .setDtype(DType.D_TYPE_F32)
                    .setDim(d)
                    .setData(ByteString.copyFrom(buf.array())));
        }
        if (harm != null) {
            Labels.Builder l = Labels.newBuilder().setHarm(harm).setSource(LABEL_SOURCE);
            if (category != null) l.setCategory(category);
            b.setLabels(l);
        }
        return b.build();
    }
}
