package dev.refusalmonitor.monitor.stream;

import dev.refusalmonitor.monitor.testing.TestKeys;

import com.google.protobuf.ByteString;
import dev.refusalmonitor.contract.directions.DirectionSetModel;
import dev.refusalmonitor.monitor.app.MonitorApp;
import dev.refusalmonitor.monitor.config.MonitorConfig;
import dev.refusalmonitor.contract.TopicId;
import dev.refusalmonitor.monitor.kafka.Topics;
import dev.refusalmonitor.monitor.metrics.DirectionsRejectReason;
import dev.refusalmonitor.monitor.metrics.MetricNames;
import dev.refusalmonitor.monitor.testing.BrokerTestBase;
import dev.refusalmonitor.monitor.testing.KafkaTestSupport;
import dev.refusalmonitor.monitor.testing.PrometheusText;
import dev.refusalmonitor.monitor.testing.ScoringFixtures;
import dev.refusalmonitor.monitor.testing.StreamTestSupport;
import dev.refusalmonitor.schemas.DirectionSetCodec;
import dev.refusalmonitor.schemas.v1.DirectionSetEnvelope;
import dev.refusalmonitor.schemas.v1.SafetyScore;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

import static dev.refusalmonitor.monitor.testing.ScoreAssertions.assertSameScores;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Direction sets over the monitor's life on a real in-JVM broker: a version switch mid-stream, invalid sets
 * rejected while the version in force stays, and a restart that restores the sets from the compacted topic.
 */
class DirectionLifecycleIntegrationTest extends BrokerTestBase {
    private static final String MODEL = "model-a";

