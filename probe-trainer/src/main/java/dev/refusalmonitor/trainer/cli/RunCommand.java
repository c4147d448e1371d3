package dev.refusalmonitor.trainer.cli;

import dev.refusalmonitor.math.fit.MahalanobisFit;
import dev.refusalmonitor.cli.ActivationInputOptions;

import dev.refusalmonitor.cli.DurationConverter;

import dev.refusalmonitor.cli.CliException;

import dev.refusalmonitor.cli.ExitCodes;

import dev.refusalmonitor.contract.TopicNames;

import dev.refusalmonitor.contract.SizeLimits;

import dev.refusalmonitor.activations.ActivationSet;
import dev.refusalmonitor.schemas.DecodedHiddenState;
import dev.refusalmonitor.schemas.v1.HarmLabel;
import dev.refusalmonitor.schemas.v1.Labels;
import dev.refusalmonitor.schemas.v1.TokenPosition;
import dev.refusalmonitor.trainer.publish.VersionedPublisher;
import dev.refusalmonitor.trainer.reservoir.SampleOutcome;
import dev.refusalmonitor.trainer.service.TrainerService;
import dev.refusalmonitor.trainer.service.TrainerSettings;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;

/** {@code probe-trainer run}: the service that keeps direction sets fresh from labelled traffic. */
@Command(name = "run", mixinStandardHelpOptions = true,
        description = "Consume labelled samples, keep a reservoir per model and class, refit, gate and publish new versions (until stopped).",
        footer = {"", "Settings: flag > --set > environment > --config file (or the file named by REFUSAL_TRAINER_CONFIG_FILE) > default.",
                "Every option --NAME is also the setting refusal.trainer.NAME (environment REFUSAL_TRAINER_NAME, e.g.",
                "REFUSAL_TRAINER_MIN_AUC=0.8); every other key is a Kafka client setting (KAFKA_SECURITY_PROTOCOL, --set sasl.mechanism=...)."})
