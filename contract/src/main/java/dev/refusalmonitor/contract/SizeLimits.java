package dev.refusalmonitor.contract;

/**
 * Record size limits shared by the trainer (which writes direction sets) and the monitor (which creates the
 * directions topics and reads them).
 *
 * <p>The rule, written once: a sealed direction set may take up to {@link #DEFAULT_MAX_SET_BYTES}; the directions
 * topics' {@code max.message.bytes} and the producer's {@code max.request.size} are that plus
 * {@link #BATCH_OVERHEAD_BYTES} for the record batch around it, and never below
 * {@link #DIRECTIONS_MAX_MESSAGE_BYTES}.
 */
public final class SizeLimits {
    private SizeLimits() {
    }

    /** {@code max.message.bytes} of the directions topics: a set with full covariance factors at d = 4096 runs to tens of MiB. */
    public static final int DIRECTIONS_MAX_MESSAGE_BYTES = 64 * 1024 * 1024;
    /** Room left for the record batch header, key and headers around one set. */
    public static final int BATCH_OVERHEAD_BYTES = 1024 * 1024;
    /** Largest sealed set the trainer publishes by default. */
    public static final long DEFAULT_MAX_SET_BYTES = DIRECTIONS_MAX_MESSAGE_BYTES - BATCH_OVERHEAD_BYTES;

    /** {@code max.message.bytes} / {@code max.request.size} that lets a set of {@code maxSetBytes} through. */
    public static int directionsMessageBytes(long maxSetBytes) {
        return (int) Math.min(Integer.MAX_VALUE, Math.max(DIRECTIONS_MAX_MESSAGE_BYTES, maxSetBytes + BATCH_OVERHEAD_BYTES));
    }
}
