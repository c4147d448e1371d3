package dev.refusalmonitor.monitor.metrics;

import dev.refusalmonitor.schemas.v1.DeadLetterReason;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.micrometer.core.instrument.MockClock;
import io.micrometer.core.instrument.Tags;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The exported Prometheus names are the contract with deploy/ rules and Grafana panels. */
class MetricsExportTest {

    private MockClock clock;
    private PrometheusMeterRegistry registry;
    private ScoringMetrics scoring;
    private DirectionSetMetrics directions;

    @BeforeEach
    void bind() {
        clock = new MockClock();
        registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT, new io.prometheus.metrics.model.registry.PrometheusRegistry(), clock);
        scoring = new ScoringMetrics();
        scoring.bindTo(registry);
        directions = new DirectionSetMetrics(Tags.empty(), clock);
        directions.bindTo(registry);
    }

    @Test
    void shouldExportRecordCountersByOutcomeAndModel() {
        scoring.recordScored("llama-3-8b", 250_000);
        scoring.recordScored("llama-3-8b", 350_000);
        scoring.recordDlq(DeadLetterReason.DEAD_LETTER_REASON_DIMENSION_MISMATCH);
        scoring.recordDlq(DeadLetterReason.DEAD_LETTER_REASON_MALFORMED);
        scoring.recordParked("llama-3-8b");
        scoring.recordFlagged("llama-3-8b");
        String text = registry.scrape();
        assertEquals(2.0, value(text, "refusal_monitor_records_total{model=\"llama-3-8b\",outcome=\"scored\"}"));
        assertEquals(1.0, value(text, "refusal_monitor_records_total{model=\"llama-3-8b\",outcome=\"parked\"}"));
        // Each dead letter is counted once, by reason: never in records_total, never under a model label.
        assertFalse(text.contains("outcome=\"dlq\""), text);
        assertEquals(1.0, value(text, "refusal_monitor_dlq_total{reason=\"dimension_mismatch\"}"));
        assertEquals(1.0, value(text, "refusal_monitor_dlq_total{reason=\"malformed\"}"));
        assertEquals(0.0, value(text, "refusal_monitor_dlq_total{reason=\"no_directions\"}"), "every reason exported from the start");
        assertEquals(1.0, value(text, "refusal_monitor_flagged_total{model=\"llama-3-8b\"}"));
        assertEquals(2.0, value(text, "refusal_monitor_scoring_seconds_count{model=\"llama-3-8b\"}"));
        assertEquals(600e-6, value(text, "refusal_monitor_scoring_seconds_sum{model=\"llama-3-8b\"}"), 1e-12);
        assertTrue(text.contains("refusal_monitor_scoring_seconds_bucket{model=\"llama-3-8b\",le=\"+Inf\"} 2"), text);
    }

    @Test
    void shouldExportScoreHistogramsWithSignedBuckets() {
        scoring.recordScore("m", ScoreKind.PROBE_PROBABILITY, 0.97);
        scoring.recordScore("m", ScoreKind.PROBE_PROBABILITY, 0.02);
        scoring.recordScore("m", ScoreKind.MAHALANOBIS_REFUSAL, -3.0);
        scoring.recordScore("m", ScoreKind.MAHALANOBIS_REFUSAL, 0.0);
        scoring.recordScore("m", ScoreKind.MAHALANOBIS_REFUSAL, 1000.0);
        scoring.recordScore("m", ScoreKind.CAST_SIMILARITY, -0.25);
        scoring.recordScore("m", ScoreKind.MAHALANOBIS_OOD, Double.NaN);
        String text = registry.scrape();
        String p = "refusal_monitor_score_%2$s_bucket{model=\"m\",le=\"%1$s\"}";
        assertEquals(1.0, value(text, String.format(p, "0.05", "probe_probability")));
        assertEquals(1.0, value(text, String.format(p, "0.95", "probe_probability")));
        assertEquals(2.0, value(text, String.format(p, "1.0", "probe_probability")));
        assertEquals(0.0, value(text, String.format(p, "-4.0", "mahalanobis_refusal")));
        assertEquals(1.0, value(text, String.format(p, "-2.0", "mahalanobis_refusal")));
        assertEquals(2.0, value(text, String.format(p, "0.0", "mahalanobis_refusal")));
        assertEquals(2.0, value(text, String.format(p, "256.0", "mahalanobis_refusal")));
        assertEquals(3.0, value(text, String.format(p, "+Inf", "mahalanobis_refusal")));
        assertEquals(3.0, value(text, "refusal_monitor_score_mahalanobis_refusal_count{model=\"m\"}"));
        assertEquals(997.0, value(text, "refusal_monitor_score_mahalanobis_refusal_sum{model=\"m\"}"), 1e-9);
        assertEquals(0.0, value(text, String.format(p, "-0.3", "cast_similarity")));
        assertEquals(1.0, value(text, String.format(p, "-0.2", "cast_similarity")));
        assertEquals(0.0, value(text, String.format(p, "+Inf", "mahalanobis_ood")), "NaN is not counted");
        assertTrue(text.contains("# TYPE refusal_monitor_score_probe_probability histogram"), text);
    }

    @Test
    void shouldExportDirectionVersionAgeAndRejections() {
        clock.add(1_000_000, TimeUnit.MILLISECONDS);
        Instant created = Instant.ofEpochMilli(clock.wallTime() - 90_000);
        directions.directionsLoaded("m", 7, created);
        directions.rejected(DirectionsRejectReason.CHECKSUM_MISMATCH);
        String text = registry.scrape();
        assertEquals(7.0, value(text, "refusal_monitor_directions_version{model=\"m\"}"));
        assertEquals(90.0, value(text, "refusal_monitor_directions_age_seconds{model=\"m\"}"), 1e-9);
        assertEquals(1.0, value(text, "refusal_monitor_directions_rejected_total{reason=\"checksum_mismatch\"}"));
        clock.add(30, TimeUnit.SECONDS);
        assertEquals(120.0, value(registry.scrape(), "refusal_monitor_directions_age_seconds{model=\"m\"}"), 1e-9);
        directions.directionsLoaded("m", 8, Instant.ofEpochMilli(clock.wallTime()));
        text = registry.scrape();
        assertEquals(8.0, value(text, "refusal_monitor_directions_version{model=\"m\"}"));
        assertEquals(0.0, value(text, "refusal_monitor_directions_age_seconds{model=\"m\"}"), 1e-9);
        assertEquals(1, directions.modelsWithDirections());
    }

    @Test
    void shouldExportEveryNameListedInMetricNames() {
        scoring.recordScored("m", 1000);
        scoring.recordFlagged("m");
        scoring.recordScore("m", ScoreKind.PROBE_PROBABILITY, 0.5);
        directions.directionsLoaded("m", 1, Instant.ofEpochMilli(clock.wallTime()));
        MetricSnapshots snapshots = registry.getPrometheusRegistry().scrape();
        String text = registry.scrape();
        for (String name : MetricNames.PROMETHEUS_NAMES) {
            assertTrue(Pattern.compile("(?m)^" + Pattern.quote(name) + "(_bucket|_count|_sum|_max)?\\{").matcher(text).find(),
                    "not exported: " + name);
        }
        assertTrue(snapshots.size() >= MetricNames.PROMETHEUS_NAMES.size());
    }

    @Test
    void shouldBoundTenantAndRouteTagsByAllowlist() {
        TagAllowlist tenants = new TagAllowlist(Set.of("acme"));
        assertEquals("acme", tenants.tagValue("acme"));
        assertEquals("other", tenants.tagValue("request-123"));
        assertEquals("unknown", tenants.tagValue(null));
        assertEquals("unknown", tenants.tagValue(" "));
        assertEquals("other", new TagAllowlist(Set.of()).tagValue("acme"));
    }

    @Test
    void shouldLabelOnlyModelsWithDirectionsInForceAndSanitiseLabels() {
        Set<String> inForce = new java.util.HashSet<>(Set.of("llama-3-8b", "evil\u0000model\"x\n"));
        PrometheusMeterRegistry r = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        ScoringMetrics bounded = new ScoringMetrics(Tags.empty(), new ModelLabels(inForce::contains, 3));
        bounded.bindTo(r);
        bounded.recordScored("llama-3-8b", 1000);
        bounded.recordScored("evil\u0000model\"x\n", 1000);
        bounded.recordParked("no-set-yet");
        int before = seriesCount(r.scrape());
        for (int i = 0; i < 10_000; i++) {
            bounded.recordScored("id-" + i, 1000);
            bounded.recordScore("id-" + i, ScoreKind.PROBE_PROBABILITY, 0.5);
            bounded.recordFlagged("id-" + i);
            bounded.recordParked("id-" + i);
            bounded.recordDlq(DeadLetterReason.DEAD_LETTER_REASON_NO_DIRECTIONS);
        }
        String text = r.scrape();
        assertEquals(before, seriesCount(text), "10,000 model ids without a direction set add no series");
        assertEquals(10_000.0, value(text, "refusal_monitor_records_total{model=\"_other\",outcome=\"scored\"}"));
        assertEquals(10_001.0, value(text, "refusal_monitor_records_total{model=\"_other\",outcome=\"parked\"}"));
        assertEquals(1.0, value(text, "refusal_monitor_records_total{model=\"evil_model_x_\",outcome=\"scored\"}"));
        assertFalse(text.contains("\u0000"), "no NUL byte reaches /metrics");
        // The cap holds even for ids in force.
        for (int i = 0; i < 10; i++) inForce.add("set-" + i);
        for (int i = 0; i < 10; i++) bounded.recordScored("set-" + i, 1000);
        assertEquals(3, r.scrape().lines().filter(l -> l.startsWith("refusal_monitor_records_total{")
                && l.contains("outcome=\"scored\"") && !l.contains("_other")).count(), "at most 3 model labels");
        assertEquals("a_b", ModelLabels.sanitize("a\u0000b"));
        assertEquals(ModelLabels.MAX_LABEL_CHARS, ModelLabels.sanitize("x".repeat(1000)).length());
        assertEquals("meta-llama/Llama-3.1-8B-Instruct", ModelLabels.sanitize("meta-llama/Llama-3.1-8B-Instruct"));
    }

    private static int seriesCount(String text) {
        return (int) text.lines().filter(l -> l.startsWith("refusal_monitor_")).count();
    }

    @Test
    void shouldRefuseToRecordBeforeBinding() {
        assertThrows(IllegalStateException.class, () -> new ScoringMetrics().recordScored("m", 1));
        assertThrows(IllegalStateException.class, () -> new DirectionSetMetrics().rejected(DirectionsRejectReason.INVALID));
    }

    @Test
    void shouldExportJvmMetricsFromMonitorMetrics() {
        try (MonitorMetrics m = new MonitorMetrics()) {
            m.bind(new ScoringMetrics()).recordScored("m", 10);
            String text = m.scrape();
            assertTrue(text.contains("jvm_memory_used_bytes"), "JVM binders bound");
            assertTrue(text.contains("process_uptime_seconds"));
            assertTrue(text.contains("refusal_monitor_records_total{model=\"m\",outcome=\"scored\"} 1"));
        }
    }

    /** The sample value of an exact series line in Prometheus text format; fails when absent. */
    static double value(String text, String series) {
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(series) + " (\\S+)$").matcher(text);
        if (!m.find()) {
            throw new AssertionError("series not exported: " + series + "\n" + text);
        }
        return Double.parseDouble(m.group(1));
    }
}
