package dev.refusalmonitor.cli;

import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code --config} and {@code --set} of the {@link ServiceSettings} convention (a picocli mixin). The values are read
 * by {@link ServiceCommandLine} before parsing; these fields only document them in {@code --help}.
 */
public final class SettingsOptions {

    @Option(names = "--config", paramLabel = "FILE",
            description = "Properties file of settings (default: the file named by $REFUSAL_<SERVICE>_CONFIG_FILE).")
    Path configFile;

    @Option(names = "--set", paramLabel = "KEY=VALUE",
            description = "One setting: refusal.<service>.<option> or a Kafka client setting such as "
                    + "security.protocol=SASL_SSL (repeatable; wins over the environment and the file).")
    Map<String, String> settings = new LinkedHashMap<>();
}
