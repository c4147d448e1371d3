package dev.refusalmonitor.monitor.drift;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.refusalmonitor.math.drift.DriftConfig;
import dev.refusalmonitor.math.drift.SliceKey;
import dev.refusalmonitor.monitor.config.MonitorConfig;
import dev.refusalmonitor.monitor.metrics.MetricNames;
import dev.refusalmonitor.monitor.metrics.TagAllowlist;
import dev.refusalmonitor.schemas.v1.SafetyScore;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DriftListenerTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final MockProducer<String, byte[]> producer =
            new MockProducer<>(true, null, new StringSerializer(), new ByteArraySerializer());
    private final AtomicLong clock = new AtomicLong();
    private DriftListener listener;

    private DriftListener listener(DriftConfig config, Set<String> tenants, Set<String> routes) {
        listener = new DriftListener(config, new TagAllowlist(tenants), new TagAllowlist(routes), registry, producer,
                "drift", clock::get);
        return listener;
    }

    @AfterEach
    void close() {
        if (listener != null) listener.close();
        registry.close();
    }

    private static SafetyScore score(String model, String tenant, String route, double p, boolean flagged, long t) {
        return SafetyScore.newBuilder().setModelId(model).setTenant(tenant).setRoute(route).setProbeProbability(p)
                .setFlagged(flagged).setCastFired(flagged).setOodTailProbability(0.5)
                .setMahalanobisRefusal(flagged ? 3 : -3).setSector(flagged ? "refuse" : "comply")
                .setEventTimeUnixMs(t).build();
    }

    /** n records with a flagged share of {@code share}, spread evenly (deterministic). */
    private static void feed(DriftListener l, String tenant, String route, int n, double share, long t0) {
        for (int i = 0; i < n; i++) {
            boolean flagged = Math.floor((i + 1) * share + 1e-9) > Math.floor(i * share + 1e-9);
            l.scored(null, score("m", tenant, route, flagged ? 0.9 : 0.05, flagged, t0 + i));
        }
    }

    static double value(String scrape, String series) {
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(series) + " (\\S+)$").matcher(scrape);
        assertTrue(m.find(), "no series " + series + " in scrape");
        return Double.parseDouble(m.group(1));
    }

    /** A series name with its labels in Prometheus' (sorted) order: the slice's plus extra key/value pairs. */
    private static String series(String name, String model, String tenant, String route, String... extra) {
        java.util.TreeMap<String, String> labels = new java.util.TreeMap<>(Map.of("model", model, "tenant", tenant, "route", route));
        for (int i = 0; i < extra.length; i += 2) labels.put(extra[i], extra[i + 1]);
        return name + labels.entrySet().stream().map(e -> e.getKey() + "=\"" + e.getValue() + "\"")
                .collect(Collectors.joining(",", "{", "}"));
    }

    @Test
    void shouldReportEveryClosedWindowToTheTopicAndGauges() throws Exception {
        DriftListener l = listener(DriftConfig.builder().windowSize(10).referenceWindows(2).build(), Set.of("acme"),
                Set.of("chat"));
        feed(l, "acme", "chat", 20, 0.1, 1_000);
        List<ProducerRecord<String, byte[]>> sent = producer.history();
        assertEquals(4, sent.size(), "two windows for each of the model total and acme/chat");
        assertEquals(Set.of("m/_all/_all", "m/acme/chat"), sent.stream().map(ProducerRecord::key).collect(Collectors.toSet()));
        JsonNode first = JSON.readTree(sent.get(0).value());
        assertEquals("drift", sent.get(0).topic());
        assertEquals(10, first.get("n").asInt());
        assertEquals(0.1, first.get("flagged_rate").asDouble(), 1e-12);
        assertFalse(first.get("reference_ready").asBoolean());
        assertTrue(first.get("psi_probability").isNull(), "no reference yet: null, not NaN");
        String text = registry.scrape();
        assertEquals(2.0, value(text, series("refusal_monitor_drift_windows_total", "m", "_all", "_all")));
        assertEquals(0.1, value(text, series("refusal_monitor_drift_rate", "m", "acme", "chat", "rate", "flagged")), 1e-12);
        assertEquals(0.0, value(text, series("refusal_monitor_drift_reference_ready", "m", "acme", "chat")));
        assertEquals(0.1, value(text, series("refusal_monitor_drift_sector_share", "m", "acme", "chat", "sector", "refuse")), 1e-12);
        assertEquals(4.0, value(text, "refusal_monitor_drift_reports_total{outcome=\"sent\"}"));
        assertEquals(2.0, value(text, "refusal_monitor_drift_slices"));
    }

    @Test
    void shouldExportEveryDriftNameListedInMetricNames() {
        DriftListener l = listener(DriftConfig.builder().windowSize(10).referenceWindows(1).build(), Set.of(), Set.of());
        feed(l, "", "", 20, 0.2, 0);
        String text = registry.scrape();
        for (String name : MetricNames.PROMETHEUS_DRIFT_NAMES) {
            assertTrue(Pattern.compile("(?m)^" + Pattern.quote(name) + "(\\{| )").matcher(text).find(), "not exported: " + name);
        }
    }

    @Test
    void shouldRaiseTheDriftGaugesAfterTheFlaggedRateShifts() throws Exception {
        DriftListener l = listener(DriftConfig.builder().windowSize(100).referenceWindows(4).build(), Set.of(), Set.of());
        feed(l, "", "", 800, 0.1, 0);
        String before = registry.scrape();
        assertEquals(1.0, value(before, series("refusal_monitor_drift_reference_ready", "m", "_all", "_all")));
        assertEquals(0.0, value(before, series("refusal_monitor_drift_drifted", "m", "_all", "_all")));
        assertEquals(0.0, value(before, series("refusal_monitor_drift_rate_difference", "m", "_all", "_all", "rate", "flagged")), 1e-12);
        feed(l, "", "", 200, 0.4, 10_000);
        String after = registry.scrape();
        assertEquals(1.0, value(after, series("refusal_monitor_drift_drifted", "m", "_all", "_all")));
        assertEquals(1.0, value(after, series("refusal_monitor_drift_alarm", "m", "_all", "_all", "reason", "flagged_rate_up")));
        assertEquals(0.0, value(after, series("refusal_monitor_drift_alarm", "m", "_all", "_all", "reason", "flagged_rate_down")));
        assertEquals(0.3, value(after, series("refusal_monitor_drift_rate_difference", "m", "_all", "_all", "rate", "flagged")), 1e-12);
        assertTrue(value(after, series("refusal_monitor_drift_rate_difference_lower", "m", "_all", "_all", "rate", "flagged")) > 0.15);
        assertTrue(value(after, series("refusal_monitor_drift_cusum", "m", "_all", "_all", "direction", "up")) > 4);
        JsonNode last = JSON.readTree(producer.history().get(producer.history().size() - 1).value());
        assertTrue(last.get("drifted").asBoolean());
        assertEquals("flagged_rate_up", last.get("reasons").get(0).asText());
        assertTrue(last.get("flagged_difference").get("significant").asBoolean());
    }

    /** n records scored with direction-set {@code version}, flagged share {@code share}. */
    private static void feedVersion(DriftListener l, int n, double share, long t0, long version) {
        for (int i = 0; i < n; i++) {
            boolean flagged = Math.floor((i + 1) * share + 1e-9) > Math.floor(i * share + 1e-9);
            l.scored(null, score("m", "", "", flagged ? 0.9 : 0.05, flagged, t0 + i).toBuilder()
                    .setDirectionsVersion(version).build());
        }
    }

    @Test
    void shouldStartAFreshReferenceAndClearTheAlarmWhenANewDirectionVersionArrives() throws Exception {
        DriftListener l = listener(DriftConfig.builder().windowSize(100).referenceWindows(4).build(), Set.of(), Set.of());
        String total = "_all";
        feedVersion(l, 800, 0.1, 0, 1);
        feedVersion(l, 200, 0.4, 10_000, 1);   // a real shift under v1: alarm
        assertEquals(1.0, value(registry.scrape(), series("refusal_monitor_drift_alarm", "m", total, total, "reason", "flagged_rate_up")));
        feedVersion(l, 1, 0.0, 20_000, 2);     // the first record scored with v2
        String boundary = registry.scrape();
        assertEquals(0.0, value(boundary, series("refusal_monitor_drift_alarm", "m", total, total, "reason", "flagged_rate_up")),
                "the window closed by the version change carries no comparison");
        assertEquals(0.0, value(boundary, series("refusal_monitor_drift_reference_ready", "m", total, total)));
        assertEquals(1.0, value(boundary, series("refusal_monitor_drift_rebaselines_total", "m", total, total, "reason", "directions_version")));
        JsonNode last = JSON.readTree(producer.history().get(producer.history().size() - 1).value());
        assertEquals("directions_version", last.get("closed_by").asText());
        assertEquals(1, last.get("directions_version").asLong());
        // v2 flags a quarter of what v1 did on the same traffic: a fresh reference, no alarm.
        feedVersion(l, 1199, 0.025, 30_000, 2);
        String after = registry.scrape();
        assertEquals(2.0, value(after, series("refusal_monitor_drift_directions_version", "m", total, total)));
        assertEquals(1.0, value(after, series("refusal_monitor_drift_reference_ready", "m", total, total)));
        assertEquals(0.0, value(after, series("refusal_monitor_drift_drifted", "m", total, total)));
        assertEquals(0.0, value(after, series("refusal_monitor_drift_alarm", "m", total, total, "reason", "flagged_rate_down")));
        // A late record scored with v1 is not counted.
        feedVersion(l, 1, 0.0, 40_000, 1);
        assertEquals(1.0, value(registry.scrape(), "refusal_monitor_drift_skipped_total"));
    }

    @Test
    void shouldFoldUnlistedTenantsAndSlicesPastTheCapIntoOther() {
        DriftListener l = listener(DriftConfig.builder().windowSize(5).referenceWindows(1).maxSlicesPerModel(1).build(),
                Set.of("acme", "beta"), Set.of("chat"));
        feed(l, "acme", "chat", 5, 0, 0);
        feed(l, "beta", "chat", 5, 0, 0);     // past the cap of one tenant/route slice
        feed(l, "mallory", "chat", 5, 0, 0);  // not allowlisted
        feed(l, "acme", "search", 5, 0, 0);   // route not allowlisted
        feed(l, "", "", 5, 0, 0);             // unsliced: model total only
        assertEquals(Set.of(SliceKey.modelTotal("m"), new SliceKey("m", "acme", "chat"),
                new SliceKey("m", SliceKey.OTHER, SliceKey.OTHER)), Set.copyOf(l.slices()));
        assertEquals(3.0, value(registry.scrape(), series("refusal_monitor_drift_windows_total", "m", "_other", "_other")));
    }

    @Test
    void shouldCountRecordsOutsideTheScoreDomainInsteadOfFailing() {
        DriftListener l = listener(DriftConfig.builder().windowSize(5).build(), Set.of(), Set.of());
        l.scored(null, score("m", "", "", Double.NaN, false, 0));
        l.scored(null, score("m", "", "", 0.2, false, 0).toBuilder().setOodTailProbability(2).build());
        assertEquals(2.0, value(registry.scrape(), "refusal_monitor_drift_skipped_total"));
    }

    @Test
    void shouldCountFailedReportSends() {
        MockProducer<String, byte[]> failing = new MockProducer<>(false, null, new StringSerializer(), new ByteArraySerializer());
        listener = new DriftListener(DriftConfig.builder().windowSize(5).build(), new TagAllowlist(Set.of()),
                new TagAllowlist(Set.of()), registry, failing, "drift", clock::get);
        feed(listener, "", "", 5, 0, 0);
        assertTrue(failing.errorNext(new org.apache.kafka.common.errors.TimeoutException("broker down")));
        String text = registry.scrape();
        assertEquals(1.0, value(text, "refusal_monitor_drift_reports_total{outcome=\"failed\"}"));
        assertEquals(0.0, value(text, "refusal_monitor_drift_reports_total{outcome=\"sent\"}"));
    }

    @Test
    void shouldCloseQuietTimeWindowsWhenTimeAdvances() {
        DriftListener l = listener(DriftConfig.builder().windowSize(0).windowDurationMs(1_000).build(), Set.of(), Set.of());
        l.scored(null, score("m", "", "", 0.2, false, 10_500));
        l.advanceTime(10_999);
        assertEquals(0, producer.history().size(), "the bucket [10 000, 11 000) is still open");
        l.advanceTime(11_000);
        assertEquals(1, producer.history().size());
        assertEquals(1.0, value(registry.scrape(), series("refusal_monitor_drift_window_requests", "m", "_all", "_all")));
    }

    @Test
    void shouldCountEveryRecordOnceWhenThreadsScoreConcurrently() throws Exception {
        DriftListener l = listener(DriftConfig.builder().windowSize(100).referenceWindows(2).build(), Set.of(), Set.of());
        Thread[] threads = new Thread[4];
        for (int k = 0; k < threads.length; k++) {
            long seed = k;
            threads[k] = new Thread(() -> {
                SplittableRandom rnd = new SplittableRandom(seed);
                for (int i = 0; i < 5_000; i++) {
                    boolean f = rnd.nextDouble() < 0.1;
                    l.scored(null, score("m", "", "", f ? 0.9 : 0.1, f, i));
                }
            });
            threads[k].start();
        }
        for (Thread t : threads) t.join();
        assertEquals(200.0, value(registry.scrape(), series("refusal_monitor_drift_windows_total", "m", "_all", "_all")));
        assertEquals(200, producer.history().size());
    }

    @Test
    void shouldReadDriftSettingsFromMonitorConfig() {
        MonitorConfig defaults = MonitorConfig.defaults();
        assertTrue(defaults.driftEnabled());
        assertEquals(200, defaults.driftConfig().windowSize());
        assertEquals(DriftConfig.builder().build().referenceWindows(), defaults.driftConfig().referenceWindows());
        MonitorConfig c = MonitorConfig.of(Map.of(MonitorConfig.DRIFT_WINDOW_SIZE, "50",
                MonitorConfig.DRIFT_REFERENCE_MODE, "trailing", MonitorConfig.DRIFT_REFERENCE_WINDOWS, "4",
                MonitorConfig.DRIFT_MAX_SLICES_PER_MODEL, "3", MonitorConfig.DRIFT_MAX_MODELS, "7",
                MonitorConfig.DRIFT_ENABLED, "false"));
        assertFalse(c.driftEnabled());
        assertEquals(50, c.driftConfig().windowSize());
        assertEquals(dev.refusalmonitor.math.drift.ReferenceMode.TRAILING, c.driftConfig().referenceMode());
        assertEquals(4, c.driftConfig().referenceWindows());
        assertEquals(3, c.driftConfig().maxSlicesPerModel());
        assertEquals(7, c.driftConfig().maxModels());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> MonitorConfig.of(Map.of(MonitorConfig.DRIFT_REFERENCE_MODE, "sliding")));
        assertTrue(e.getMessage().contains("pinned or trailing"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> MonitorConfig.of(Map.of(MonitorConfig.DRIFT_WINDOW_SIZE, "0")));
        assertTrue(e.getMessage().contains("refusal.monitor.drift"), e.getMessage());
    }
}
