package dev.refusalmonitor.monitor.stream;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.refusalmonitor.contract.TopicId;
import dev.refusalmonitor.contract.directions.DirectionSetModel;
import dev.refusalmonitor.math.score.Scores;
import dev.refusalmonitor.monitor.app.MonitorApp;
import dev.refusalmonitor.monitor.config.MonitorConfig;
import dev.refusalmonitor.monitor.metrics.MetricNames;
import dev.refusalmonitor.monitor.testing.BrokerTestBase;
import dev.refusalmonitor.monitor.testing.KafkaTestSupport;
import dev.refusalmonitor.monitor.testing.PrometheusText;
import dev.refusalmonitor.monitor.testing.ScoringFixtures;
import dev.refusalmonitor.monitor.testing.StreamTestSupport;
import dev.refusalmonitor.schemas.DeadLetters;
import dev.refusalmonitor.schemas.HiddenStateBuilder;
import dev.refusalmonitor.schemas.HostileRecords;
import dev.refusalmonitor.schemas.v1.DeadLetter;
import dev.refusalmonitor.schemas.v1.DeadLetterReason;
import dev.refusalmonitor.schemas.v1.SafetyScore;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static dev.refusalmonitor.monitor.testing.ScoreAssertions.assertSameScores;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 15 on a real broker with Kafka's default {@code message.max.bytes}: the inputs that used to stop or degrade
 * the monitor are each dead-lettered with their own reason while the good records around them are scored, the
 * stream keeps RUNNING, and the metrics stay bounded.
 */
class HostileInputIntegrationTest extends BrokerTestBase {
    private static final String MODEL = "model-a";

    @Test
    void shouldDeadLetterThePoisonPillAndKeepScoring() throws Exception {
        MonitorConfig config = config("pill", Map.of());
        DirectionSetModel set = ScoringFixtures.directions(MODEL, 1, 11);
        float[][][] rows = ScoringFixtures.requests(10, 301);
        // The exact record of the issue: a malformed value of 1,048,450 bytes. It fits a default broker; its dead
        // letter used to be 1,048,715 bytes, over the producer's 1 MiB, and the monitor died on it at every restart.
        byte[] pill = HostileRecords.malformed(1_048_450);
        try (MonitorApp app = MonitorApp.start(config, ScoreListener.NONE)) {
            publish(config, set);
            awaitVersion(app, 1);
            KafkaTestSupport.waitForRunning(app.streams(), WAIT);
            List<Map.Entry<String, byte[]>> records = new ArrayList<>();
            for (int i = 0; i < 5; i++) records.add(Map.entry("good-" + i, ScoringFixtures.hiddenState("good-" + i, MODEL, rows[i])));
            records.add(Map.entry("poison-1", pill));
            for (int i = 5; i < 10; i++) records.add(Map.entry("good-" + i, ScoringFixtures.hiddenState("good-" + i, MODEL, rows[i])));
            List<RecordMetadata> where = StreamTestSupport.produce(kafka.bootstrapServers(), topic(config, TopicId.HIDDEN_STATES), records);

            StreamTestSupport.awaitCommitted(kafka.bootstrapServers(), config.applicationId(), topic(config, TopicId.HIDDEN_STATES), 11, WAIT);
            List<ConsumerRecord<String, byte[]>> dlq = StreamTestSupport.readAll(kafka.bootstrapServers(), topic(config, TopicId.HIDDEN_STATES_DLQ), true, WAIT);
            assertEquals(1, dlq.size());
            DeadLetter d = DeadLetter.parseFrom(dlq.get(0).value());
            assertEquals(DeadLetterReason.DEAD_LETTER_REASON_MALFORMED, d.getReason());
            assertTrue(d.getOriginalValueTruncated(), "the dead letter says its original was cut");
            assertEquals(1_048_450, d.getOriginalValueSize());
            assertEquals(DeadLetters.DEFAULT_MAX_ORIGINAL_BYTES, d.getOriginalValue().size());
            assertEquals(DeadLetters.sha256Hex(pill), d.getOriginalValueSha256());
            assertEquals(where.get(5).offset(), d.getSourceOffset());
            assertEquals(where.get(5).partition(), d.getSourcePartition());
            assertEquals("poison-1", dlq.get(0).key());
            assertTrue(dlq.get(0).serializedValueSize() < 1_000_000, "dead letter of " + dlq.get(0).serializedValueSize() + " bytes");

            List<ConsumerRecord<String, byte[]>> out = StreamTestSupport.readAll(kafka.bootstrapServers(), topic(config, TopicId.SAFETY_SCORES), true, WAIT);
            assertEquals(10, out.size(), "every good record scored once");
            assertEquals(KafkaStreams.State.RUNNING, app.streams().state());
            assertEquals(2, app.streams().metadataForLocalThreads().size(), "no stream thread lost");
        }
    }

