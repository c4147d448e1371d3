package dev.refusalmonitor.gateway.cli;

import dev.refusalmonitor.cli.CliException;

import dev.refusalmonitor.cli.ExitCodes;

import dev.refusalmonitor.contract.TopicNames;

import dev.refusalmonitor.activations.LoadOptions;
import dev.refusalmonitor.activations.Pooling;
import dev.refusalmonitor.gateway.GatewayException;
import dev.refusalmonitor.gateway.HiddenStatePublisher;
import dev.refusalmonitor.gateway.vllm.VllmBridge;
import dev.refusalmonitor.cli.KafkaClientOptions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Properties;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/** {@code gateway vllm-bridge}: watches vLLM's hidden-state export folder and publishes each file to Kafka. */
@Command(name = "vllm-bridge", mixinStandardHelpOptions = true,
        description = {"Watch the folder where vLLM's hidden-state export writes one safetensors file per request "
                + "(token_ids [seq], hidden_states [seq, layers, hidden]) and publish each as a HiddenState record "
                + "(key = request id = file name without .safetensors).",
                "A file is moved to --done-dir (or deleted with --delete-done) only after the broker acknowledged it; "
                        + "unreadable files go to --failed-dir with a .reason.txt beside them."})
public final class VllmBridgeCommand implements Callable<Integer> {

    @Option(names = "--watch-dir", required = true, paramLabel = "DIR",
            description = "vLLM's shared_storage_path (or one of its sub-folders, e.g. base/).")
    Path watchDir;

    @Option(names = "--done-dir", paramLabel = "DIR", description = "Where acknowledged files go (default: WATCH/done).")
    Path doneDir;

    @Option(names = "--delete-done", description = "Delete acknowledged files instead of moving them.")
    boolean deleteDone;

    @Option(names = "--failed-dir", paramLabel = "DIR", description = "Where unreadable files go (default: WATCH/failed).")
    Path failedDir;

    @Option(names = "--topic", defaultValue = TopicNames.HIDDEN_STATES, paramLabel = "TOPIC",
            description = "Topic (default: ${DEFAULT-VALUE}).")
    String topic;

    @Option(names = "--model-id", required = true, paramLabel = "ID", description = "Model id carried by every record.")
    String modelId;

    @Option(names = "--model-revision", paramLabel = "REV", description = "Model revision carried by every record.")
    String modelRevision;

    @Option(names = "--tenant", paramLabel = "NAME", description = "Tenant carried by every record (optional).")
    String tenant;

    @Option(names = "--route", paramLabel = "NAME", description = "Route carried by every record (optional).")
    String route;

    @Option(names = "--axis-layers", split = ",", paramLabel = "L",
            description = "Layer index of each entry of the files' layer axis: the eagle_aux_hidden_state_layer_ids "
                    + "vLLM was started with (default: 0, 1, ...).")
    int[] axisLayers;

    @Option(names = "--layers", split = ",", paramLabel = "L", description = "Layers to publish (default: all in the file).")
    int[] layers;

    @Option(names = "--pooling", defaultValue = "last", paramLabel = "last|mean",
            description = "Last prompt token (last) or mean over the prompt (mean); default: ${DEFAULT-VALUE}.")
    String pooling;

    @Option(names = "--settle-ms", defaultValue = "2000", paramLabel = "MS",
            description = "A file is read once its size and time stamp were unchanged this long; a file last modified "
                    + "longer ago than this is read at once (default: ${DEFAULT-VALUE}).")
    long settleMs;

    @Option(names = "--poll-ms", defaultValue = "500", paramLabel = "MS", description = "Pause between scans (default: ${DEFAULT-VALUE}).")
    long pollMs;

    @Option(names = "--max-attempts", defaultValue = "3", paramLabel = "N",
            description = "Publish attempts per batch before exiting with an error (default: ${DEFAULT-VALUE}).")
    int maxAttempts;

    @Option(names = "--retry-backoff-ms", defaultValue = "2000", paramLabel = "MS",
            description = "Pause between attempts (default: ${DEFAULT-VALUE}).")
    long retryBackoffMs;

    @Option(names = "--once", description = "Publish the files that are complete now (last modified more than --settle-ms "
            + "ago, no newer lock file), then exit (instead of watching); files still being written stay for the next run.")
    boolean once;

    /** --bootstrap-servers, --config, --set: producer settings (security, compression, ...) by the settings convention. */
    @Mixin
    KafkaClientOptions kafka;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        if (!Files.isDirectory(watchDir)) throw CliException.usage("--watch-dir " + watchDir + " is not a directory");
        if (deleteDone && doneDir != null) throw CliException.usage("--delete-done and --done-dir exclude each other");
        Pooling p = switch (pooling) {
            case "last" -> Pooling.LAST_TOKEN;
            case "mean" -> Pooling.MEAN;
            default -> throw CliException.usage("--pooling must be last or mean, not '" + pooling + "'");
        };
        if (settleMs < 0 || pollMs < 0 || retryBackoffMs < 0) throw CliException.usage("times must not be negative");
        if (maxAttempts < 1) throw CliException.usage("--max-attempts must be at least 1");
        LoadOptions load;
        try {
            load = new LoadOptions(p, axisLayers, layers);
        } catch (IllegalArgumentException e) {
            throw CliException.usage(e.getMessage());
        }
        Properties config = HiddenStatePublisher.producerConfig(kafka.clientProperties());
        VllmBridge.Options options = new VllmBridge.Options(watchDir,
                deleteDone ? null : (doneDir != null ? doneDir : watchDir.resolve("done")),
                failedDir != null ? failedDir : watchDir.resolve("failed"), topic, modelId, modelRevision, tenant, route,
                load, Duration.ofMillis(settleMs), maxAttempts, Duration.ofMillis(retryBackoffMs));
        VllmBridge bridge = new VllmBridge(options, () -> new HiddenStatePublisher(config));
        try {
            if (once) {
                VllmBridge.PollResult r = bridge.pollOnce();
                spec.commandLine().getOut().println("published " + r.published() + " file(s) to '" + topic + "', "
                        + r.failed() + " moved to failed, " + r.waiting() + " not yet complete");
            } else {
                CountDownLatch stopped = new CountDownLatch(1);
                Thread hook = new Thread(stopped::countDown, "vllm-bridge-shutdown");
                Runtime.getRuntime().addShutdownHook(hook);
                spec.commandLine().getOut().println("watching " + watchDir + " (Ctrl-C stops)");
                bridge.run(() -> stopped.getCount() > 0, Duration.ofMillis(pollMs));
            }
        } catch (GatewayException e) {
            throw new CliException(ExitCodes.RUNTIME_FAILURE, e.getMessage(), e);
        }
        return ExitCodes.OK;
    }
}