    @Test
    void shouldSwitchVersionsCleanlyMidStreamAndKeepTheVersionInForceWhenASetIsInvalid() throws Exception {
        MonitorConfig config = config("switch");
        DirectionSetModel v1 = ScoringFixtures.directions(MODEL, 1, 11);
        DirectionSetModel v2 = ScoringFixtures.directions(MODEL, 2, 22); // refitted on other data: other numbers
        Map<Long, DirectionSetModel> byVersion = Map.of(1L, v1, 2L, v2);
        float[][][] rows = ScoringFixtures.requests(70, 105);
        for (int i = 0; i < rows.length; i++)
            assertNotEquals(ScoringFixtures.scoreOffline(v1, rows[i]).dim, ScoringFixtures.scoreOffline(v2, rows[i]).dim,
                    "fixture: versions 1 and 2 must score request " + i + " differently");

        Map<String, float[][]> rowsById = new HashMap<>();
        List<String> before = new ArrayList<>(), during = new ArrayList<>(), after = new ArrayList<>(), afterReject = new ArrayList<>();
        try (MonitorApp app = MonitorApp.start(config, ScoreListener.NONE)) {
            publish(config, MODEL, ScoringFixtures.seal(v1));
            awaitVersion(app, 1);
            KafkaTestSupport.waitForRunning(app.streams(), WAIT);

            // Scored before v2 exists: all version 1.
            produce(config, "a-", rows, 0, 20, rowsById, before);
            StreamTestSupport.awaitCommitted(kafka.bootstrapServers(), config.applicationId(), hiddenStates(config), 20, WAIT);
            // v2 published while records are in flight: either version, never a mix.
            produce(config, "b-", rows, 20, 30, rowsById, during);
            publish(config, MODEL, ScoringFixtures.seal(v2));
            produce(config, "b-", rows, 30, 40, rowsById, during);
            awaitVersion(app, 2);
            // Produced after v2 is in force: all version 2.
            produce(config, "c-", rows, 40, 60, rowsById, after);
            StreamTestSupport.awaitCommitted(kafka.bootstrapServers(), config.applicationId(), hiddenStates(config), 60, WAIT);

            // Invalid sets after v2: one with a flipped payload byte (checksum mismatch), one whose dim disagrees
            // with its vectors (re-sealed with a correct checksum, so only validation can catch it).
            DirectionSetModel v3 = v2.withVersion(3, v2.createdAtUnixMs() + 1);
            DirectionSetEnvelope good3 = DirectionSetCodec.envelope(v3, TestKeys.signer());
            byte[] payload = good3.getPayload().toByteArray();
            payload[payload.length / 2] ^= 0x01;
            byte[] flipped = good3.toBuilder().setPayload(ByteString.copyFrom(payload)).build().toByteArray();
            // Signed by the trusted key, so it passes the trust check and only validation can refuse it.
            byte[] wrongDimPayload = DirectionSetCodec.toProto(v3).toBuilder().setDim(ScoringFixtures.D + 1).build().toByteArray();
            byte[] wrongDim = good3.toBuilder().setPayload(ByteString.copyFrom(wrongDimPayload))
                    .setSha256(DirectionSetCodec.sha256Hex(wrongDimPayload))
                    .setSignature(ByteString.copyFrom(TestKeys.signer().sign(wrongDimPayload))).build().toByteArray();
            String scrape0 = app.metrics().scrape();
            double checksum0 = rejected(scrape0, DirectionsRejectReason.CHECKSUM_MISMATCH);
            double invalid0 = rejected(scrape0, DirectionsRejectReason.INVALID);
            publish(config, MODEL, flipped);
            publish(config, MODEL, wrongDim);
            KafkaTestSupport.waitUntil("both invalid sets rejected", WAIT, () -> {
                String s = app.metrics().scrape();
                return rejected(s, DirectionsRejectReason.CHECKSUM_MISMATCH) == checksum0 + 1
                        && rejected(s, DirectionsRejectReason.INVALID) == invalid0 + 1;
            });
            assertEquals(2, app.registry().get(MODEL).version(), "version 2 stays in force");
            assertEquals(2.0, PrometheusText.value(app.metrics().scrape(), MetricNames.PROM_DIRECTIONS_VERSION,
                    Map.of(MetricNames.TAG_MODEL, MODEL)));
            ReadOnlyKeyValueStore<String, byte[]> store = app.streams().store(StoreQueryParameters.fromNameAndType(
                    Topics.DIRECTIONS_STORE, QueryableStoreTypes.keyValueStore()));
            assertEquals(2, ScoringFixtures.open(store.get(MODEL)).version(), "the global store keeps version 2");
            produce(config, "d-", rows, 60, 70, rowsById, afterReject);
            StreamTestSupport.awaitCommitted(kafka.bootstrapServers(), config.applicationId(), hiddenStates(config), 70, WAIT);
        }

        List<ConsumerRecord<String, byte[]>> out = StreamTestSupport.readAll(kafka.bootstrapServers(), scores(config), true, WAIT);
        assertEquals(rowsById.size(), out.size(), "one score per record");
        Map<String, SafetyScore> byId = new HashMap<>();
        Map<Integer, Long> lastVersionByPartition = new HashMap<>();
        out.sort((a, b) -> a.partition() != b.partition() ? Integer.compare(a.partition(), b.partition())
                : Long.compare(a.offset(), b.offset()));
        for (ConsumerRecord<String, byte[]> r : out) {
            SafetyScore s = SafetyScore.parseFrom(r.value());
            if (byId.put(r.key(), s) != null) fail("duplicate score for " + r.key());
            long v = s.getDirectionsVersion();
            assertTrue(v == 1 || v == 2, r.key() + " scored with version " + v);
            // Each score equals the offline result of the version it names: no record mixes versions.
            assertSameScores(ScoringFixtures.scoreOffline(byVersion.get(v), rowsById.get(r.key())), s, r.key());
            // Within a partition, once version 2 is used, version 1 never comes back.
            Long last = lastVersionByPartition.put(r.partition(), v);
            assertTrue(last == null || last <= v, r.key() + ": version went back from " + last + " to " + v);
        }
        assertEquals(rowsById.keySet(), byId.keySet());
        for (String id : before) assertEquals(1, byId.get(id).getDirectionsVersion(), id + " was scored before v2 existed");
        for (String id : after) assertEquals(2, byId.get(id).getDirectionsVersion(), id + " was produced after v2 was in force");
        for (String id : afterReject) assertEquals(2, byId.get(id).getDirectionsVersion(), id + " was produced after the rejections");
    }