    @Test
    void shouldDeadLetterARecordTooLargeToParkInsteadOfParkingIt() throws Exception {
        // With no.directions.policy=retry-topic, a valid record just under the broker's limit used to be forwarded to
        // the retry topic with one more header: over the limit again.
        MonitorConfig config = config("park", Map.of(MonitorConfig.NO_DIRECTIONS_POLICY, "retry-topic"));
        float[] big = new float[65_000];
        java.util.Arrays.fill(big, 0.25f);
        HiddenStateBuilder hb = HiddenStateBuilder.create("huge-1", "unknown-model");
        for (int l = 0; l < 4; l++) hb.layer(l, big);
        byte[] huge = hb.toByteArray();
        assertTrue(huge.length > 1_040_000 && huge.length < 1_048_450, "fixture size " + huge.length);
        byte[] small = HiddenStateBuilder.create("small-1", "unknown-model").layer(3, new float[] {1f, 2f}).toByteArray();
        try (MonitorApp app = MonitorApp.start(config, ScoreListener.NONE)) {
            KafkaTestSupport.waitForRunning(app.streams(), WAIT);
            StreamTestSupport.produce(kafka.bootstrapServers(), topic(config, TopicId.HIDDEN_STATES),
                    List.of(Map.entry("huge-1", huge), Map.entry("small-1", small)));
            StreamTestSupport.awaitCommitted(kafka.bootstrapServers(), config.applicationId(), topic(config, TopicId.HIDDEN_STATES), 2, WAIT);
            List<ConsumerRecord<String, byte[]>> dlq = StreamTestSupport.readAll(kafka.bootstrapServers(), topic(config, TopicId.HIDDEN_STATES_DLQ), true, WAIT);
            assertEquals(1, dlq.size());
            DeadLetter d = DeadLetter.parseFrom(dlq.get(0).value());
            assertEquals(DeadLetterReason.DEAD_LETTER_REASON_NO_DIRECTIONS, d.getReason());
            assertTrue(d.getOriginalValueTruncated());
            List<ConsumerRecord<String, byte[]>> parked = StreamTestSupport.readAll(kafka.bootstrapServers(), topic(config, TopicId.HIDDEN_STATES_RETRY), true, WAIT);
            assertEquals(List.of("small-1"), parked.stream().map(ConsumerRecord::key).toList());
            assertEquals(KafkaStreams.State.RUNNING, app.streams().state());
        }
    }

