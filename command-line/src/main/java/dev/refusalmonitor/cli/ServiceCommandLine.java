package dev.refusalmonitor.cli;

import picocli.CommandLine;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * A service's command line under the {@link ServiceSettings} convention: every long option {@code --name} of every
 * command can also be set as {@code refusal.<service>.name} in the properties file, as
 * {@code REFUSAL_<SERVICE>_NAME} in the environment or with {@code --set refusal.<service>.name=value}; any other
 * {@code --set} key, file key or {@code KAFKA_*} variable is a Kafka client setting ({@link KafkaClientOptions}).
 * A flag on the command line wins over {@code --set}, which wins over the environment, then the file.
 *
 * <p>{@code --config} and {@code --set} ({@link SettingsOptions}) are read before picocli parses the rest, because
 * option defaults are resolved first.
 */
public final class ServiceCommandLine extends CommandLine {
    private static final Set<String> NOT_SETTINGS = Set.of("help", "version", "config", "set");

    private final String service;
    private final Map<String, String> env;
    private ServiceSettings settings;

    private ServiceCommandLine(Object command, String service, Map<String, String> env) {
        super(command);
        this.service = service;
        this.env = env;
        setDefaultValueProvider(this::defaultValue);
    }

    /**
     * The configured command line of a service.
     *
     * @param usageErrors exception types that mean bad input (exit code 2) besides {@link IllegalArgumentException}
     */
    @SafeVarargs
    public static ServiceCommandLine create(Object command, String service, Map<String, String> env, PrintWriter out,
                                            PrintWriter err, Class<? extends Throwable>... usageErrors) {
        ServiceCommandLine cl = new ServiceCommandLine(command, service, env);
        CommandLines.configure(cl, out, err, usageErrors);
        return cl;
    }

    /** Hands the settings to every {@link KafkaClientOptions}, however deeply mixed in. */
    private void inject(CommandSpec spec) {
        if (spec.userObject() instanceof KafkaClientOptions k) k.settings = settings;
        for (CommandSpec mixin : spec.mixins().values()) inject(mixin);
        for (CommandLine sub : spec.subcommands().values()) inject(sub.getCommandSpec());
    }

    @Override
    public ParseResult parseArgs(String... args) {
        Path file = null;
        Map<String, String> sets = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (a.equals("--")) break;
            String value = null;
            String name = a;
            int eq = a.indexOf('=');
            if (a.startsWith("--") && eq > 0) {
                name = a.substring(0, eq);
                value = a.substring(eq + 1);
            }
            if (!name.equals("--config") && !name.equals("--set")) continue;
            if (value == null) {
                if (i + 1 >= args.length) break; // picocli reports the missing value
                value = args[++i];
            }
            if (name.equals("--config")) {
                file = Path.of(value);
            } else {
                int kv = value.indexOf('=');
                if (kv <= 0) continue; // picocli reports the malformed pair
                sets.put(value.substring(0, kv), value.substring(kv + 1));
            }
        }
        try {
            settings = ServiceSettings.load(service, knownKeys(), file, env, sets);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(this, e.getMessage(), e);
        }
        ParseResult result = super.parseArgs(args);
        inject(getCommandSpec());
        return result;
    }

    /** {@code refusal.<service>.<name>} for every long option of every command. */
    public Set<String> knownKeys() {
        Set<String> keys = new TreeSet<>();
        collect(getCommandSpec(), keys);
        return keys;
    }

    private void collect(CommandSpec spec, Set<String> keys) {
        for (OptionSpec o : spec.options()) {
            String name = settingName(o);
            if (name != null) keys.add(ServiceSettings.keyPrefix(service) + name);
        }
        for (CommandLine sub : spec.subcommands().values()) collect(sub.getCommandSpec(), keys);
    }

    private static String settingName(OptionSpec o) {
        String name = o.longestName();
        if (!name.startsWith("--")) return null;
        name = name.substring(2);
        return NOT_SETTINGS.contains(name) ? null : name;
    }

    private String defaultValue(ArgSpec arg) {
        if (settings == null || !(arg instanceof OptionSpec o)) return null;
        String name = settingName(o);
        return name == null ? null : settings.get(name);
    }
}