    @Test
    void shouldResumeAfterRestartWithoutDuplicatesAndRestoreDirectionsFromTheTopic() throws Exception {
        MonitorConfig config = config("restart");
        DirectionSetModel set = ScoringFixtures.directions(MODEL, 1, 11);
        float[][][] rows = ScoringFixtures.requests(50, 106);
        int n = 30;
        Map<String, float[][]> rowsById = new HashMap<>();
        List<String> ids = new ArrayList<>();
        try (MonitorApp first = MonitorApp.start(config, ScoreListener.NONE)) {
            publish(config, MODEL, ScoringFixtures.seal(set));
            awaitVersion(first, 1);
            KafkaTestSupport.waitForRunning(first.streams(), WAIT);
            produce(config, "r-", rows, 0, n, rowsById, ids);
            StreamTestSupport.awaitCommitted(kafka.bootstrapServers(), config.applicationId(), hiddenStates(config), n, WAIT);
        }
        // While the monitor is down.
        produce(config, "r-", rows, n, rows.length, rowsById, ids);

        try (MonitorApp second = MonitorApp.start(config, ScoreListener.NONE)) {
            // Nothing is re-published: the set must come back from the compacted directions topic.
            awaitVersion(second, 1);
            KafkaTestSupport.waitForRunning(second.streams(), WAIT);
            StreamTestSupport.awaitCommitted(kafka.bootstrapServers(), config.applicationId(), hiddenStates(config),
                    rows.length, WAIT);
            assertEquals(1.0, PrometheusText.value(second.metrics().scrape(), MetricNames.PROM_DIRECTIONS_VERSION,
                    Map.of(MetricNames.TAG_MODEL, MODEL)));
        }

        List<ConsumerRecord<String, byte[]>> out = StreamTestSupport.readAll(kafka.bootstrapServers(), scores(config), true, WAIT);
        assertEquals(rows.length, out.size(), "exactly N + M scores across the restart");
        Set<String> seen = new HashSet<>();
        for (ConsumerRecord<String, byte[]> r : out) {
            assertTrue(seen.add(r.key()), "duplicate score for " + r.key());
            SafetyScore s = SafetyScore.parseFrom(r.value());
            assertSameScores(ScoringFixtures.scoreOffline(set, rowsById.get(r.key())), s, r.key());
        }
        assertEquals(Set.copyOf(ids), seen);
        assertTrue(StreamTestSupport.readAll(kafka.bootstrapServers(), dlq(config), true, WAIT).isEmpty(),
                "no record dead-lettered (e.g. for want of directions after the restart)");
    }

    // ---- helpers

    private static double rejected(String scrape, DirectionsRejectReason reason) {
        return PrometheusText.value(scrape, MetricNames.PROM_DIRECTIONS_REJECTED, Map.of(MetricNames.TAG_REASON, reason.tag()));
    }

    private static MonitorConfig config(String name) {
        String prefix = name + "-" + UUID.randomUUID().toString().substring(0, 8);
        return StreamTestSupport.config(kafka.bootstrapServers(), prefix, stateDir, Map.of());
    }

    private static void publish(MonitorConfig config, String key, byte[] value) {
        StreamTestSupport.produce(kafka.bootstrapServers(), config.topic(TopicId.DIRECTIONS).name(), List.of(Map.entry(key, value)));
    }

    private static void awaitVersion(MonitorApp app, long version) {
        KafkaTestSupport.waitUntil("directions version " + version + " for " + MODEL + " in force", WAIT, () -> {
            LoadedDirections d = app.registry().get(MODEL);
            return d != null && d.version() == version;
        });
    }

    /** Produces requests {@code from..to-1} as {@code prefix + index}, recording their rows and ids. */
    private static void produce(MonitorConfig config, String prefix, float[][][] rows, int from, int to,
                                Map<String, float[][]> rowsById, List<String> ids) {
        List<Map.Entry<String, byte[]>> records = new ArrayList<>();
        for (int i = from; i < to; i++) {
            String id = prefix + i;
            rowsById.put(id, rows[i]);
            ids.add(id);
            records.add(Map.entry(id, ScoringFixtures.hiddenState(id, MODEL, rows[i])));
        }
        StreamTestSupport.produce(kafka.bootstrapServers(), hiddenStates(config), records);
    }

    private static String hiddenStates(MonitorConfig c) {
        return c.topic(TopicId.HIDDEN_STATES).name();
    }

    private static String scores(MonitorConfig c) {
        return c.topic(TopicId.SAFETY_SCORES).name();
    }

    private static String dlq(MonitorConfig c) {
        return c.topic(TopicId.HIDDEN_STATES_DLQ).name();
    }
}
