package dev.refusalmonitor.trainer.cli;

import dev.refusalmonitor.cli.KafkaClientOptions;
import dev.refusalmonitor.contract.TopicNames;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.time.Duration;
import java.util.Properties;

/**
 * Where the directions live: shared by {@code run}, {@code list}, {@code show}, {@code rollback} and {@code publish}
 * (a picocli mixin). Kafka client settings (security.protocol, sasl.*, ssl.*) come from {@link KafkaClientOptions}.
 */
public final class KafkaOptions {

    @Mixin
    KafkaClientOptions client;

    @Option(names = "--directions-topic", defaultValue = TopicNames.DIRECTIONS, paramLabel = "TOPIC",
            description = "Compacted topic of the sets in force, key = model id (default: ${DEFAULT-VALUE}).")
    String directionsTopic;

    @Option(names = "--history-topic", defaultValue = TopicNames.DIRECTIONS_HISTORY, paramLabel = "TOPIC",
            description = "Topic of every published version, key = model:version, kept for rollback (default: ${DEFAULT-VALUE}).")
    String historyTopic;

    @Option(names = "--timeout", defaultValue = "PT60S", paramLabel = "DURATION",
            description = "Deadline of each broker operation, ISO-8601 (default: ${DEFAULT-VALUE}).")
    Duration timeout;

    public Properties clientProperties() {
        return client.clientProperties();
    }
}
