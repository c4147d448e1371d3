package dev.refusalmonitor.trainer.cli;

import picocli.CommandLine;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.OptionSpec;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;

/**
 * Option defaults from the environment and a properties file, like the monitor's settings. Precedence: flag &gt;
 * environment &gt; file &gt; built-in default.
 *
 * <ul>
 *   <li>Environment: {@code PROBE_TRAINER_<OPTION>} with the option's long name in upper case and dashes as
 *       underscores, e.g. {@code PROBE_TRAINER_BOOTSTRAP_SERVERS}, {@code PROBE_TRAINER_MIN_AUC}.</li>
 *   <li>File: named by {@code PROBE_TRAINER_CONFIG_FILE}; keys are long option names without dashes
 *       ({@code min-auc=0.8}); keys starting {@code kafka.} are Kafka client settings
 *       ({@code kafka.security.protocol=SASL_SSL}), passed to every client.</li>
 * </ul>
 */
public final class TrainerDefaults implements CommandLine.IDefaultValueProvider {
    public static final String CONFIG_FILE_ENV = "PROBE_TRAINER_CONFIG_FILE";
    public static final String ENV_PREFIX = "PROBE_TRAINER_";

    private final Map<String, String> env;

    public TrainerDefaults(Map<String, String> env) {
        this.env = env;
    }

    @Override
    public String defaultValue(ArgSpec arg) throws IOException {
        if (!(arg instanceof OptionSpec o)) return null;
        String name = o.longestName().replaceFirst("^-+", "");
        String fromEnv = env.get(ENV_PREFIX + name.toUpperCase(Locale.ROOT).replace('-', '_'));
        if (fromEnv != null) return fromEnv;
        return file(env).getProperty(name);
    }

    /** The kafka.* entries of the file named by the environment, without the prefix. */
    static Properties kafkaPropertiesFromFile() {
        Properties out = new Properties();
        try {
            Properties f = file(System.getenv());
            for (String k : f.stringPropertyNames())
                if (k.startsWith("kafka.")) out.put(k.substring("kafka.".length()), f.getProperty(k));
        } catch (IOException e) {
            throw CliException.usage("cannot read " + System.getenv(CONFIG_FILE_ENV) + ": " + e.getMessage());
        }
        return out;
    }

    private static Properties file(Map<String, String> env) throws IOException {
        Properties p = new Properties();
        String path = env.get(CONFIG_FILE_ENV);
        if (path == null || path.isBlank()) return p;
        try (Reader r = Files.newBufferedReader(Path.of(path), StandardCharsets.UTF_8)) {
            p.load(r);
        }
        return p;
    }
}
