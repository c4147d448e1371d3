package dev.refusalmonitor.monitor.cli;

import dev.refusalmonitor.monitor.app.MonitorApp;
import dev.refusalmonitor.monitor.config.MonitorConfig;
import dev.refusalmonitor.monitor.stream.ScoreListener;
import dev.refusalmonitor.cli.CliException;
import dev.refusalmonitor.cli.CommandLines;
import dev.refusalmonitor.cli.ExitCodes;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code monitor-service run}: the service, against the user's Kafka. */
@Command(name = "run", mixinStandardHelpOptions = true,
        description = "Run the streaming monitor against your Kafka cluster (until stopped).",
        footer = {"", "Configuration precedence: --set > environment (REFUSAL_MONITOR_*, KAFKA_*) > --config file > defaults.",
                "Any Kafka client setting (security.protocol, sasl.*, ssl.*, ...) may be given; secrets are never logged."})
public final class RunCommand implements Callable<Integer> {

    @Option(names = "--config", paramLabel = "FILE", description = "Properties file (default: $REFUSAL_MONITOR_CONFIG_FILE if set).")
    Path configFile;

    @Option(names = "--set", paramLabel = "KEY=VALUE", description = "Override one setting, e.g. --set bootstrap.servers=kafka:9092 (repeatable).")
    Map<String, String> overrides = new LinkedHashMap<>();

    @Override
    public Integer call() throws Exception {
        MonitorConfig config = MonitorConfig.fromSystem(configFile, overrides);
        MonitorApp app = MonitorApp.start(config, ScoreListener.NONE);
        Thread hook = new Thread(app::close, "monitor-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        app.awaitStop();
        if (app.failed()) {
            Runtime.getRuntime().removeShutdownHook(hook);
            app.close();
            Throwable why = app.failure();
            // One line for the operator (the stack trace is in the log): e.g. a refused login or a missing ACL.
            throw new CliException(ExitCodes.RUNTIME_FAILURE, "Kafka Streams stopped: "
                    + (why == null ? "state ERROR" : CommandLines.kafkaFailure(why)), why);
        }
        return ExitCodes.OK;
    }
}
