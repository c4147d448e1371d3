package dev.refusalmonitor.monitor.stream;

import dev.refusalmonitor.contract.TopicId;
import dev.refusalmonitor.contract.directions.DirectionSetModel;
import dev.refusalmonitor.embedded.EmbeddedKafkaCluster;
import dev.refusalmonitor.monitor.app.MonitorApp;
import dev.refusalmonitor.monitor.config.MonitorConfig;
import dev.refusalmonitor.monitor.metrics.MetricNames;
import dev.refusalmonitor.monitor.testing.KafkaTestSupport;
import dev.refusalmonitor.monitor.testing.PrometheusText;
import dev.refusalmonitor.monitor.testing.ScoringFixtures;
import dev.refusalmonitor.monitor.testing.StreamTestSupport;
import dev.refusalmonitor.schemas.DirectionSetCodec;
import dev.refusalmonitor.schemas.kafka.DirectionHistory;
import dev.refusalmonitor.schemas.v1.DirectionSet;
import dev.refusalmonitor.schemas.v1.DirectionSetEnvelope;
import dev.refusalmonitor.schemas.v1.SafetyScore;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The last good set survives compaction and restarts: a garbage record on the directions topic, once compaction has
 * removed the valid set before it, is all a restarting monitor finds for the model there; the monitor then scores
 * with the newest valid set from the history topic and says so; a forged set with a recomputed checksum is then
 * refused while v1 keeps scoring. Real compaction on a real broker: short segments, a cleaner that wakes every
 * 100 ms, no minimum compaction lag.
 */
@Timeout(180)
class LastGoodDirectionsIntegrationTest {
    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final String MODEL = "compacted-model";
    private static EmbeddedKafkaCluster kafka;

    @TempDir
    static Path stateDir;

    @BeforeAll
    static void startBroker() {
        kafka = EmbeddedKafkaCluster.builder().brokerProperty("log.cleaner.backoff.ms", "100").build();
        kafka.start();
    }

    @AfterAll
    static void stopBroker() {
        if (kafka != null) kafka.close();
    }

    @Test
    void shouldScoreWithTheNewestValidSetFromTheHistoryWhenCompactionLeftOnlyGarbage() throws Exception {
        MonitorConfig config = StreamTestSupport.config(kafka.bootstrapServers(), "lastgood", stateDir, Map.of());
        String directions = config.topic(TopicId.DIRECTIONS).name();
        String history = config.topic(TopicId.DIRECTIONS_HISTORY).name();
        Map<String, String> compactFast = Map.of("cleanup.policy", "compact", "segment.ms", "200",
                "min.compaction.lag.ms", "0", "min.cleanable.dirty.ratio", "0.001", "max.message.bytes", "4194304");
        try (Admin admin = Admin.create(Map.<String, Object>of("bootstrap.servers", kafka.bootstrapServers()))) {
            admin.createTopics(List.of(new NewTopic(directions, 1, (short) 1).configs(compactFast),
                    new NewTopic(history, 1, (short) 1).configs(compactFast))).all().get();
        }
        DirectionSetModel v1 = ScoringFixtures.directions(MODEL, 1, 21);
        byte[] sealed = ScoringFixtures.seal(v1);
        StreamTestSupport.produce(kafka.bootstrapServers(), history, List.of(Map.entry(DirectionHistory.key(MODEL, 1), sealed)));
        StreamTestSupport.produce(kafka.bootstrapServers(), directions, List.of(Map.entry(MODEL, sealed)));
        // A broken job (or an attacker) writes garbage under the model's key; later records roll the segments so the
        // cleaner can compact the one holding v1.
        byte[] garbage = "not a direction set".getBytes(StandardCharsets.UTF_8);
        Thread.sleep(300);
        StreamTestSupport.produce(kafka.bootstrapServers(), directions, List.of(Map.entry(MODEL, garbage)));
        KafkaTestSupport.waitUntil("compaction leaves only the garbage record for " + MODEL, WAIT, () -> {
            try {
                Thread.sleep(300);
                StreamTestSupport.produce(kafka.bootstrapServers(), directions, List.of(Map.entry("segment-roll", garbage)));
                List<ConsumerRecord<String, byte[]>> all = StreamTestSupport.readAll(kafka.bootstrapServers(), directions,
                        false, Duration.ofSeconds(10));
                List<byte[]> forModel = all.stream().filter(r -> MODEL.equals(r.key())).map(ConsumerRecord::value).toList();
                return forModel.size() == 1 && Arrays.equals(garbage, forModel.get(0));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        });

        try (MonitorApp app = MonitorApp.start(config, ScoreListener.NONE)) {
            KafkaTestSupport.waitUntil("the monitor scores " + MODEL + " with v1 from the history", WAIT,
                    () -> app.registry().get(MODEL) != null && app.registry().get(MODEL).version() == 1);
            assertEquals(1.0, PrometheusText.value(app.metrics().scrape(), MetricNames.PROM_DIRECTIONS_FROM_HISTORY,
                    Map.of(MetricNames.TAG_MODEL, MODEL)));
            KafkaTestSupport.waitForRunning(app.streams(), WAIT);

            // The attack of the issue on the live monitor: the signed set with every probe threshold raised to 1.0,
            // a higher version and a recomputed SHA-256, signature and key id kept. Refused; v1 keeps scoring.
            DirectionSetEnvelope signed = DirectionSetEnvelope.parseFrom(sealed);
            DirectionSet.Builder payload = DirectionSet.parseFrom(signed.getPayload()).toBuilder().setVersion(2);
            for (int i = 0; i < payload.getLayersCount(); i++)
                payload.setLayers(i, payload.getLayers(i).toBuilder()
                        .setProbe(payload.getLayers(i).getProbe().toBuilder().setDecisionThreshold(1.0)));
            byte[] forgedPayload = payload.build().toByteArray();
            byte[] forged = signed.toBuilder().setPayload(com.google.protobuf.ByteString.copyFrom(forgedPayload))
                    .setSha256(DirectionSetCodec.sha256Hex(forgedPayload)).setVersion(2).build().toByteArray();
            StreamTestSupport.produce(kafka.bootstrapServers(), directions, List.of(Map.entry(MODEL, forged)));
            KafkaTestSupport.waitUntil("the forged set is refused", WAIT, () -> PrometheusText.value(app.metrics().scrape(),
                    MetricNames.PROM_DIRECTIONS_REJECTED, Map.of(MetricNames.TAG_REASON, "bad_signature")) >= 1.0);
            assertEquals(1, app.registry().get(MODEL).version(), "the forged v2 is not in force");

            float[][] rows = ScoringFixtures.requests(1, 5)[0];
            StreamTestSupport.produce(kafka.bootstrapServers(), config.topic(TopicId.HIDDEN_STATES).name(),
                    List.of(Map.entry("req-1", ScoringFixtures.hiddenState("req-1", MODEL, rows))));
            List<ConsumerRecord<String, byte[]>> scores = KafkaTestSupport.consumeUntil(kafka.bootstrapServers(),
                    config.topic(TopicId.SAFETY_SCORES).name(), 1, WAIT, true,
                    new org.apache.kafka.common.serialization.StringDeserializer(),
                    new org.apache.kafka.common.serialization.ByteArrayDeserializer());
            assertEquals(1, SafetyScore.parseFrom(scores.get(0).value()).getDirectionsVersion());
        }
    }
}
