package dev.refusalmonitor.monitor.metrics;

/** Why a direction set was rejected (the previous version stays in force): fixed {@code reason} tag values. */
public enum DirectionsRejectReason {
    DECODE_ERROR("decode_error"),
    CHECKSUM_MISMATCH("checksum_mismatch"),
    INVALID("invalid"),
    STALE_VERSION("stale_version");

    private final String tag;

    DirectionsRejectReason(String tag) {
        this.tag = tag;
    }

    public String tag() {
        return tag;
    }
}