    @Test
    void shouldKeepTheSeriesCountFlatUnderTenThousandModelIds() {
        MonitorConfig config = config("ids", Map.of());
        DirectionSetModel set = ScoringFixtures.directions(MODEL, 1, 11);
        float[][][] rows = ScoringFixtures.requests(20, 302);
        try (MonitorApp app = MonitorApp.start(config, ScoreListener.NONE)) {
            publish(config, set);
            awaitVersion(app, 1);
            KafkaTestSupport.waitForRunning(app.streams(), WAIT);
            // Warm-up: the model in force, and a few unknown ids (dead-lettered no_directions).
            List<Map.Entry<String, byte[]>> warm = new ArrayList<>();
            for (int i = 0; i < 20; i++) warm.add(Map.entry("w-" + i, ScoringFixtures.hiddenState("w-" + i, MODEL, rows[i])));
            for (int i = 0; i < 5; i++) warm.add(Map.entry("wx-" + i, ScoringFixtures.hiddenState("wx-" + i, "warm-" + i, rows[i])));
            StreamTestSupport.produce(kafka.bootstrapServers(), topic(config, TopicId.HIDDEN_STATES), warm);
            StreamTestSupport.awaitCommitted(kafka.bootstrapServers(), config.applicationId(), topic(config, TopicId.HIDDEN_STATES), 25, WAIT);
            String before = scrape(app);
            int seriesBefore = seriesCount(before);

            List<Map.Entry<String, byte[]>> flood = new ArrayList<>();
            for (int i = 0; i < 10_000; i++) {
                // Every 10th id carries a NUL byte and a quote; every 7th record is malformed besides.
                String id = i % 10 == 0 ? "evil\u0000\"id-" + i : "model-" + i;
                byte[] v = i % 7 == 0 ? HostileRecords.malformed(40)
                        : ScoringFixtures.hiddenState("r-" + i, id, rows[i % rows.length]);
                flood.add(Map.entry("r-" + i, v));
            }
            StreamTestSupport.produce(kafka.bootstrapServers(), topic(config, TopicId.HIDDEN_STATES), flood);
            StreamTestSupport.awaitCommitted(kafka.bootstrapServers(), config.applicationId(), topic(config, TopicId.HIDDEN_STATES), 10_025, WAIT);
            String after = scrape(app);
            assertEquals(seriesBefore, seriesCount(after), "10,000 distinct model ids created no series");
            assertFalse(after.contains("model-17") || after.contains("evil"), "no id from a rejected record is a label");
            assertFalse(after.indexOf('\u0000') >= 0, "no NUL byte in /metrics");
            double noDirections = PrometheusText.value(after, MetricNames.PROM_DLQ, Map.of(MetricNames.TAG_REASON, "no_directions"));
            double malformed = PrometheusText.value(after, MetricNames.PROM_DLQ, Map.of(MetricNames.TAG_REASON, "malformed"));
            assertEquals(10_005.0, noDirections + malformed, "each dead letter counted once");
            assertEquals(20.0, PrometheusText.value(after, MetricNames.PROM_RECORDS,
                    Map.of(MetricNames.TAG_MODEL, MODEL, MetricNames.TAG_OUTCOME, MetricNames.OUTCOME_SCORED)));
        }
    }

