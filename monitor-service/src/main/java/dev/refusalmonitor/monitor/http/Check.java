package dev.refusalmonitor.monitor.http;

import java.util.Objects;

/**
 * The answer of a health or readiness check.
 *
 * @param ok whether the check passes
 * @param reason a short human-readable reason (never contains request data or secrets)
 */
public record Check(boolean ok, String reason) {

    public Check {
        Objects.requireNonNull(reason, "reason");
    }

    public static Check ok(String reason) {
        return new Check(true, reason);
    }

    public static Check fail(String reason) {
        return new Check(false, reason);
    }
}
