package dev.refusalmonitor.monitor.stream;

import dev.refusalmonitor.monitor.config.MonitorConfig;
import dev.refusalmonitor.schemas.signing.TrustedKeys;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;

/**
 * Which direction sets the monitor accepts: with {@code required} (the default) only sets signed by one of
 * {@code keys}; without, any valid set (an explicit opt-out for closed test setups).
 */
public record DirectionTrust(boolean required, TrustedKeys keys) {

    /** Accepts any valid set, signed or not. */
    public static final DirectionTrust NOT_REQUIRED = new DirectionTrust(false, TrustedKeys.of(List.of()));

    /** The configured trust: {@code refusal.monitor.directions.trusted.keys} and {@code .require.signature}. */
    public static DirectionTrust from(MonitorConfig config) {
        try {
            return new DirectionTrust(config.requireSignature(), TrustedKeys.load(config.trustedKeyFiles()));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read a trusted key (" + MonitorConfig.DIRECTIONS_TRUSTED_KEYS + "): "
                    + e.getMessage(), e);
        }
    }
}