    @Test
    void shouldRejectTheQuadraticDecodeRecordBeforeParsingAndScoreTheRecordsBehindIt() throws Exception {
        MonitorConfig config = config("quad", Map.of());
        DirectionSetModel set = ScoringFixtures.directions(MODEL, 1, 11);
        float[][][] rows = ScoringFixtures.requests(6, 303);
        // 266,000 one-element layers, 4.25 MB: 11.75 s of decode with the quadratic duplicate check.
        byte[] quad = HostileRecords.manyTinyLayers("quad-1", MODEL, 266_000);
        try (MonitorApp app = MonitorApp.start(config, ScoreListener.NONE)) {
            allowLargeRecords(config);
            publish(config, set);
            awaitVersion(app, 1);
            KafkaTestSupport.waitForRunning(app.streams(), WAIT);
            List<Map.Entry<String, byte[]>> records = new ArrayList<>();
            records.add(Map.entry("g-0", ScoringFixtures.hiddenState("g-0", MODEL, rows[0])));
            records.add(Map.entry("quad-1", quad));
            for (int i = 1; i < 6; i++) records.add(Map.entry("g-" + i, ScoringFixtures.hiddenState("g-" + i, MODEL, rows[i])));
            produceLarge(topic(config, TopicId.HIDDEN_STATES), records);
            StreamTestSupport.awaitCommitted(kafka.bootstrapServers(), config.applicationId(), topic(config, TopicId.HIDDEN_STATES), 7, WAIT);
            List<ConsumerRecord<String, byte[]>> dlq = StreamTestSupport.readAll(kafka.bootstrapServers(), topic(config, TopicId.HIDDEN_STATES_DLQ), true, WAIT);
            assertEquals(1, dlq.size());
            DeadLetter d = DeadLetter.parseFrom(dlq.get(0).value());
            assertEquals(DeadLetterReason.DEAD_LETTER_REASON_RECORD_TOO_LARGE, d.getReason(), d.getDetail());
            assertEquals(quad.length, d.getOriginalValueSize());
            assertEquals(6, StreamTestSupport.readAll(kafka.bootstrapServers(), topic(config, TopicId.SAFETY_SCORES), true, WAIT).size());
        }
        // With the record limit lifted past it, the layer limit stops it (counted without parsing); with both lifted,
        // the linear decode takes it and the scorer dead-letters it (its layers are of d = 1).
        for (Map.Entry<Map<String, String>, DeadLetterReason> c : List.of(
                Map.entry(Map.of(MonitorConfig.LIMITS_RECORD_BYTES, "8388608"), DeadLetterReason.DEAD_LETTER_REASON_TOO_MANY_LAYERS),
                Map.entry(Map.of(MonitorConfig.LIMITS_RECORD_BYTES, "8388608", MonitorConfig.LIMITS_LAYERS, "1000000"),
                        DeadLetterReason.DEAD_LETTER_REASON_DIMENSION_MISMATCH))) {
            MonitorConfig lifted = config("quad", c.getKey());
            try (MonitorApp app = MonitorApp.start(lifted, ScoreListener.NONE)) {
                allowLargeRecords(lifted);
                publish(lifted, set);
                awaitVersion(app, 1);
                KafkaTestSupport.waitForRunning(app.streams(), WAIT);
                List<Map.Entry<String, byte[]>> records = new ArrayList<>();
                records.add(Map.entry("quad-1", quad));
                for (int i = 0; i < 6; i++) records.add(Map.entry("g-" + i, ScoringFixtures.hiddenState("g-" + i, MODEL, rows[i])));
                produceLarge(topic(lifted, TopicId.HIDDEN_STATES), records);
                StreamTestSupport.awaitCommitted(kafka.bootstrapServers(), lifted.applicationId(), topic(lifted, TopicId.HIDDEN_STATES), 7, WAIT);
                List<ConsumerRecord<String, byte[]>> dlq = StreamTestSupport.readAll(kafka.bootstrapServers(), topic(lifted, TopicId.HIDDEN_STATES_DLQ), true, WAIT);
                assertEquals(1, dlq.size());
                assertEquals(c.getValue(), DeadLetter.parseFrom(dlq.get(0).value()).getReason());
                assertEquals(6, StreamTestSupport.readAll(kafka.bootstrapServers(), topic(lifted, TopicId.SAFETY_SCORES), true, WAIT).size());
            }
        }
    }

