package dev.refusalmonitor.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The one configuration convention: file < environment < command line, service keys vs Kafka pass-through. */
class ServiceSettingsTest {
    private static final Set<String> KEYS = Set.of("refusal.trainer.min-auc", "refusal.trainer.http.port");

    @TempDir
    Path tmp;

    @Test
    void laterSourcesWinAndKafkaSettingsPassThrough() throws Exception {
        Path file = tmp.resolve("t.properties");
        Files.writeString(file, "refusal.trainer.min-auc=0.6\nrefusal.trainer.http.port=1\nsecurity.protocol=SSL\nclient.id=file\n");
        ServiceSettings s = ServiceSettings.load("trainer", KEYS, file,
                Map.of("REFUSAL_TRAINER_MIN_AUC", "0.7", "KAFKA_CLIENT_ID", "env", "KAFKA_HOME", "/opt/kafka"),
                Map.of("refusal.trainer.min-auc", "0.8"));
        assertEquals("0.8", s.get("min-auc"), "--set beats the environment");
        assertEquals("1", s.get("http.port"), "the file fills what nothing else sets");
        assertEquals(Map.of("security.protocol", "SSL", "client.id", "env"), s.kafka(),
                "KAFKA_* beats the file; KAFKA_HOME names no Kafka setting");
    }

    @Test
    void theFileCanBeNamedByTheEnvironment() throws Exception {
        Path file = tmp.resolve("g.properties");
        Files.writeString(file, "refusal.trainer.min-auc=0.9\n");
        ServiceSettings s = ServiceSettings.load("trainer", KEYS, null,
                Map.of("REFUSAL_TRAINER_CONFIG_FILE", file.toString()), Map.of());
        assertEquals("0.9", s.get("min-auc"));
    }

    @Test
    void unknownServiceKeysAndVariablesStopTheStartWithTheKnownOnes() {
        IllegalArgumentException fromSet = assertThrows(IllegalArgumentException.class,
                () -> ServiceSettings.load("trainer", KEYS, null, Map.of(), Map.of("refusal.trainer.min-acu", "1")));
        assertTrue(fromSet.getMessage().contains("refusal.trainer.min-acu") && fromSet.getMessage().contains("refusal.trainer.min-auc"),
                fromSet.getMessage());
        IllegalArgumentException fromEnv = assertThrows(IllegalArgumentException.class,
                () -> ServiceSettings.load("trainer", KEYS, null, Map.of("REFUSAL_TRAINER_MINAUC", "1"), Map.of()));
        assertTrue(fromEnv.getMessage().contains("REFUSAL_TRAINER_MINAUC") && fromEnv.getMessage().contains("REFUSAL_TRAINER_MIN_AUC"),
                fromEnv.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> ServiceSettings.load("trainer", KEYS, tmp.resolve("missing.properties"), Map.of(), Map.of()));
    }

    @Test
    void describeHidesSecrets() {
        ServiceSettings s = ServiceSettings.load("trainer", KEYS, null,
                Map.of("KAFKA_SASL_JAAS_CONFIG", "org.apache.kafka.common.security.scram.ScramLoginModule required password=\"hunter2\";"),
                Map.of("ssl.truststore.password", "hunter3", "ssl.truststore.location", "/etc/ts.p12"));
        String text = s.describe();
        assertFalse(text.contains("hunter2") || text.contains("hunter3"), text);
        assertTrue(text.contains("sasl.jaas.config=[hidden]") && text.contains("ssl.truststore.location=/etc/ts.p12"), text);
    }

    @Test
    void environmentNamesFollowTheKeys() {
        assertEquals("REFUSAL_MONITOR_TOPIC_HIDDEN_STATES_RETENTION_MS",
                ServiceSettings.environmentName("monitor", "refusal.monitor.topic.hidden-states.retention.ms"));
        assertEquals("REFUSAL_GATEWAY_CONFIG_FILE", ServiceSettings.configFileVariable("gateway"));
    }
}
