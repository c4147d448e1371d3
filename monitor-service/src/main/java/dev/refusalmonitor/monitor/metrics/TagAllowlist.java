package dev.refusalmonitor.monitor.metrics;

import java.util.Set;

/**
 * Bounds a user-supplied tag (tenant, route): values in the allowlist pass, any other value becomes
 * {@value MetricNames#OTHER}, a missing one {@value MetricNames#UNKNOWN}. An empty allowlist maps every
 * present value to {@code other}.
 */
public final class TagAllowlist {

    private final Set<String> allowed;

    public TagAllowlist(Set<String> allowed) {
        this.allowed = Set.copyOf(allowed);
    }

    /** The tag value to export for {@code value}. */
    public String tagValue(String value) {
        if (value == null || value.isBlank()) {
            return MetricNames.UNKNOWN;
        }
        return allowed.contains(value) ? value : MetricNames.OTHER;
    }

    public Set<String> allowed() {
        return allowed;
    }
}
