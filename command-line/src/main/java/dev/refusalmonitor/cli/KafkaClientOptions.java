package dev.refusalmonitor.cli;

import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.util.Properties;

/**
 * Where Kafka is and how to reach it (a picocli mixin): {@code --bootstrap-servers} plus every Kafka client setting of
 * the {@link ServiceSettings} convention ({@code --set security.protocol=SASL_SSL}, {@code KAFKA_SASL_JAAS_CONFIG},
 * keys of the {@code --config} file).
 */
public final class KafkaClientOptions {
    public static final String DEFAULT_BOOTSTRAP_SERVERS = "localhost:9092";

    @Mixin
    SettingsOptions settingsOptions;

    /** Set by {@link ServiceCommandLine} after it read the settings, before the command runs. */
    ServiceSettings settings;

    @Option(names = "--bootstrap-servers", paramLabel = "HOST:PORT",
            description = "Kafka bootstrap servers (default: the bootstrap.servers setting, else " + DEFAULT_BOOTSTRAP_SERVERS + ").")
    String bootstrapServers;

    /** Client properties: the Kafka settings, then {@code --bootstrap-servers}. */
    public Properties clientProperties() {
        if (settings == null) throw new IllegalStateException("Kafka options used outside a ServiceCommandLine");
        Properties p = settings.kafkaProperties();
        if (bootstrapServers != null && !bootstrapServers.isBlank()) p.put("bootstrap.servers", bootstrapServers.trim());
        p.putIfAbsent("bootstrap.servers", DEFAULT_BOOTSTRAP_SERVERS);
        return p;
    }
}
