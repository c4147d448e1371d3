package dev.refusalmonitor.math.score;

/** A request that cannot be scored with a direction set: a needed layer is absent or has the wrong size. */
public final class ScoringInputException extends IllegalArgumentException {
    /** What is wrong, as a fixed set (the monitor maps it to a dead-letter reason). */
    public enum Kind { MISSING_LAYER, DIMENSION_MISMATCH }

    private final Kind kind;

    public ScoringInputException(Kind kind, String message) {
        super(message);
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
    }
}