    @Test
    void shouldSendExtremeValuesToOutOfRangeAndScoreTheLargestAcceptedExactly() throws Exception {
        MonitorConfig config = config("extreme", Map.of());
        DirectionSetModel set = ScoringFixtures.directions(MODEL, 1, 11);
        float[][][] rows = ScoringFixtures.requests(8, 304);
        float[] extremes = {1e17f, 1e20f, 1e30f, 3e38f, -3e38f, Float.MAX_VALUE};
        try (MonitorApp app = MonitorApp.start(config, ScoreListener.NONE)) {
            publish(config, set);
            awaitVersion(app, 1);
            KafkaTestSupport.waitForRunning(app.streams(), WAIT);
            List<Map.Entry<String, byte[]>> records = new ArrayList<>();
            for (int i = 0; i < extremes.length; i++) {
                float[][] r = copy(rows[i]);
                r[0][i] = extremes[i];
                records.add(Map.entry("x-" + i, ScoringFixtures.hiddenState("x-" + i, MODEL, r)));
            }
            // The largest accepted scale: every value scaled so that max |x| = 1e6 (the default limit).
            Map<String, float[][]> scaled = new HashMap<>();
            for (int i = 0; i < 2; i++) {
                float[][] r = scaleTo(rows[6 + i], 1e6f);
                scaled.put("s-" + i, r);
                records.add(Map.entry("s-" + i, ScoringFixtures.hiddenState("s-" + i, MODEL, r)));
            }
            StreamTestSupport.produce(kafka.bootstrapServers(), topic(config, TopicId.HIDDEN_STATES), records);
            StreamTestSupport.awaitCommitted(kafka.bootstrapServers(), config.applicationId(), topic(config, TopicId.HIDDEN_STATES), records.size(), WAIT);

            List<ConsumerRecord<String, byte[]>> dlq = StreamTestSupport.readAll(kafka.bootstrapServers(), topic(config, TopicId.HIDDEN_STATES_DLQ), true, WAIT);
            assertEquals(extremes.length, dlq.size());
            for (ConsumerRecord<String, byte[]> r : dlq) {
                assertEquals(DeadLetterReason.DEAD_LETTER_REASON_OUT_OF_RANGE, DeadLetter.parseFrom(r.value()).getReason(), r.key());
            }
            List<ConsumerRecord<String, byte[]>> out = StreamTestSupport.readAll(kafka.bootstrapServers(), topic(config, TopicId.SAFETY_SCORES), true, WAIT);
            assertEquals(2, out.size());
            for (ConsumerRecord<String, byte[]> r : out) {
                SafetyScore s = parse(r.value());
                Scores offline = ScoringFixtures.scoreOffline(set, scaled.get(r.key()));
                assertSameScores(offline, s, r.key());
                assertTrue(Double.isFinite(s.getMahalanobisRefusal()) && s.getMahalanobisRefusal() != 0.0,
                        "mahalanobis_refusal " + s.getMahalanobisRefusal());
            }
            String metrics = scrape(app);
            assertEquals(extremes.length, PrometheusText.value(metrics, MetricNames.PROM_DLQ, Map.of(MetricNames.TAG_REASON, "out_of_range")));
            assertEquals(0.0, PrometheusText.value(metrics, MetricNames.PROM_DLQ, Map.of(MetricNames.TAG_REASON, "scoring_failed")),
                    "extreme input never pages as a scoring failure");
        }
    }

    @Test
    void shouldKeepItsProcessIdAndStartAfterTheDirectionsTopicWasRecreated() throws Exception {
        // The directions store is persistent so that Streams keeps its process id (fast recovery); its local copy must
        // not outlive a start, or a recreated directions topic (offsets out of range) would stop the global thread.
        MonitorConfig config = config("restart", Map.of());
        Path processFile = Path.of(config.streamsProperties().getProperty("state.dir"), config.applicationId(),
                "kafka-streams-process-metadata");
        String processId;
        try (MonitorApp app = MonitorApp.start(config, ScoreListener.NONE)) {
            publish(config, ScoringFixtures.directions(MODEL, 1, 11));
            publish(config, ScoringFixtures.directions(MODEL, 2, 11));
            awaitVersion(app, 2);
            KafkaTestSupport.waitForRunning(app.streams(), WAIT);
            assertTrue(Files.exists(processFile), "process id kept in state.dir");
            processId = Files.readString(processFile);
        }
        Properties p = new Properties();
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        try (Admin admin = Admin.create(p)) {
            admin.deleteTopics(List.of(topic(config, TopicId.DIRECTIONS))).all().get(30, TimeUnit.SECONDS);
            KafkaTestSupport.waitUntil("directions topic deleted", WAIT, () -> {
                try {
                    return !admin.listTopics().names().get(10, TimeUnit.SECONDS).contains(topic(config, TopicId.DIRECTIONS));
                } catch (Exception e) {
                    return false;
                }
            });
        }
        try (MonitorApp app = MonitorApp.start(config, ScoreListener.NONE)) {
            publish(config, ScoringFixtures.directions(MODEL, 1, 11));
            awaitVersion(app, 1);
            KafkaTestSupport.waitForRunning(app.streams(), WAIT);
            assertEquals(processId, Files.readString(processFile), "the same process id after a restart");
            float[][][] rows = ScoringFixtures.requests(3, 305);
            List<Map.Entry<String, byte[]>> records = new ArrayList<>();
            for (int i = 0; i < 3; i++) records.add(Map.entry("r-" + i, ScoringFixtures.hiddenState("r-" + i, MODEL, rows[i])));
            StreamTestSupport.produce(kafka.bootstrapServers(), topic(config, TopicId.HIDDEN_STATES), records);
            StreamTestSupport.awaitCommitted(kafka.bootstrapServers(), config.applicationId(), topic(config, TopicId.HIDDEN_STATES), 3, WAIT);
            assertEquals(3, StreamTestSupport.readAll(kafka.bootstrapServers(), topic(config, TopicId.SAFETY_SCORES), true, WAIT).size());
            assertEquals(KafkaStreams.State.RUNNING, app.streams().state());
        }
    }

