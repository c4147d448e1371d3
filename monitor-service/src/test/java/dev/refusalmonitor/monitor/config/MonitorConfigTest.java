package dev.refusalmonitor.monitor.config;

import dev.refusalmonitor.contract.TopicSettings;

import dev.refusalmonitor.contract.TopicId;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MonitorConfigTest {

    @TempDir
    Path dir;

    @Test
    void shouldDefaultToExactlyOnceTwoThreadsAndDesignTopicNames() {
        MonitorConfig c = MonitorConfig.defaults();
        assertEquals("exactly_once_v2", c.processingGuarantee());
        assertTrue(c.exactlyOnce());
        assertEquals(2, c.streamThreads());
        assertEquals("hidden-states", c.topic(TopicId.HIDDEN_STATES).name());
        assertEquals("safety-scores", c.topic(TopicId.SAFETY_SCORES).name());
        assertEquals("hidden-states.dlq", c.topic(TopicId.HIDDEN_STATES_DLQ).name());
        assertEquals("directions", c.topic(TopicId.DIRECTIONS).name());
        assertEquals("training-samples", c.topic(TopicId.TRAINING_SAMPLES).name());
        assertEquals("drift", c.topic(TopicId.DRIFT).name());
        assertEquals(NoDirectionsPolicy.DLQ, c.noDirectionsPolicy());
        assertEquals("127.0.0.1", c.httpBindAddress());
        Properties s = c.streamsProperties();
        assertEquals("exactly_once_v2", s.getProperty("processing.guarantee"));
        assertEquals("2", s.getProperty("num.stream.threads"));
        assertEquals("true", s.getProperty("ensure.explicit.internal.resource.naming"));
        assertEquals("refusal-monitor", s.getProperty("application.id"));
    }

    @Test
    void shouldFetchManyHiddenStatesPerRoundTripUnlessConfigured() {
        // Kafka's 1 MiB per partition would hold only 64 records of d = 4096 f32.
        assertEquals(Integer.toString(8 * 1024 * 1024),
                MonitorConfig.defaults().streamsProperties().get("max.partition.fetch.bytes"));
        MonitorConfig own = MonitorConfig.load(null, Map.of("KAFKA_MAX_PARTITION_FETCH_BYTES", "2097152"), Map.of());
        assertEquals("2097152", own.streamsProperties().get("max.partition.fetch.bytes"));
        assertEquals("2097152", own.consumerProperties().get("max.partition.fetch.bytes"));
    }

    @Test
    void shouldBoundRecordsAndRecoverFastByDefaultWithEveryKnobConfigurable() {
        MonitorConfig d = MonitorConfig.defaults();
        assertEquals(4 * 1024 * 1024, d.decodeLimits().maxRecordBytes());
        assertEquals(256, d.decodeLimits().maxLayers());
        assertEquals(65536, d.decodeLimits().maxDim());
        assertEquals(512, d.decodeLimits().maxFieldBytes());
        assertEquals(1e6, d.decodeLimits().maxAbsValue());
        assertEquals(900 * 1024, d.dlqMaxOriginalBytes());
        assertEquals(64, d.metricsMaxModels());
        Properties s = d.streamsProperties();
        assertEquals("6000", s.getProperty("session.timeout.ms"));
        assertEquals("1500", s.getProperty("heartbeat.interval.ms"));
        assertEquals("5000", s.getProperty("transaction.timeout.ms"));
        assertEquals(dev.refusalmonitor.monitor.stream.MonitorErrorHandlers.Production.class.getName(),
                s.getProperty("production.exception.handler"));
        assertEquals(dev.refusalmonitor.monitor.stream.MonitorErrorHandlers.Processing.class.getName(),
                s.getProperty("processing.exception.handler"));

        MonitorConfig own = MonitorConfig.load(null, Map.of(
                "REFUSAL_MONITOR_LIMITS_RECORD_BYTES", "8388608",
                "REFUSAL_MONITOR_LIMITS_MAX_ABS_VALUE", "1e8",
                "KAFKA_SESSION_TIMEOUT_MS", "10000",
                "KAFKA_CONSUMER_HEARTBEAT_INTERVAL_MS", "2000"), Map.of(
                MonitorConfig.LIMITS_LAYERS, "64", MonitorConfig.DLQ_MAX_ORIGINAL_BYTES, "0",
                MonitorConfig.METRICS_MAX_MODELS, "5"));
        assertEquals(8388608, own.decodeLimits().maxRecordBytes());
        assertEquals(1e8, own.decodeLimits().maxAbsValue());
        assertEquals(64, own.decodeLimits().maxLayers());
        assertEquals(0, own.dlqMaxOriginalBytes());
        assertEquals(5, own.metricsMaxModels());
        assertEquals("10000", own.streamsProperties().getProperty("session.timeout.ms"));
        assertNull(own.streamsProperties().getProperty("heartbeat.interval.ms"), "a prefixed setting wins over the default");
        assertEquals("2000", own.streamsProperties().getProperty("consumer.heartbeat.interval.ms"));
        assertNull(MonitorConfig.of(Map.of(MonitorConfig.PROCESSING_GUARANTEE, "at_least_once")).streamsProperties()
                .getProperty("transaction.timeout.ms"), "no transactions under at-least-once");
        assertThrows(IllegalArgumentException.class, () -> MonitorConfig.of(Map.of(MonitorConfig.LIMITS_MAX_ABS_VALUE, "-1")));
        assertThrows(IllegalArgumentException.class, () -> MonitorConfig.of(Map.of(MonitorConfig.LIMITS_LAYERS, "0")));
        assertTrue(d.describe().contains("refusal.monitor.limits.record.bytes=4194304"), d.describe());
    }

    @Test
    void shouldCompactDirectionsWithLargeMessagesAndKeepHiddenStatesShort() {
        MonitorConfig c = MonitorConfig.defaults();
        TopicSettings d = c.topic(TopicId.DIRECTIONS);
        assertEquals("compact", d.configs().get("cleanup.policy"));
        assertEquals(Integer.toString(64 * 1024 * 1024), d.configs().get("max.message.bytes"));
        assertNull(d.configs().get("retention.ms"));
        assertEquals("3600000", c.topic(TopicId.HIDDEN_STATES).configs().get("retention.ms"));
        assertEquals("delete", c.topic(TopicId.HIDDEN_STATES).configs().get("cleanup.policy"));
        assertEquals("86400000", c.topic(TopicId.HIDDEN_STATES_DLQ).configs().get("retention.ms"));
        assertEquals(Integer.toString(64 * 1024 * 1024), c.producerProperties().getProperty("max.request.size"));
    }

    @Test
    void shouldApplyPrecedenceOverridesOverEnvironmentOverFileOverDefaults() throws IOException {
        Path file = dir.resolve("monitor.properties");
        Files.writeString(file, String.join("\n",
                "bootstrap.servers=file:9092",
                "refusal.monitor.application.id=from-file",
                "refusal.monitor.http.port=9001",
                "refusal.monitor.topic.hidden-states.retention.ms=1000",
                "refusal.monitor.num.stream.threads=3"));
        Map<String, String> env = Map.of(
                "REFUSAL_MONITOR_BOOTSTRAP_SERVERS", "env:9092",
                "REFUSAL_MONITOR_HTTP_PORT", "9002",
                "KAFKA_SECURITY_PROTOCOL", "SASL_SSL",
                "KAFKA_HOME", "/opt/kafka",
                "PATH", "/usr/bin");
        MonitorConfig c = MonitorConfig.load(file, env, Map.of("refusal.monitor.http.port", "9003"));
        assertEquals("env:9092", c.bootstrapServers(), "env beats file");
        assertEquals("from-file", c.applicationId(), "file beats defaults");
        assertEquals(9003, c.httpPort(), "overrides beat env");
        assertEquals(3, c.streamThreads());
        assertEquals("1000", c.topic(TopicId.HIDDEN_STATES).configs().get("retention.ms"));
        assertEquals("SASL_SSL", c.streamsProperties().getProperty("security.protocol"));
        assertFalse(c.kafkaSettings().containsKey("home"), "KAFKA_HOME is not a Kafka setting");
    }

    @Test
    void shouldPassSecuritySettingsToEveryClient() {
        MonitorConfig c = MonitorConfig.load(null, Map.of(
                "KAFKA_SASL_MECHANISM", "SCRAM-SHA-512",
                "KAFKA_SASL_JAAS_CONFIG", "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"u\" password=\"p\";",
                "KAFKA_SSL_TRUSTSTORE_LOCATION", "/etc/ts.p12",
                "KAFKA_SSL_TRUSTSTORE_PASSWORD", "tspass",
                "KAFKA_PRODUCER_LINGER_MS", "7"), Map.of());
        for (Properties p : new Properties[] {c.streamsProperties(), c.adminProperties(), c.producerProperties(), c.consumerProperties()}) {
            assertEquals("SCRAM-SHA-512", p.getProperty("sasl.mechanism"));
            assertEquals("/etc/ts.p12", p.getProperty("ssl.truststore.location"));
            assertEquals("tspass", p.getProperty("ssl.truststore.password"));
            assertTrue(p.getProperty("sasl.jaas.config").contains("ScramLoginModule"));
        }
        assertEquals("7", c.producerProperties().getProperty("linger.ms"));
        assertEquals("7", c.streamsProperties().getProperty("producer.linger.ms"));
        assertNull(c.consumerProperties().getProperty("linger.ms"));
        assertNull(c.adminProperties().getProperty("processing.guarantee"));
    }

    @Test
    void shouldNeverRevealSecretsInDescribeOrToString() {
        MonitorConfig c = MonitorConfig.of(Map.of(
                "sasl.jaas.config", "PlainLoginModule required username=\"alice\" password=\"s3cr3t-jaas\";",
                "ssl.keystore.password", "s3cr3t-ks",
                "ssl.key.password", "s3cr3t-key",
                "producer.ssl.truststore.password", "s3cr3t-ts",
                "sasl.oauthbearer.client.credentials.client.secret", "s3cr3t-oauth",
                "security.protocol", "SASL_SSL"));
        for (String text : new String[] {c.describe(), c.toString()}) {
            assertFalse(text.contains("s3cr3t"), "a secret leaked: " + text);
            assertTrue(text.contains("sasl.jaas.config=[hidden]"));
            assertTrue(text.contains("ssl.keystore.password=[hidden]"));
            assertTrue(text.contains("security.protocol=SASL_SSL"), "non-secrets stay visible");
        }
    }

    @Test
    void shouldRejectUnsupportedProcessingGuarantee() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> MonitorConfig.of(Map.of("processing.guarantee", "exactly_once")));
        assertTrue(e.getMessage().contains("exactly_once_v2") && e.getMessage().contains("'exactly_once'"), e.getMessage());
        assertEquals("at_least_once", MonitorConfig.of(Map.of("processing.guarantee", "at_least_once")).processingGuarantee());
    }

    @Test
    void shouldRejectUnknownMonitorKeysAndBadValues() {
        assertThrows(IllegalArgumentException.class, () -> MonitorConfig.of(Map.of("refusal.monitor.htp.port", "1")));
        assertThrows(IllegalArgumentException.class,
                () -> MonitorConfig.load(null, Map.of("REFUSAL_MONITOR_HTP_PORT", "1"), Map.of()));
        assertThrows(IllegalArgumentException.class, () -> MonitorConfig.of(Map.of("refusal.monitor.http.port", "eighty")));
        assertThrows(IllegalArgumentException.class, () -> MonitorConfig.of(Map.of("refusal.monitor.http.port", "70000")));
        assertThrows(IllegalArgumentException.class, () -> MonitorConfig.of(Map.of("refusal.monitor.no.directions.policy", "drop")));
        assertThrows(IllegalArgumentException.class, () -> MonitorConfig.of(Map.of("refusal.monitor.topic.drift.name", "hidden-states")));
        assertThrows(IllegalArgumentException.class, () -> MonitorConfig.of(Map.of("refusal.monitor.topic.drift.replication.factor", "0")));
        assertThrows(IllegalArgumentException.class,
                () -> MonitorConfig.load(dir.resolve("missing.properties"), Map.of(), Map.of()));
    }

    @Test
    void shouldMapEveryMonitorKeyToAnEnvironmentVariable() {
        assertEquals("REFUSAL_MONITOR_TOPIC_HIDDEN_STATES_DLQ_RETENTION_MS",
                MonitorConfig.environmentName("refusal.monitor.topic.hidden-states-dlq.retention.ms"));
        MonitorConfig c = MonitorConfig.load(null, Map.of(
                "REFUSAL_MONITOR_TOPIC_HIDDEN_STATES_DLQ_RETENTION_MS", "5000",
                "REFUSAL_MONITOR_NO_DIRECTIONS_POLICY", "retry-topic",
                "REFUSAL_MONITOR_METRICS_TENANT_ALLOWLIST", "acme, globex"), Map.of());
        assertEquals("5000", c.topic(TopicId.HIDDEN_STATES_DLQ).configs().get("retention.ms"));
        assertEquals(NoDirectionsPolicy.RETRY_TOPIC, c.noDirectionsPolicy());
        assertEquals(Set.of("acme", "globex"), c.tenantAllowlist());
        for (String key : MonitorConfig.knownKeys()) {
            assertTrue(MonitorConfig.environmentName(key).startsWith("REFUSAL_MONITOR_"));
        }
    }
}
