package dev.refusalmonitor.cli;

import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.ConfigDef;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The one configuration convention of every service ({@code monitor}, {@code trainer}, {@code gateway}).
 *
 * <p><b>Sources</b>, later wins: built-in defaults &lt; a properties file &lt; the environment &lt; the command line
 * ({@code --set key=value}, and for the trainer and gateway their flags).
 * <ul>
 *   <li><b>File</b>: {@code --config FILE}, else the file named by {@code REFUSAL_<SERVICE>_CONFIG_FILE}. UTF-8
 *       properties.</li>
 *   <li><b>Service settings</b> are keys {@code refusal.<service>.<name>} (e.g. {@code refusal.trainer.min-auc},
 *       {@code refusal.monitor.http.port}); in the environment {@code REFUSAL_<SERVICE>_<NAME>} in upper case with
 *       dots and dashes as underscores ({@code REFUSAL_TRAINER_MIN_AUC}). Unknown service keys are rejected, so a
 *       typo fails at start.</li>
 *   <li><b>Kafka client settings</b> are every other key ({@code bootstrap.servers}, {@code security.protocol},
 *       {@code sasl.jaas.config}, ...), passed to every client unchanged; in the environment {@code KAFKA_<NAME>} in
 *       upper snake case ({@code KAFKA_SECURITY_PROTOCOL}). {@code KAFKA_*} variables that name no Kafka setting
 *       ({@code KAFKA_HOME}, {@code KAFKA_OPTS}) are ignored.</li>
 * </ul>
 * Secrets ({@link #isSecret}) are never logged: use {@link #describe} to print settings.
 */
public final class ServiceSettings {

    /** Kafka client setting names known to the clients every service opens (producer, consumer, admin). */
    public static final Set<String> CLIENT_SETTING_NAMES;
    private static final Set<String> PASSWORD_NAMES;

    static {
        Set<String> names = new HashSet<>();
        Set<String> passwords = new HashSet<>();
        collect(List.of(ProducerConfig.configDef(), ConsumerConfig.configDef(), AdminClientConfig.configDef()), names, passwords);
        CLIENT_SETTING_NAMES = Set.copyOf(names);
        PASSWORD_NAMES = Set.copyOf(passwords);
    }

    private final String service;
    private final Map<String, String> serviceValues;
    private final Map<String, String> kafka;

    private ServiceSettings(String service, Map<String, String> serviceValues, Map<String, String> kafka) {
        this.service = service;
        this.serviceValues = Collections.unmodifiableMap(serviceValues);
        this.kafka = Collections.unmodifiableMap(kafka);
    }

    /** {@code refusal.<service>.} */
    public static String keyPrefix(String service) {
        return "refusal." + service + ".";
    }

    /** {@code REFUSAL_<SERVICE>_} */
    public static String environmentPrefix(String service) {
        return "REFUSAL_" + service.toUpperCase(Locale.ROOT).replace('-', '_') + "_";
    }

    /** {@code REFUSAL_<SERVICE>_CONFIG_FILE} */
    public static String configFileVariable(String service) {
        return environmentPrefix(service) + "CONFIG_FILE";
    }

    /** The environment variable of a service key: {@code refusal.trainer.min-auc} &rarr; {@code REFUSAL_TRAINER_MIN_AUC}. */
    public static String environmentName(String service, String key) {
        String prefix = keyPrefix(service);
        if (!key.startsWith(prefix)) throw new IllegalArgumentException(key + " is not a " + service + " setting");
        return environmentPrefix(service) + key.substring(prefix.length()).toUpperCase(Locale.ROOT).replaceAll("[.-]", "_");
    }

    /**
     * Reads the layers.
     *
     * @param service {@code monitor}, {@code trainer} or {@code gateway}
     * @param knownKeys every service key ({@code refusal.<service>.*}) the service understands
     * @param kafkaNames Kafka setting names recognised in {@code KAFKA_*} variables
     * @param kafkaPrefixes prefixes that make any {@code KAFKA_*} name a Kafka setting (e.g. {@code producer.})
     * @param file the properties file, or null for the one named by the environment, or none
     * @param env the environment
     * @param commandLine {@code --set} values (and any other explicit overrides)
     * @throws IllegalArgumentException on an unreadable file or an unknown service key or variable
     */
    public static ServiceSettings load(String service, Set<String> knownKeys, Set<String> kafkaNames,
                                       Collection<String> kafkaPrefixes, Path file, Map<String, String> env,
                                       Map<String, String> commandLine) {
        Path f = file;
        String fileVar = configFileVariable(service);
        if (f == null && env.get(fileVar) != null && !env.get(fileVar).isBlank()) f = Path.of(env.get(fileVar).trim());
        Map<String, String> merged = new HashMap<>();
        if (f != null) merged.putAll(checked(service, knownKeys, readFile(f), "file " + f));
        merged.putAll(checked(service, knownKeys, fromEnvironment(service, knownKeys, kafkaNames, kafkaPrefixes, env), "environment"));
        merged.putAll(checked(service, knownKeys, commandLine, "command line"));
        Map<String, String> own = new TreeMap<>();
        Map<String, String> kafka = new TreeMap<>();
        String prefix = keyPrefix(service);
        merged.forEach((k, v) -> (k.startsWith(prefix) ? own : kafka).put(k, v));
        return new ServiceSettings(service, own, kafka);
    }

    /** The same for the trainer and the gateway, whose Kafka settings are those of the plain clients. */
    public static ServiceSettings load(String service, Set<String> knownKeys, Path file, Map<String, String> env,
                                       Map<String, String> commandLine) {
        return load(service, knownKeys, CLIENT_SETTING_NAMES, List.of(), file, env, commandLine);
    }

    public String service() {
        return service;
    }

    /** Service settings by full key ({@code refusal.<service>.*}). */
    public Map<String, String> serviceValues() {
        return serviceValues;
    }

    /** A service setting by its name without the prefix, or null. */
    public String get(String name) {
        return serviceValues.get(keyPrefix(service) + name);
    }

    /** Kafka client settings, passed through unchanged. */
    public Map<String, String> kafka() {
        return kafka;
    }

    /** The Kafka settings as client properties. */
    public Properties kafkaProperties() {
        Properties p = new Properties();
        p.putAll(kafka);
        return p;
    }

    /** Every setting, one {@code key=value} per line, sorted, with secrets replaced by {@code [hidden]}. */
    public String describe() {
        Map<String, String> all = new TreeMap<>(kafka);
        all.putAll(serviceValues);
        return describe(all);
    }

    /** {@code key=value} lines, sorted, secrets replaced by {@code [hidden]}. */
    public static String describe(Map<String, String> settings) {
        StringBuilder b = new StringBuilder();
        new TreeMap<>(settings).forEach((k, v) -> b.append(k).append('=').append(isSecret(k) ? "[hidden]" : v).append('\n'));
        return b.toString();
    }

    /** True for settings whose value must never be logged: Kafka PASSWORD settings and anything named like a secret. */
    public static boolean isSecret(String key) {
        String k = key.toLowerCase(Locale.ROOT);
        int dot = k.indexOf('.');
        String unprefixed = dot > 0 ? k.substring(dot + 1) : k;
        return PASSWORD_NAMES.contains(k) || PASSWORD_NAMES.contains(unprefixed) || k.contains("password")
                || k.contains("secret") || k.contains("jaas") || k.contains("credential") || k.contains("token")
                || k.endsWith(".key") || k.contains("keystore.key");
    }

    /** Adds the names and the PASSWORD-typed names of each definition. */
    public static void collect(Collection<ConfigDef> defs, Set<String> names, Set<String> passwords) {
        for (ConfigDef def : defs) {
            def.configKeys().forEach((name, key) -> {
                names.add(name);
                if (key.type == ConfigDef.Type.PASSWORD) passwords.add(name);
            });
        }
    }

    private static Map<String, String> checked(String service, Set<String> knownKeys, Map<String, String> layer, String source) {
        String prefix = keyPrefix(service);
        Map<String, String> out = new HashMap<>();
        Set<String> unknown = new TreeSet<>();
        layer.forEach((k, v) -> {
            if (k == null || v == null) throw new IllegalArgumentException("null key or value in " + source + ": " + k);
            String key = k.trim();
            if (key.startsWith(prefix) && !knownKeys.contains(key)) unknown.add(key);
            else out.put(key, v.trim());
        });
        if (!unknown.isEmpty())
            throw new IllegalArgumentException("unknown " + service + " setting(s) in " + source + ": " + unknown
                    + " (known: " + new TreeSet<>(knownKeys) + ")");
        return out;
    }

    private static Map<String, String> fromEnvironment(String service, Set<String> knownKeys, Set<String> kafkaNames,
                                                       Collection<String> kafkaPrefixes, Map<String, String> env) {
        String servicePrefix = environmentPrefix(service);
        Map<String, String> byName = new HashMap<>();
        for (String k : knownKeys) byName.put(environmentName(service, k), k);
        Map<String, String> out = new HashMap<>();
        List<String> unknown = new ArrayList<>();
        env.forEach((name, value) -> {
            if (name.startsWith(servicePrefix)) {
                if (name.equals(configFileVariable(service))) return;
                String key = byName.get(name);
                if (key == null) unknown.add(name);
                else out.put(key, value);
            } else if (name.startsWith("KAFKA_") && name.length() > "KAFKA_".length()) {
                String key = name.substring("KAFKA_".length()).toLowerCase(Locale.ROOT).replace('_', '.');
                if (kafkaNames.contains(key) || kafkaPrefixes.stream().anyMatch(p -> key.startsWith(p) && key.length() > p.length()))
                    out.put(key, value);
            }
        });
        if (!unknown.isEmpty()) {
            Collections.sort(unknown);
            throw new IllegalArgumentException("unknown environment variable(s) " + unknown + "; known: "
                    + new TreeSet<>(byName.keySet()) + " and " + configFileVariable(service));
        }
        return out;
    }

    private static Map<String, String> readFile(Path file) {
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            p.load(r);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read configuration file " + file + ": " + e.getMessage(), e);
        }
        Map<String, String> out = new HashMap<>();
        p.stringPropertyNames().forEach(k -> out.put(k, p.getProperty(k)));
        return out;
    }
}
