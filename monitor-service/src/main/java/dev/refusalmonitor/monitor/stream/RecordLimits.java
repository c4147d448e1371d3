package dev.refusalmonitor.monitor.stream;

import dev.refusalmonitor.schemas.DeadLetters;
import dev.refusalmonitor.schemas.HiddenStateDecoder;

/**
 * What one input record may cost and what the monitor may write for it (README, "Hostile input"): the decoder's
 * limits (record bytes, layers, d, id length, |x|), and the most original bytes a dead letter keeps. A record that
 * would be parked on the retry topic but is larger than {@code dlqMaxOriginalBytes} is dead-lettered instead, so
 * nothing the monitor writes can exceed what a default broker accepts.
 */
public record RecordLimits(HiddenStateDecoder.Limits decode, int dlqMaxOriginalBytes) {
    /** The monitor's defaults: the decoder's defaults with |x| ≤ 1e6, and 900 KiB of original bytes per dead letter. */
    public static final RecordLimits DEFAULTS = new RecordLimits(HiddenStateDecoder.Limits.DEFAULTS.withMaxAbsValue(1e6),
            DeadLetters.DEFAULT_MAX_ORIGINAL_BYTES);

    public RecordLimits {
        if (dlqMaxOriginalBytes < 0) throw new IllegalArgumentException("dlqMaxOriginalBytes must be >= 0");
    }
}
