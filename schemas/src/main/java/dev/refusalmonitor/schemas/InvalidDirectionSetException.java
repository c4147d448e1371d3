package dev.refusalmonitor.schemas;

/**
 * A direction set that must not be used: it could not be read, or it failed validation. The reader keeps the
 * previous version in force and logs {@link #reason()} and the message (which never contains vector values).
 */
public final class InvalidDirectionSetException extends Exception {
    private static final long serialVersionUID = 1L;

    /** Why a direction set was refused; a fixed set, usable as a metric tag. */
    public enum Reason {
        /** Not parseable as an envelope or payload, or a tensor's bytes disagree with its own shape and dtype. */
        CORRUPT,
        /** The payload's SHA-256 differs from the envelope's. */
        CHECKSUM_MISMATCH,
        /** A schema_version this reader does not know. */
        UNSUPPORTED_VERSION,
        /** The envelope's model id or version differs from the payload's. */
        IDENTITY_MISMATCH,
        /** A required field or layer is absent (including an unset schema_version). */
        MISSING_FIELD,
        /** A tensor's shape disagrees with the set's dim (or k·dim, or dim(dim+1)/2). */
        DIMENSION_MISMATCH,
        /** A NaN or infinity in a tensor or a scalar parameter. */
        NON_FINITE,
        /** A value outside its domain: duplicate layer, zero feature std, threshold outside [0, 1], ... */
        INVALID_VALUE
    }

    private final Reason reason;

    public InvalidDirectionSetException(Reason reason, String message) {
        super(reason + ": " + message);
        this.reason = reason;
    }

    public InvalidDirectionSetException(Reason reason, String message, Throwable cause) {
        super(reason + ": " + message, cause);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
