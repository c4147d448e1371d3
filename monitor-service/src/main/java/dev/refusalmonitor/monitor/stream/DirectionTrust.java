package dev.refusalmonitor.monitor.stream;

import dev.refusalmonitor.monitor.config.MonitorConfig;
import dev.refusalmonitor.schemas.signing.TrustedKeys;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;

/**
 * Which direction sets and withdrawals the monitor accepts: with {@code required} (the default) only those signed by
 * one of {@code keys}; without, any valid one (an explicit opt-out for closed test setups). A plain tombstone withdraws
 * a model only with {@code allowTombstones} (off by default: anyone who can write the topic could blind the monitor).
 */
public record DirectionTrust(boolean required, TrustedKeys keys, boolean allowTombstones) {

    /** Accepts any valid set, signed or not, and plain tombstones. */
    public static final DirectionTrust NOT_REQUIRED = new DirectionTrust(false, TrustedKeys.of(List.of()), true);

    /** Signatures by {@code keys} required; no plain tombstones. */
    public static DirectionTrust signedBy(TrustedKeys keys) {
        return new DirectionTrust(true, keys, false);
    }

    /** The configured trust: {@code refusal.monitor.directions.trusted.keys} and {@code .require.signature}. */
    public static DirectionTrust from(MonitorConfig config) {
        try {
            return new DirectionTrust(config.requireSignature(), TrustedKeys.load(config.trustedKeyFiles()),
                    config.allowTombstones());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read a trusted key (" + MonitorConfig.DIRECTIONS_TRUSTED_KEYS + "): "
                    + e.getMessage(), e);
        }
    }
}
