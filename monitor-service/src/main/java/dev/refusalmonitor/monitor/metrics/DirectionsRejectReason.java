package dev.refusalmonitor.monitor.metrics;

/** Why a direction set was rejected (the previous version stays in force): fixed {@code reason} tag values. */
public enum DirectionsRejectReason {
    DECODE_ERROR("decode_error"),
    CHECKSUM_MISMATCH("checksum_mismatch"),
    INVALID("invalid"),
    STALE_VERSION("stale_version"),
    /** No signature, and signatures are required. */
    UNSIGNED("unsigned"),
    /** Signed by a key that is not in {@code refusal.monitor.directions.trusted.keys}. */
    UNTRUSTED_KEY("untrusted_key"),
    /** Signed by a trusted key id, but the signature does not match the payload (forged or altered). */
    BAD_SIGNATURE("bad_signature"),
    /** A plain tombstone, ignored unless {@code refusal.monitor.directions.allow.tombstones=true}. */
    TOMBSTONE("tombstone");

    private final String tag;

    DirectionsRejectReason(String tag) {
        this.tag = tag;
    }

    public String tag() {
        return tag;
    }
}
