package dev.refusalmonitor.monitor.stream;

import dev.refusalmonitor.monitor.app.MonitorApp;
import dev.refusalmonitor.monitor.cli.MonitorServiceCli;
import dev.refusalmonitor.monitor.config.MonitorConfig;
import dev.refusalmonitor.contract.TopicId;
import dev.refusalmonitor.monitor.testing.BrokerTestBase;
import dev.refusalmonitor.monitor.testing.KafkaTestSupport;
import dev.refusalmonitor.monitor.testing.ScoringFixtures;
import dev.refusalmonitor.monitor.testing.StreamTestSupport;
import dev.refusalmonitor.schemas.v1.SafetyScore;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * no.directions.policy=retry-topic on a real broker: records for a model without directions are parked unchanged
 * (with the parking header), nothing is scored or dead-lettered; after directions are published, {@code replay}
 * moves them back and every one is scored exactly once.
 */
class ParkAndReplayIntegrationTest extends BrokerTestBase {
    private static final String MODEL = "model-p";

    @Test
    void shouldParkRecordsWithoutDirectionsAndScoreThemAfterReplay() {
        String prefix = "park-" + UUID.randomUUID().toString().substring(0, 8);
        MonitorConfig config = StreamTestSupport.config(kafka.bootstrapServers(), prefix, stateDir,
                Map.of(MonitorConfig.NO_DIRECTIONS_POLICY, "retry-topic"));
        String retry = config.topic(TopicId.HIDDEN_STATES_RETRY).name();
        String scoresTopic = config.topic(TopicId.SAFETY_SCORES).name();
        float[][][] rows = ScoringFixtures.requests(12, 5);
        List<Map.Entry<String, byte[]>> records = new ArrayList<>();
        Set<String> ids = new HashSet<>();
        for (float[][] r : rows) {
            String id = UUID.randomUUID().toString();
            ids.add(id);
            records.add(Map.entry(id, ScoringFixtures.hiddenState(id, MODEL, r)));
        }
        try (MonitorApp app = MonitorApp.start(config, ScoreListener.NONE)) {
            StreamTestSupport.produce(kafka.bootstrapServers(), config.topic(TopicId.HIDDEN_STATES).name(), records);
            KafkaTestSupport.waitUntil("12 parked records", WAIT,
                    () -> StreamTestSupport.readAll(kafka.bootstrapServers(), retry, true, WAIT).size() == 12);
            List<ConsumerRecord<String, byte[]>> parked = StreamTestSupport.readAll(kafka.bootstrapServers(), retry, true, WAIT);
            for (ConsumerRecord<String, byte[]> p : parked) {
                String why = new String(p.headers().lastHeader(ScoringProcessor.PARKED_REASON_HEADER).value(), StandardCharsets.UTF_8);
                assertEquals("no direction set for model '" + MODEL + "'", why);
            }
            assertEquals(0, StreamTestSupport.readAll(kafka.bootstrapServers(), scoresTopic, true, WAIT).size());
            assertEquals(0, StreamTestSupport.readAll(kafka.bootstrapServers(),
                    config.topic(TopicId.HIDDEN_STATES_DLQ).name(), true, WAIT).size(), "parked, not dead-lettered");

            StreamTestSupport.produce(kafka.bootstrapServers(), config.topic(TopicId.DIRECTIONS).name(),
                    List.of(Map.entry(MODEL, ScoringFixtures.seal(ScoringFixtures.directions(MODEL, 1, 3)))));
            KafkaTestSupport.waitUntil("directions in force", WAIT, () -> app.registry().get(MODEL) != null);

            StringWriter out = new StringWriter(), err = new StringWriter();
            int code = MonitorServiceCli.commandLine(new PrintWriter(out), new PrintWriter(err)).execute("replay",
                    "--set", "bootstrap.servers=" + kafka.bootstrapServers(),
                    "--set", MonitorConfig.topicKey(TopicId.HIDDEN_STATES, "name") + "=" + config.topic(TopicId.HIDDEN_STATES).name(),
                    "--set", MonitorConfig.topicKey(TopicId.HIDDEN_STATES_RETRY, "name") + "=" + retry,
                    "--group", prefix + "-replay");
            assertEquals(0, code, err.toString());
            assertEquals("moved 12 record(s) from " + retry + " to " + config.topic(TopicId.HIDDEN_STATES).name(),
                    out.toString().trim());

            KafkaTestSupport.waitUntil("12 scores", WAIT,
                    () -> StreamTestSupport.readAll(kafka.bootstrapServers(), scoresTopic, true, WAIT).size() >= 12);
            Set<String> scored = new HashSet<>();
            for (ConsumerRecord<String, byte[]> r : StreamTestSupport.readAll(kafka.bootstrapServers(), scoresTopic, true, WAIT)) {
                assertEquals(1, parse(r.value()).getDirectionsVersion());
                scored.add(r.key());
            }
            assertEquals(ids, scored);
            assertEquals(12, StreamTestSupport.readAll(kafka.bootstrapServers(), scoresTopic, true, WAIT).size(), "exactly once");
        }
    }

    private static SafetyScore parse(byte[] b) {
        try {
            return SafetyScore.parseFrom(b);
        } catch (com.google.protobuf.InvalidProtocolBufferException e) {
            throw new AssertionError(e);
        }
    }
}
