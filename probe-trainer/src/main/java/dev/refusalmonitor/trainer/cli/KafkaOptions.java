package dev.refusalmonitor.trainer.cli;

import dev.refusalmonitor.trainer.service.TrainerSettings;
import picocli.CommandLine.Option;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;

/**
 * Where the directions live: shared by {@code run}, {@code list}, {@code show}, {@code rollback} and {@code publish}
 * (a picocli mixin). Kafka client settings (security.protocol, sasl.*, ssl.*) come from {@code --kafka-property}
 * and from {@code kafka.*} keys of the properties file (see {@link TrainerDefaults}).
 */
public final class KafkaOptions {

    @Option(names = "--bootstrap-servers", defaultValue = "localhost:9092", paramLabel = "HOST:PORT",
            description = "Kafka bootstrap servers (default: ${DEFAULT-VALUE}).")
    String bootstrapServers;

    @Option(names = "--directions-topic", defaultValue = TrainerSettings.DEFAULT_DIRECTIONS_TOPIC, paramLabel = "TOPIC",
            description = "Compacted topic of the sets in force, key = model id (default: ${DEFAULT-VALUE}).")
    String directionsTopic;

    @Option(names = "--history-topic", defaultValue = TrainerSettings.DEFAULT_HISTORY_TOPIC, paramLabel = "TOPIC",
            description = "Topic of every published version, key = model:version, kept for rollback (default: ${DEFAULT-VALUE}).")
    String historyTopic;

    @Option(names = "--kafka-property", paramLabel = "KEY=VALUE",
            description = "A Kafka client setting, e.g. security.protocol=SASL_SSL (repeatable; wins over the file).")
    Map<String, String> kafkaProperties = new LinkedHashMap<>();

    @Option(names = "--timeout", defaultValue = "PT60S", paramLabel = "DURATION",
            description = "Deadline of each broker operation, ISO-8601 (default: ${DEFAULT-VALUE}).")
    Duration timeout;

    /** Client properties: file's kafka.* keys, then --kafka-property, then --bootstrap-servers. */
    public Properties clientProperties() {
        Properties p = new Properties();
        p.putAll(TrainerDefaults.kafkaPropertiesFromFile());
        p.putAll(kafkaProperties);
        p.put("bootstrap.servers", bootstrapServers);
        return p;
    }
}
