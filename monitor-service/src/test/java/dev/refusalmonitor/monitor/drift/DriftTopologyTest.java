package dev.refusalmonitor.monitor.drift;

import dev.refusalmonitor.contract.TopicId;
import dev.refusalmonitor.contract.directions.DirectionSetModel;
import dev.refusalmonitor.math.drift.SliceDrift;
import dev.refusalmonitor.math.drift.SliceKey;
import dev.refusalmonitor.monitor.config.MonitorConfig;
import dev.refusalmonitor.monitor.config.NoDirectionsPolicy;
import dev.refusalmonitor.monitor.kafka.Topics;
import dev.refusalmonitor.monitor.metrics.DirectionSetMetrics;
import dev.refusalmonitor.monitor.metrics.ScoringMetrics;
import dev.refusalmonitor.monitor.stream.DirectionRegistry;
import dev.refusalmonitor.monitor.stream.DirectionTrust;
import dev.refusalmonitor.monitor.stream.RecordLimits;
import dev.refusalmonitor.monitor.stream.ScoreListener;
import dev.refusalmonitor.monitor.stream.ScoringTopology;
import dev.refusalmonitor.monitor.testing.ScoringFixtures;
import dev.refusalmonitor.monitor.testing.TestKeys;
import dev.refusalmonitor.schemas.signing.TrustedKeys;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.state.KeyValueStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The drift part of the topology as the data-flow picture says ({@link ScoringTopology}): scored requests become
 * per-slice partials on the drift-partials topic (by count, by version change, by the wall-clock punctuation), the
 * slice's owner merges them into windows and writes one report per slice and window to the drift topic, keeps the
 * whole slice state in its store, and shows the slice's gauges. Broker behaviour (two instances, kill -9) is in
 * {@code FleetDriftIntegrationTest}.
 */
class DriftTopologyTest {
    private static final String MODEL = "drift-model";
    private static final SliceKey TOTAL = SliceKey.modelTotal(MODEL);

    private TopologyTestDriver driver;
    private MonitorConfig config;
    private SimpleMeterRegistry meters;
    private TestInputTopic<String, byte[]> directions;
    private TestInputTopic<String, byte[]> hiddenStates;
    private TestInputTopic<String, byte[]> partialsIn;
    private TestOutputTopic<String, byte[]> drift;
    private int requests;

    private void start(Map<String, String> settings) {
        config = MonitorConfig.of(settings);
        Topics topics = Topics.from(config);
        Clock clock = Clock.fixed(Instant.parse("2026-01-01T00:00:00Z"), ZoneOffset.UTC);
        meters = new SimpleMeterRegistry();
        DirectionSetMetrics directionMetrics = new DirectionSetMetrics();
        directionMetrics.bindTo(meters);
        ScoringMetrics scoring = new ScoringMetrics();
        scoring.bindTo(meters);
        DriftMetrics driftMetrics = new DriftMetrics();
        driftMetrics.bindTo(meters);
        ScoringTopology.Parts parts = new ScoringTopology.Parts(new DirectionRegistry(directionMetrics, clock,
                DirectionTrust.signedBy(TrustedKeys.of(List.of(TestKeys.publicKey())))), scoring, NoDirectionsPolicy.DLQ,
                ScoreListener.NONE, clock, RecordLimits.DEFAULTS, DriftParts.from(config, driftMetrics));
        Properties props = new Properties();
        props.put("application.id", "drift-topology-spec");
        props.put("bootstrap.servers", "unused:9092");
        driver = new TopologyTestDriver(ScoringTopology.build(topics, parts), props, Instant.parse("2026-01-01T00:00:00Z"));
        directions = driver.createInputTopic(config.topic(TopicId.DIRECTIONS).name(), new StringSerializer(), new ByteArraySerializer());
        hiddenStates = driver.createInputTopic(config.topic(TopicId.HIDDEN_STATES).name(), new StringSerializer(), new ByteArraySerializer());
        partialsIn = driver.createInputTopic(config.topic(TopicId.DRIFT_PARTIALS).name(), new StringSerializer(), new ByteArraySerializer());
        drift = driver.createOutputTopic(config.topic(TopicId.DRIFT).name(), new StringDeserializer(), new ByteArrayDeserializer());
    }

    @AfterEach
    void stop() {
        if (driver != null) driver.close();
    }

    private static Map<String, String> settings(int window, int referenceWindows, int partialRecords) {
        return Map.of(MonitorConfig.DRIFT_WINDOW_SIZE, Integer.toString(window),
                MonitorConfig.DRIFT_REFERENCE_WINDOWS, Integer.toString(referenceWindows),
                MonitorConfig.DRIFT_PARTIAL_RECORDS, Integer.toString(partialRecords),
                MonitorConfig.DRIFT_PARTIAL_INTERVAL_MS, "1000");
    }

    private void score(int n) {
        float[][][] rows = ScoringFixtures.requests(n, 11 + requests);
        for (int i = 0; i < n; i++) {
            String id = "req-" + requests++;
            hiddenStates.pipeInput(id, ScoringFixtures.hiddenState(id, MODEL, rows[i]));
        }
    }

    /** The model-total slice's reports (the fixture's requests also carry a tenant and route, counted as _other). */
    private List<String> reports() {
        List<String> out = new ArrayList<>();
        while (!drift.isEmpty()) {
            String r = new String(drift.readValue(), StandardCharsets.UTF_8);
            if (r.contains("\"tenant\":\"_all\"")) out.add(r);
        }
        return out;
    }

