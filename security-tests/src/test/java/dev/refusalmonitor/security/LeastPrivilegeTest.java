package dev.refusalmonitor.security;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static dev.refusalmonitor.security.SecureKafka.GATEWAY;
import static dev.refusalmonitor.security.SecureKafka.MONITOR;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What the written-down ACLs forbid, on the authorizer-enabled broker: the gateway may not write direction sets (a
 * stolen gateway credential cannot change what the monitors flag), and a monitor without the right to create topics
 * refuses to start when one of its topics is missing, naming it and every topic it expected.
 */
@ExtendWith(SecureKafka.Extension.class)
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class LeastPrivilegeTest {

    @Test
    void theGatewayMayNotWriteDirectionSets(SecureKafka kafka, @TempDir Path tmp) throws Exception {
        Properties p = kafka.clientProperties(GATEWAY);
        p.put("max.block.ms", "20000");
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer())) {
            for (String topic : List.of("directions", "directions.history")) {
                ExecutionException e = assertThrows(ExecutionException.class,
                        () -> producer.send(new ProducerRecord<>(topic, "some-model", new byte[]{1})).get(30, TimeUnit.SECONDS));
                assertInstanceOf(TopicAuthorizationException.class, e.getCause(), topic);
            }
        }
        // The trainer's own publish command, run with the gateway's login, stops with one line and exit code 1.
        Path set = WrittenDownKafka.repositoryRoot().resolve("schemas/golden/direction_set_d4.bin");
        try (Outputs outputs = Outputs.capture()) {
            Run.Result r = Run.trainer(kafka.kafkaEnvironment(GATEWAY), "publish", "--directions", set.toString(),
                    "--bootstrap-servers", kafka.bootstrapServers());
            assertEquals(1, r.exitCode(), r::toString);
            assertEquals(1, r.messageLines().size(), r::toString);
            assertTrue(r.err().contains("topic(s) [directions, directions.history] are missing")
                    && r.err().contains("may not create them"), r::toString);
            outputs.add(r.program(), r.out() + r.err()).assertFree("a password", kafka.secrets());
        }
    }

    /**
     * Every ACL of the monitor is needed: without Read on its consumer group (here a copy of the monitor's principal
     * lacking just that) Kafka Streams stops, and {@code run} ends with one line and exit code 1 instead of waiting.
     */
    @Test
    void aMonitorMissingItsGroupAclStopsWithOneLine(SecureKafka kafka, @TempDir Path tmp) throws Exception {
        String user = "refusal-monitor-without-group";
        kafka.addUser(user, kafka.writtenDownAcls().get(MONITOR).stream()
                .filter(b -> b.pattern().resourceType() != org.apache.kafka.common.resource.ResourceType.GROUP).toList());
        Properties file = new Properties();
        kafka.kafkaEnvironment(user).forEach((k, v) -> file.put(FailFastTest.kafkaName(k), v));
        file.put("refusal.monitor.http.port", "0");
        file.put("refusal.monitor.num.stream.threads", "1");
        file.put("refusal.monitor.drift.enabled", "false");
        Path config = tmp.resolve("monitor.properties");
        try (var w = Files.newBufferedWriter(config)) {
            file.store(w, null);
        }
        try (Outputs outputs = Outputs.capture()) {
            java.util.concurrent.CompletableFuture<Run.Result> run = java.util.concurrent.CompletableFuture.supplyAsync(
                    () -> Run.monitor("run", "--config", config.toString()));
            Run.Result r = run.get(90, TimeUnit.SECONDS);
            System.out.println(r);
            assertEquals(1, r.exitCode(), r::toString);
            assertEquals(1, r.messageLines().size(), r::toString);
            assertTrue(r.err().contains("run: Kafka Streams stopped: Not authorized to access group: refusal-monitor"), r::toString);
            outputs.add(r.program(), r.out() + r.err()).assertFree("a password", kafka.secrets());
        }
    }

    @Test
    void aMonitorWithoutCreateRightsNamesTheTopicsItExpected(SecureKafka kafka, @TempDir Path tmp) throws Exception {
        Properties file = new Properties();
        kafka.kafkaEnvironment(MONITOR).forEach((k, v) -> file.put(FailFastTest.kafkaName(k), v));
        file.put("refusal.monitor.http.port", "0");
        // The KafkaUser grants the monitor its topics by name, and no Create: a topic of another name is missing to it.
        file.put("refusal.monitor.topic.drift.name", "drift-not-created");
        Path config = tmp.resolve("monitor.properties");
        try (var w = Files.newBufferedWriter(config)) {
            file.store(w, null);
        }
        try (Outputs outputs = Outputs.capture()) {
            Run.Result r = Run.monitor("run", "--config", config.toString());
            assertEquals(1, r.exitCode(), r::toString);
            assertEquals(1, r.messageLines().size(), r::toString);
            String line = r.messageLines().get(0);
            assertTrue(line.contains("topic(s) [drift-not-created] are missing") && line.contains("may not create them"), line);
            assertTrue(line.contains("Expected topics: [hidden-states, safety-scores, hidden-states.dlq, hidden-states.retry, "
                    + "directions, directions.history, training-samples, drift-not-created, refusal-monitor-drift-partials]"), line);
            outputs.add(r.program(), r.out() + r.err()).assertFree("a password", kafka.secrets());
        }
    }
}
