package dev.refusalmonitor.gateway;

import dev.refusalmonitor.schemas.HiddenStateBuilder;
import dev.refusalmonitor.schemas.v1.DType;
import dev.refusalmonitor.schemas.v1.HarmLabel;
import dev.refusalmonitor.schemas.v1.HiddenState;
import dev.refusalmonitor.schemas.v1.ResponseLabel;

import java.util.Arrays;

/** Builds wire-format {@link HiddenState} records from pooled hidden states, with the contract's {@link HiddenStateBuilder}. */
public final class HiddenStateRecords {
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
        HiddenStateBuilder b = HiddenStateBuilder.create(requestId, ctx.modelId())
                .eventTimeUnixMs(eventTimeMs)
                .tokenPosition(ctx.pooling().tokenPosition())
                .promptTokens(states.promptTokens()[row]);
        if (ctx.modelRevision() != null) b.modelRevision(ctx.modelRevision());
        if (ctx.tenant() != null) b.tenant(ctx.tenant());
        if (ctx.route() != null) b.route(ctx.route());
        int d = states.d();
        int[] layers = states.layers();
        for (int k = 0; k < layers.length; k++) {
            b.layer(layers[k], Arrays.copyOfRange(states.perLayer()[k], row * d, (row + 1) * d), DType.D_TYPE_F32);
        }
        if (harm != null) {
            b.labels(harm, ResponseLabel.RESPONSE_LABEL_UNSPECIFIED, category == null ? "" : category, LABEL_SOURCE);
        }
        return b.build();
    }
}
