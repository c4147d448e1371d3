package dev.refusalmonitor.monitor.drift;

import dev.refusalmonitor.math.drift.DriftConfig;
import dev.refusalmonitor.monitor.config.MonitorConfig;
import dev.refusalmonitor.monitor.metrics.TagAllowlist;

/**
 * What the drift part of the topology needs (docs/DESIGN.md, "Drift"): the rule's configuration, the slice
 * allowlists, how partials are handed on, and the metrics.
 *
 * @param partialRecords    requests per slice a scoring task counts before handing the partial on
 * @param partialIntervalMs wall-clock period after which a scoring task hands on every open partial
 * @param advanceIntervalMs wall-clock period of the owners' time advance (time-based windows only)
 */
public record DriftParts(DriftConfig config, TagAllowlist tenants, TagAllowlist routes, int partialRecords,
                         long partialIntervalMs, long advanceIntervalMs, DriftMetrics metrics) {

    /** From the monitor's {@code refusal.monitor.drift.*} and metrics allowlist settings. */
    public static DriftParts from(MonitorConfig c, DriftMetrics metrics) {
        return new DriftParts(c.driftConfig(), new TagAllowlist(c.tenantAllowlist()), new TagAllowlist(c.routeAllowlist()),
                c.driftPartialRecords(), c.driftPartialIntervalMs(), c.driftAdvanceIntervalMs(), metrics);
    }

    /** A scoring task's partial aggregates (one per task). */
    public DriftPartials newPartials() {
        return new DriftPartials(config, tenants, routes, partialRecords, metrics);
    }
}
