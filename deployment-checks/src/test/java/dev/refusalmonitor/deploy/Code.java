package dev.refusalmonitor.deploy;

import dev.refusalmonitor.gateway.cli.GatewayCli;
import dev.refusalmonitor.monitor.cli.MonitorServiceCli;
import dev.refusalmonitor.monitor.config.MonitorConfig;
import dev.refusalmonitor.trainer.cli.ProbeTrainerCli;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.streams.StreamsConfig;
import picocli.CommandLine;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.fail;

/** What the deployment files are checked against: the code's settings, command lines and HTTP answers. */
final class Code {
    private Code() {
    }

    /** Every Kafka client and Streams setting name (what a {@code KAFKA_<UPPER_SNAKE>} variable may name). */
    static final Set<String> KAFKA_SETTINGS;
    /** Prefixes under which Streams passes settings on to one client ({@code producer.}, {@code consumer.}, ...). */
    private static final List<String> KAFKA_PREFIXES = List.of(StreamsConfig.PRODUCER_PREFIX, StreamsConfig.CONSUMER_PREFIX,
            StreamsConfig.MAIN_CONSUMER_PREFIX, StreamsConfig.RESTORE_CONSUMER_PREFIX, StreamsConfig.GLOBAL_CONSUMER_PREFIX,
            StreamsConfig.ADMIN_CLIENT_PREFIX, StreamsConfig.TOPIC_PREFIX);

    static {
        Set<String> names = new HashSet<>();
        names.addAll(ProducerConfig.configNames());
        names.addAll(ConsumerConfig.configNames());
        names.addAll(AdminClientConfig.configNames());
        names.addAll(StreamsConfig.configDef().names());
        KAFKA_SETTINGS = Set.copyOf(names);
    }

    /** The Kafka setting a {@code KAFKA_*} variable sets, read the way the services read it. */
    static String kafkaSetting(String variable) {
        return variable.substring(MonitorConfig.KAFKA_ENV_PREFIX.length()).toLowerCase(Locale.ROOT).replace('_', '.');
    }

    static boolean isKafkaSetting(String key) {
        if (KAFKA_SETTINGS.contains(key)) return true;
        for (String prefix : KAFKA_PREFIXES) {
            if (key.startsWith(prefix) && KAFKA_SETTINGS.contains(key.substring(prefix.length()))) return true;
        }
        return false;
    }

    /** Every {@code REFUSAL_MONITOR_*} variable the monitor reads: one per known key, and the config file. */
    static Set<String> monitorEnvironmentNames() {
        Set<String> out = MonitorConfig.knownKeys().stream().map(MonitorConfig::environmentName)
                .collect(Collectors.toCollection(TreeSet::new));
        out.add(MonitorConfig.CONFIG_FILE_ENV);
        return out;
    }

    /** The monitor's configuration from a properties file's text and an environment, as {@code run} builds it. */
    static MonitorConfig monitorConfig(String properties, Map<String, String> env) {
        try {
            Path file = Files.createTempFile("monitor-", ".properties");
            try {
                Files.writeString(file, properties, StandardCharsets.UTF_8);
                return MonitorConfig.load(file, env, Map.of());
            } catch (IllegalArgumentException e) {
                throw new AssertionError("the monitor rejects its configuration: " + e.getMessage(), e);
            } finally {
                Files.deleteIfExists(file);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    // ---- command lines ----

    static CommandLine monitorCli() {
        return MonitorServiceCli.commandLine(new PrintWriter(new StringWriter()), new PrintWriter(new StringWriter()));
    }

    static CommandLine trainerCli() {
        return ProbeTrainerCli.commandLine(new PrintWriter(new StringWriter()), new PrintWriter(new StringWriter()));
    }

    static CommandLine gatewayCli() {
        return GatewayCli.commandLine(new PrintWriter(new StringWriter()), new PrintWriter(new StringWriter()));
    }

    /** Parses {@code args} as the program does (unknown or malformed options fail) and returns the subcommand. */
    static CommandLine.Model.CommandSpec parse(CommandLine cli, List<String> args, String where) {
        try {
            CommandLine.ParseResult r = cli.parseArgs(args.toArray(String[]::new));
            if (!r.hasSubcommand()) fail(where + ": args " + args + " name no command");
            return r.subcommand().commandSpec();
        } catch (CommandLine.ParameterException e) {
            throw new AssertionError(where + ": the program rejects its args " + args + ": " + e.getMessage(), e);
        }
    }

    /** An option's value after parsing (its default when the args do not set it). */
    @SuppressWarnings("unchecked")
    static <T> T value(CommandLine.Model.CommandSpec spec, String option) {
        CommandLine.Model.OptionSpec o = spec.findOption(option);
        if (o == null) throw new AssertionError(spec.qualifiedName() + " has no option " + option);
        return (T) o.getValue();
    }

    /** An option's declared default, as a string. */
    static String defaultOf(CommandLine cli, String command, String option) {
        CommandLine sub = cli.getSubcommands().get(command);
        if (sub == null) throw new AssertionError("no command " + command);
        CommandLine.Model.OptionSpec o = sub.getCommandSpec().findOption(option);
        if (o == null) throw new AssertionError(command + " has no option " + option);
        return o.defaultValue();
    }

    // ---- HTTP ----

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    /** The status of a GET of {@code path} on a server on 127.0.0.1:port. */
    static int get(int port, String path) {
        try {
            HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                    .timeout(Duration.ofSeconds(5)).GET().build(), HttpResponse.BodyHandlers.ofString());
            return r.statusCode();
        } catch (IOException e) {
            throw new UncheckedIOException("GET " + path + " on port " + port, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }
}