    private static float[][] copy(float[][] r) {
        float[][] c = new float[r.length][];
        for (int i = 0; i < r.length; i++) c[i] = r[i].clone();
        return c;
    }

    private static float[][] scaleTo(float[][] r, float max) {
        float m = 0;
        for (float[] l : r) for (float v : l) m = Math.max(m, Math.abs(v));
        float[][] c = new float[r.length][];
        for (int i = 0; i < r.length; i++) {
            c[i] = new float[r[i].length];
            for (int j = 0; j < c[i].length; j++) c[i][j] = Math.max(-max, Math.min(max, r[i][j] * (max / m)));
        }
        return c;
    }

    private static SafetyScore parse(byte[] b) {
        try {
            return SafetyScore.parseFrom(b);
        } catch (InvalidProtocolBufferException e) {
            throw new AssertionError(e);
        }
    }

    private static String scrape(MonitorApp app) {
        return StreamTestSupport.get(app.http().baseUri().resolve("/metrics")).body();
    }

    private static int seriesCount(String scrape) {
        return (int) scrape.lines().filter(l -> l.startsWith("refusal_monitor_")).count();
    }

    /** The hidden-states topic takes records up to 8 MiB (the broker's default stays 1 MiB for every other topic). */
    private static void allowLargeRecords(MonitorConfig config) throws Exception {
        Properties p = new Properties();
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        try (Admin admin = Admin.create(p)) {
            ConfigResource r = new ConfigResource(ConfigResource.Type.TOPIC, topic(config, TopicId.HIDDEN_STATES));
            admin.incrementalAlterConfigs(Map.of(r, List.of(new AlterConfigOp(
                    new ConfigEntry(TopicConfig.MAX_MESSAGE_BYTES_CONFIG, "8388608"), AlterConfigOp.OpType.SET))))
                    .all().get(30, TimeUnit.SECONDS);
        }
    }

    private static void produceLarge(String topic, List<Map.Entry<String, byte[]>> records) throws Exception {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, "8388608");
        p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, "20000");
        p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, "60000");
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer())) {
            for (Map.Entry<String, byte[]> r : records) producer.send(new ProducerRecord<>(topic, r.getKey(), r.getValue())).get(30, TimeUnit.SECONDS);
        }
    }

    private static MonitorConfig config(String name, Map<String, String> extra) {
        String prefix = name + "-" + UUID.randomUUID().toString().substring(0, 8);
        return StreamTestSupport.config(kafka.bootstrapServers(), prefix, stateDir, extra);
    }

    private static String topic(MonitorConfig c, TopicId id) {
        return c.topic(id).name();
    }

    private static void publish(MonitorConfig config, DirectionSetModel set) {
        StreamTestSupport.produce(kafka.bootstrapServers(), topic(config, TopicId.DIRECTIONS),
                List.of(Map.entry(set.modelId(), ScoringFixtures.seal(set))));
    }

    private static void awaitVersion(MonitorApp app, long version) {
        KafkaTestSupport.waitUntil("directions version " + version + " for " + MODEL + " in force", WAIT, () -> {
            LoadedDirections d = app.registry().get(MODEL);
            return d != null && d.version() == version;
        });
    }
}