public final class RunCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    KafkaOptions kafka;

    @Option(names = "--samples-topic", defaultValue = TopicNames.TRAINING_SAMPLES, paramLabel = "TOPIC",
            description = "Labelled HiddenState records (default: ${DEFAULT-VALUE}).")
    String samplesTopic;

    @Option(names = "--group-id", defaultValue = TrainerSettings.DEFAULT_GROUP_ID, description = "Consumer group of the samples consumer (default: ${DEFAULT-VALUE}).")
    String groupId;

    @Option(names = "--model-id", description = "Train only this model (default: every model on the samples topic). Required with --harmful/--harmless.")
    String modelId;

    @Option(names = "--reservoir-size", defaultValue = "4000", paramLabel = "N",
            description = "Rows kept per class per model; memory is 2 x N x layers x d x 4 bytes (default: ${DEFAULT-VALUE}).")
    int reservoirSize;

    @Option(names = "--refit-after", defaultValue = "1000", paramLabel = "N",
            description = "Refit after N new samples of a model; 0 = only on the interval (default: ${DEFAULT-VALUE}).")
    long refitAfter;

    @Option(names = "--refit-interval", defaultValue = "30m", paramLabel = "DURATION", converter = DurationConverter.class,
            description = "Refit models that have new samples this often, e.g. 30m; 0 = only by count (default: ${DEFAULT-VALUE}).")
    Duration refitInterval;

    @Option(names = "--min-auc", defaultValue = "0.7", description = "Gate: floor on the scoring layer's held-out probe AUC (default: ${DEFAULT-VALUE}).")
    double minAuc;

    @Option(names = "--min-selectivity", defaultValue = "0.05", description = "Gate: floor on the scoring layer's selectivity (default: ${DEFAULT-VALUE}).")
    double minSelectivity;

    @Option(names = "--max-regression", defaultValue = "0.02",
            description = "Gate: largest allowed held-out AUC drop against the version in force, on the same rows (default: ${DEFAULT-VALUE}).")
    double maxRegression;

    @Option(names = "--min-per-class", defaultValue = "10", description = "Fewest rows per class before a refit (default: ${DEFAULT-VALUE}).")
    int minPerClass;

    @Option(names = "--target-fpr", defaultValue = "0.01", paramLabel = "RATE",
            description = "False-positive rate each refit calibrates its decisions (flagged, cast_fired) to, as fit's "
                    + "--target-fpr (default: ${DEFAULT-VALUE}).")
    double targetFpr;

    @Option(names = "--holdout-fraction", defaultValue = "0.25", description = "Share of each class held out for the report and the gate (default: ${DEFAULT-VALUE}).")
    double holdoutFraction;

    @Option(names = "--seed", defaultValue = "7", description = "Seed of the reservoirs, the split and the fit (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--exact-max-dim", defaultValue = "1024", description = "Store the exact Mahalanobis factor when d <= this (default: ${DEFAULT-VALUE}).")
    int exactMaxDim;

    @Option(names = "--low-rank-k", defaultValue = "" + MahalanobisFit.DEFAULT_LOW_RANK_K, description = "Eigenvectors of the low-rank Mahalanobis path (default: ${DEFAULT-VALUE}).")
    int lowRankK;

    @Option(names = "--max-set-bytes", defaultValue = "" + SizeLimits.DEFAULT_MAX_SET_BYTES,
            description = "Refuse to publish a sealed set larger than this (default: ${DEFAULT-VALUE}, under the topic's 64 MiB).")
    long maxSetBytes;

    @Option(names = "--no-replay", description = "Do not rebuild the reservoirs from the start of the samples topic at start.")
    boolean noReplay;

    @Option(names = "--report-dir", defaultValue = "trainer-reports", paramLabel = "DIR", description = "Where each refit's report JSON goes (default: ${DEFAULT-VALUE}).")
    Path reportDir;

    @Option(names = "--http-port", defaultValue = "8081", description = "Port of /metrics and /healthz; 0 = any, -1 = none (default: ${DEFAULT-VALUE}).")
    int httpPort;

    @Option(names = "--http-bind-address", defaultValue = TrainerSettings.DEFAULT_HTTP_BIND_ADDRESS, paramLabel = "ADDRESS",
            description = "Address of the HTTP server; 0.0.0.0 to be scraped from other hosts (default: ${DEFAULT-VALUE}).")
    String httpBindAddress;

    @Option(names = "--harmful", paramLabel = "FILE", description = "Also seed the reservoir with these harmful rows (.npy, .safetensors, vLLM dir); needs --model-id.")
    Path harmful;

    @Option(names = "--harmless", paramLabel = "FILE", description = "Also seed the reservoir with these harmless rows.")
    Path harmless;

    @Mixin
    SigningOptions signing;

    /** --layers (also the reservoirs' layer set; default: each model's first sample's layers), and how files are read. */
    @Mixin
    ActivationInputOptions input;

    @Override
    public Integer call() throws Exception {
        if ((harmful != null || harmless != null) && (modelId == null || modelId.isBlank()))
            throw CliException.usage("--harmful/--harmless need --model-id (files carry no model id)");
        TrainerSettings settings;
        try {
            settings = new TrainerSettings(kafka.clientProperties(), samplesTopic, kafka.directionsTopic, kafka.historyTopic,
                    groupId, modelId, input.layers == null ? null : input.layers.stream().mapToInt(Integer::intValue).toArray(),
                    reservoirSize, refitAfter, refitInterval, minAuc, minSelectivity, maxRegression, minPerClass,
                    holdoutFraction, seed, exactMaxDim, lowRankK, maxSetBytes, !noReplay, reportDir, httpPort, httpBindAddress, kafka.timeout,
                    targetFpr, signing.signer());
        } catch (IllegalArgumentException e) {
            throw CliException.usage(e.getMessage());
        }
        TrainerService service = new TrainerService(settings);
        Thread hook = new Thread(service::close, "probe-trainer-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            if (harmful != null) seed(service, harmful, true);
            if (harmless != null) seed(service, harmless, false);
            service.start();
            service.awaitStop();
        } finally {
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
                service.close();
            } catch (IllegalStateException shuttingDown) {
                // the hook is closing it
            }
        }
        Throwable failure = service.failure();
        if (failure == null) return ExitCodes.OK;
        // One line for the operator (e.g. a refused login or a missing ACL on the samples topic or the group).
        throw new CliException(ExitCodes.RUNTIME_FAILURE, "the samples consumer stopped: "
                + dev.refusalmonitor.cli.CommandLines.kafkaFailure(failure), failure);
    }

    /** Feeds every row of a file through the same validation as topic samples. */
    private void seed(TrainerService service, Path file, boolean isHarmful) throws java.io.IOException {
        ActivationSet set = input.load(file);
        int[] ls = set.layers();
        float[][] all = new float[ls.length][];
        for (int l = 0; l < ls.length; l++) all[l] = set.layer(ls[l]);
        Labels labels = Labels.newBuilder().setHarm(isHarmful ? HarmLabel.HARM_LABEL_HARMFUL : HarmLabel.HARM_LABEL_HARMLESS)
                .setSource("file:" + file.getFileName()).build();
        int d = set.d(), accepted = 0;
        for (int i = 0; i < set.n(); i++) {
            float[][] v = new float[ls.length][];
            for (int l = 0; l < ls.length; l++) v[l] = java.util.Arrays.copyOfRange(all[l], i * d, (i + 1) * d);
            SampleOutcome o = service.intake().offer(new DecodedHiddenState(file + "#" + i, modelId, "", "", "", 0,
                    TokenPosition.TOKEN_POSITION_LAST_PROMPT_TOKEN, 0, ls.clone(), v, labels));
            service.metrics().sample(o);
            if (o.kind() == SampleOutcome.Kind.ACCEPTED) accepted++;
        }
        spec.commandLine().getErr().printf("run: %d of %d rows of %s accepted as %s%n", accepted, set.n(), file,
                isHarmful ? "harmful" : "harmless");
        spec.commandLine().getErr().flush();
    }
}
