package dev.refusalmonitor.trainer.publish;

/** A sealed set larger than the configured maximum: refused before it reaches the broker. */
public final class SetTooLargeException extends IllegalStateException {
    private final long sizeBytes;
    private final long maxBytes;

    public SetTooLargeException(String modelId, int dim, int layers, boolean exact, long sizeBytes, long maxBytes) {
        super(message(modelId, dim, layers, exact, sizeBytes, maxBytes));
        this.sizeBytes = sizeBytes;
        this.maxBytes = maxBytes;
    }

    private static String message(String modelId, int dim, int layers, boolean exact, long size, long max) {
        StringBuilder b = new StringBuilder();
        b.append(String.format("direction set for model '%s' is %,d bytes, above the maximum of %,d bytes"
                + " (--max-set-bytes; it must not exceed the directions topic's max.message.bytes)", modelId, size, max));
        if (exact) {
            long perLayer = (long) dim * (dim + 1) / 2 * Float.BYTES;
            b.append(String.format("; it carries the exact Mahalanobis factor, d(d+1)/2 floats = %,d bytes per layer at"
                    + " d = %d over %d layer(s): set --exact-max-dim below %d to publish the low-rank path only,"
                    + " or fit fewer layers (--layers)", perLayer, dim, layers, dim));
        } else {
            b.append("; fit fewer layers (--layers) or lower --low-rank-k");
        }
        return b.toString();
    }

    public long sizeBytes() {
        return sizeBytes;
    }

    public long maxBytes() {
        return maxBytes;
    }
}
