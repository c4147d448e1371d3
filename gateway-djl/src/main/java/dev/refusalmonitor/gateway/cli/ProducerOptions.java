package dev.refusalmonitor.gateway.cli;

import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;

/** Kafka producer settings shared by {@code publish} and {@code vllm-bridge} (a picocli mixin). */
final class ProducerOptions {

    @Option(names = "--producer-config", paramLabel = "FILE",
            description = "Kafka producer properties file; its settings win over the defaults (idempotent, acks=all, lz4, "
                    + "linger.ms=5, batch.size=65536, delivery.timeout.ms=30000, max.block.ms=15000).")
    Path producerConfig;

    @Option(names = "--producer-property", paramLabel = "KEY=VALUE",
            description = "One producer setting, e.g. compression.type=zstd (repeatable; wins over --producer-config).")
    Map<String, String> producerProperties;

    /** The file's settings, then the single properties on top. */
    Properties overrides() throws IOException {
        Properties overrides = new Properties();
        if (producerConfig != null) {
            if (!Files.isRegularFile(producerConfig)) throw CliException.usage("producer config " + producerConfig + " does not exist");
            try (InputStream in = Files.newInputStream(producerConfig)) {
                overrides.load(in);
            }
        }
        if (producerProperties != null) overrides.putAll(producerProperties);
        return overrides;
    }
}