    private SliceDrift storedSlice(SliceKey key) {
        KeyValueStore<String, byte[]> store = driver.getKeyValueStore(Topics.DRIFT_SLICES_STORE);
        byte[] bytes = store.get(DriftStateCodec.key(key));
        return bytes == null ? null : SliceDrift.restore(config.driftConfig(), DriftStateCodec.slice(bytes, config.driftConfig()));
    }

    private double gauge(String name) {
        Gauge g = meters.find(name).tag("model", MODEL).tag("tenant", "_all").tag("route", "_all").gauge();
        assertNotNull(g, name + " is not shown");
        return g.value();
    }

    private static long field(String json, String name) {
        int i = json.indexOf("\"" + name + "\":");
        assertTrue(i >= 0, name + " in " + json);
        int start = i + name.length() + 3;
        int end = start;
        while (end < json.length() && (Character.isDigit(json.charAt(end)) || json.charAt(end) == '-')) end++;
        return Long.parseLong(json.substring(start, end));
    }

    @Test
    void shouldCombinePartialsIntoOneReportPerWindow() {
        start(settings(10, 2, 3));
        directions.pipeInput(MODEL, ScoringFixtures.seal(ScoringFixtures.directions(MODEL, 1, 7)));
        score(50);

        List<String> reports = reports();
        // Partials of 3 requests: windows close on the partial that reaches 10, i.e. at 12 requests.
        assertEquals(4, reports.size(), reports.toString());
        for (int i = 0; i < reports.size(); i++) {
            assertEquals(i, field(reports.get(i), "window_index"));
            assertEquals(12, field(reports.get(i), "n"));
        }
        SliceDrift slice = storedSlice(TOTAL);
        assertEquals(0, slice.openRequests(), "48 requests in 4 windows; 2 are still in the scoring task's partial");
        assertTrue(slice.referenceReady());
        assertEquals(1.0, gauge("refusal.monitor.drift.reference.ready"));
        assertEquals(12.0, gauge("refusal.monitor.drift.window.requests"));
    }

    @Test
    void shouldHandOnAQuietSlicesPartialAtThePunctuation() {
        start(settings(10, 2, 50));
        directions.pipeInput(MODEL, ScoringFixtures.seal(ScoringFixtures.directions(MODEL, 1, 7)));
        score(4);
        assertNull(storedSlice(TOTAL), "the owner has seen nothing before the partial is handed on");

        driver.advanceWallClockTime(Duration.ofMillis(1_000));
        assertEquals(4, storedSlice(TOTAL).openRequests());
        assertTrue(reports().isEmpty());
    }

    @Test
    void shouldCloseTheWindowAndStartAFreshReferenceOnANewDirectionsVersion() {
        start(settings(10, 1, 5));
        directions.pipeInput(MODEL, ScoringFixtures.seal(ScoringFixtures.directions(MODEL, 1, 7)));
        score(25); // windows of 10 close at 10 and 20; 5 requests are open
        directions.pipeInput(MODEL, ScoringFixtures.seal(ScoringFixtures.directions(MODEL, 2, 8)));
        score(1);
        driver.advanceWallClockTime(Duration.ofMillis(1_000));

        List<String> reports = reports();
        assertEquals(3, reports.size(), reports.toString());
        assertTrue(reports.get(2).contains("\"closed_by\":\"directions_version\""), reports.get(2));
        assertEquals(5, field(reports.get(2), "n"));
        assertEquals(1, field(reports.get(2), "directions_version"), "the closed window was scored with v1");
        SliceDrift slice = storedSlice(TOTAL);
        assertEquals(2, slice.directionsVersion());
        assertEquals(1, slice.openRequests());
        assertEquals(false, slice.referenceReady(), "the new version builds its own reference");
    }

    @Test
    void shouldSkipAnUnreadablePartialAndGoOn() {
        start(settings(10, 2, 5));
        partialsIn.pipeInput(DriftStateCodec.key(TOTAL), new byte[]{'P', 1, 0, 3});
        partialsIn.pipeInput(DriftStateCodec.key(TOTAL), "not a partial".getBytes(StandardCharsets.UTF_8));
        assertEquals(2.0, meters.get("refusal.monitor.drift.state.discarded").counter().count());

        directions.pipeInput(MODEL, ScoringFixtures.seal(ScoringFixtures.directions(MODEL, 1, 7)));
        score(10);
        assertEquals(1, reports().size());
    }

    @Test
    void shouldWriteNoDriftRecordsWhenDriftIsOff() {
        Map<String, String> s = new java.util.HashMap<>(settings(10, 2, 3));
        s.put(MonitorConfig.DRIFT_ENABLED, "false");
        MonitorConfig c = MonitorConfig.of(s);
        var d = ScoringTopology.build(Topics.from(c), new ScoringTopology.Parts(new DirectionRegistry(
                new DirectionSetMetrics(), Clock.systemUTC(), DirectionTrust.NOT_REQUIRED), new ScoringMetrics(),
                NoDirectionsPolicy.DLQ, ScoreListener.NONE, Clock.systemUTC())).describe();
        assertEquals(1, d.subtopologies().size(), d.toString());
        assertTrue(!d.toString().contains(c.topic(TopicId.DRIFT_PARTIALS).name()), d.toString());
    }

    @Test
    void shouldKeepTheKeyOfEachSliceDistinct() {
        assertEquals("a%2Fb/_all/_all", DriftStateCodec.key(SliceKey.modelTotal("a/b")));
        assertTrue(!DriftStateCodec.key(new SliceKey("a", "b/c", "d")).equals(DriftStateCodec.key(new SliceKey("a", "b", "c/d"))));
    }
}
