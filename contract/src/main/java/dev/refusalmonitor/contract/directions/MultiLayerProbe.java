package dev.refusalmonitor.contract.directions;

/**
 * The headline probe over several layers: one L2 logistic probe on the concatenation [x_{l1}; x_{l2}; ...] of the
 * listed layers' vectors (in that order), each feature standardised. A stacked probe (a logistic combination of the
 * per-layer probes' logits) is the same linear form and ships in this shape too.
 * When a set carries one, its probability is the score's {@code probe_probability} and its threshold decides
 * {@code flagged}; the per-layer scores stay at the set's scoring layer.
 *
 * @param layers the concatenated layers, in concatenation order (ascending)
 * @param probe coefficients over the concatenated vector [layers × d]; its decisionThreshold decides flagged
 * @param kind how it was fitted: "concat" or "stacked"
 */
public record MultiLayerProbe(int[] layers, LogisticProbeParams probe, String kind) {
    public MultiLayerProbe {
        if (layers == null || layers.length < 2) throw new IllegalArgumentException("a multi-layer probe needs at least two layers");
        if (probe == null) throw new IllegalArgumentException("multi-layer probe has no probe");
        if (kind == null) kind = "concat";
    }
}
