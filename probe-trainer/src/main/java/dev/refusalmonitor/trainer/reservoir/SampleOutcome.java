package dev.refusalmonitor.trainer.reservoir;

/**
 * What happened to one training sample: accepted into a reservoir (possibly then dropped by Algorithm R, which is
 * sampling, not rejection), skipped with a reason, or ignored (another model than the one trained). Reasons are a
 * fixed set: the metric tag {@code reason}.
 */
public record SampleOutcome(Kind kind, String reason, String modelId, String detail) {

    public enum Kind { ACCEPTED, SKIPPED, IGNORED }

    /** Reason tag of accepted samples. */
    public static final String NONE = "none";
    /** No labels, or labels.harm unspecified. */
    public static final String MISSING_LABEL = "missing_label";
    /** A layer's d differs from the model's reservoir. */
    public static final String WRONG_DIM = "wrong_dim";
    /** The record lacks a layer of the reservoir's layer set. */
    public static final String MISSING_LAYER = "missing_layer";
    /** The model is not the one selected with --model-id. */
    public static final String OTHER_MODEL = "other_model";
    // Decoder rejections use the dead-letter reason in lower case: malformed, missing_field, non_finite,
    // size_mismatch, unsupported_dtype, duplicate_layer, unsupported_schema_version.

    public static SampleOutcome accepted(String modelId) {
        return new SampleOutcome(Kind.ACCEPTED, NONE, modelId, "");
    }

    public static SampleOutcome skipped(String reason, String modelId, String detail) {
        return new SampleOutcome(Kind.SKIPPED, reason, modelId == null ? "" : modelId, detail);
    }

    public static SampleOutcome ignored(String modelId) {
        return new SampleOutcome(Kind.IGNORED, OTHER_MODEL, modelId, "");
    }

    /** The metric tag {@code outcome}. */
    public String outcomeTag() {
        return kind.name().toLowerCase(java.util.Locale.ROOT);
    }
}
