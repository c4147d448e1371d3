package dev.refusalmonitor.monitor.metrics;

/** Why a record went to the DLQ: the fixed set of {@code reason} tag values (and DLQ header values). */
public enum DlqReason {
    /** The bytes are not a valid HiddenState message. */
    DECODE_ERROR("decode_error"),
    /** Unknown wire-format version. */
    UNSUPPORTED_VERSION("unsupported_version"),
    /** A layer's dtype is not f32/f16/bf16. */
    UNSUPPORTED_DTYPE("unsupported_dtype"),
    /** A layer's byte length or dim does not match the direction set. */
    DIMENSION_MISMATCH("dimension_mismatch"),
    /** A layer the direction set needs is absent. */
    MISSING_LAYER("missing_layer"),
    /** NaN or infinity in the hidden state. */
    NON_FINITE("non_finite"),
    /** No direction set for the model (with {@code no.directions.policy=dlq}). */
    NO_DIRECTIONS("no_directions"),
    /** Any other failure while scoring. */
    SCORING_ERROR("scoring_error");

    private final String tag;

    DlqReason(String tag) {
        this.tag = tag;
    }

    /** The tag value, e.g. {@code decode_error}. */
    public String tag() {
        return tag;
    }
}
