package dev.refusalmonitor.monitor.metrics;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.config.MeterFilter;

import java.util.Arrays;

/**
 * Brings third-party meters (Kafka clients' and Streams' metrics, the JVM and process binders) in line with the
 * Prometheus naming rules that {@code promtool check metrics} enforces, so the live /metrics passes it with no
 * complaint. The monitor's own meters already comply and pass through unchanged.
 * <ul>
 *   <li>abbreviated non-base units ({@code ns}, {@code ms}: promtool wants seconds, and a filter cannot rescale a
 *       third-party value) leave the name and move into the help text: {@code kafka_consumer_io_time_ns_total} →
 *       {@code kafka_consumer_io_time_total} "… (nanoseconds)", {@code process_cpu_time_ns_total} →
 *       {@code process_cpu_time_total};</li>
 *   <li>a gauge or counter ending in {@code .count} (which promtool reserves for histograms and summaries) is named
 *       in the plural instead: {@code kafka_consumer_connection_count} → {@code kafka_consumer_connections},
 *       {@code system_cpu_count} → {@code system_cpus};</li>
 *   <li>a meter without a description gets one naming the metric, since promtool requires help text.</li>
 * </ul>
 * The Kafka metrics that rules and dashboards use ({@link MetricNames#PROMETHEUS_KAFKA_NAMES}) are not affected.
 */
public final class PrometheusLintFilter implements MeterFilter {

    @Override
    public Meter.Id map(Meter.Id id) {
        String unit = null;
        java.util.List<String> parts = new java.util.ArrayList<>(Arrays.asList(id.getName().split("\\.")));
        for (java.util.Iterator<String> it = parts.iterator(); it.hasNext(); ) {
            String p = it.next();
            if (unitName(p) != null && parts.size() > 1) {
                unit = unitName(p);
                it.remove();
            }
        }
        String baseUnit = id.getBaseUnit();
        if (baseUnit != null && unitName(baseUnit) != null) {
            unit = unitName(baseUnit);
            baseUnit = null;
        }
        boolean distribution = id.getType() == Meter.Type.DISTRIBUTION_SUMMARY || id.getType() == Meter.Type.TIMER
                || id.getType() == Meter.Type.LONG_TASK_TIMER;
        if (!distribution && parts.size() >= 2 && parts.get(parts.size() - 1).equals("count")) {
            parts.remove(parts.size() - 1);
            parts.set(parts.size() - 1, parts.get(parts.size() - 1) + "s");
        }
        String name = String.join(".", parts);
        String description = id.getDescription();
        if (description == null || description.isBlank()) description = String.join(" ", parts) + " (from its client library)";
        if (unit != null) description = description + " (" + unit + ")";
        if (name.equals(id.getName()) && java.util.Objects.equals(baseUnit, id.getBaseUnit())
                && description.equals(id.getDescription())) return id;
        return new Meter.Id(name, Tags.of(id.getTagsAsIterable()), baseUnit, description, id.getType());
    }

    /** The spelled-out unit of an abbreviated non-base unit, or null. */
    private static String unitName(String s) {
        return switch (s) {
            case "ns" -> "nanoseconds";
            case "ms" -> "milliseconds";
            default -> null;
        };
    }
}
