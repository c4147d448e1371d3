package dev.refusalmonitor.demo;

import dev.refusalmonitor.contract.directions.DirectionSetModel;
import dev.refusalmonitor.math.fit.DirectionFitter;
import dev.refusalmonitor.monitor.app.MonitorApp;
import dev.refusalmonitor.monitor.config.MonitorConfig;
import dev.refusalmonitor.contract.TopicId;
import dev.refusalmonitor.embedded.EmbeddedKafkaCluster;
import dev.refusalmonitor.monitor.stream.LoadedDirections;
import dev.refusalmonitor.schemas.HiddenStateBuilder;
import dev.refusalmonitor.cli.CliException;
import dev.refusalmonitor.cli.CommandLines;
import dev.refusalmonitor.cli.ExitCodes;
import dev.refusalmonitor.schemas.kafka.DirectionPublisher;
import dev.refusalmonitor.schemas.signing.DirectionSetSigner;
import dev.refusalmonitor.schemas.signing.SigningKeys;
import dev.refusalmonitor.monitor.metrics.DirectionsRejectReason;
import dev.refusalmonitor.monitor.metrics.MetricNames;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import java.util.SplittableRandom;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code monitor-service demo}: the whole pipeline on an embedded broker, no arguments needed. Starts a real KRaft
 * broker in this JVM, fits and publishes initial directions, streams hidden states through the monitor, prints a live
 * summary and serves {@code /metrics}; later refits and publishes a new version to show a live update.
 */
@Command(name = "monitor-service demo", mixinStandardHelpOptions = true, version = "monitor-service demo 0.1.0",
        description = "Run the whole pipeline on an embedded Kafka broker: fit, publish, stream, score, /metrics.")
public final class DemoCommand implements Callable<Integer> {

    /** The configured command line, for {@code main} and tests. */
    public static CommandLine commandLine(PrintWriter out, PrintWriter err) {
        return CommandLines.configure(new CommandLine(new DemoCommand()), out, err);
    }

    /** {@code bin/monitor-service demo ARGS} runs this. */
    public static void main(String[] args) {
        CommandLines.runAndExit(DemoCommand::commandLine, args);
    }

    @Spec
    CommandSpec spec;

    /** Signs every set the demo publishes; the monitor trusts only its public key. */
    private DirectionSetSigner signer;

    @Option(names = "--rate", defaultValue = "200", description = "Requests per second sent (default: ${DEFAULT-VALUE}).")
    int rate;

    @Option(names = "--harmful-share", defaultValue = "0.15", description = "Share of harmful requests (default: ${DEFAULT-VALUE}).")
    double harmfulShare;

    @Option(names = "--duration", defaultValue = "0", description = "Stop after this many seconds (default: run until Ctrl-C).")
    long durationSeconds;

    @Option(names = "--update-after", defaultValue = "30", description = "Refit and publish version 2 after this many seconds (0: never; default: ${DEFAULT-VALUE}).")
    long updateAfterSeconds;

    @Option(names = "--http-port", defaultValue = "8080", description = "Port of /metrics, /healthz, /readyz on 127.0.0.1 (default: ${DEFAULT-VALUE}; 0 = any free port).")
    int httpPort;

    /** Where the demo's hidden states come from. */
    enum Traffic { transformer, synthetic }

    @Option(names = "--traffic", defaultValue = "transformer",
            description = "Hidden states from: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}: the MiniLM transformer on the shipped demo prompts; falls back to synthetic if the model cannot load).")
    Traffic trafficKind;

    @Option(names = "--model-id", defaultValue = "demo-model", description = "Model id of the demo traffic (default: ${DEFAULT-VALUE}).")
    String modelId;

    @Override
    public Integer call() throws Exception {
        if (rate < 1) throw CliException.usage("--rate must be >= 1");
        if (!(harmfulShare >= 0 && harmfulShare <= 1)) throw CliException.usage("--harmful-share must be in [0, 1]");
        PrintWriter out = spec.commandLine().getOut();
        quietKafkaLogs();
        AtomicBoolean stop = new AtomicBoolean();
        // The hook only raises the stop flag (the send loop and the waits poll it): interrupting the main thread
        // would break Kafka clients' and the broker's close half-way. It then waits for the demo's own cleanup, not
        // for the main thread: main ends in System.exit, which blocks until the shutdown hooks finish.
        java.util.concurrent.CountDownLatch cleanedUp = new java.util.concurrent.CountDownLatch(1);
        Thread hook = new Thread(() -> {
            stop.set(true);
            try {
                cleanedUp.await(60, java.util.concurrent.TimeUnit.SECONDS);
            } catch (InterruptedException ignored) {
                Thread.currentThread().interrupt();
            }
        }, "demo-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);

        try {
            runDemo(out, stop);
            out.println("demo stopped");
        } finally {
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // the hook is running: it waits for us
            }
            out.flush();
            cleanedUp.countDown();
        }
        return ExitCodes.OK;
    }

    private void runDemo(PrintWriter out, AtomicBoolean stop) throws Exception {
        DemoTraffic traffic = traffic(out);
        out.println("refusal-monitor demo: " + traffic.description());
        out.println("starting an embedded Kafka broker (KRaft, in this JVM) ...");
        out.flush();
        // An ephemeral signing key: the demo's monitor trusts only it, as a production monitor trusts only the trainer's.
        KeyPair key = SigningKeys.generate();
        DirectionSetSigner signer = DirectionSetSigner.of(key);
        Path keyDir = Files.createTempDirectory("refusal-monitor-demo-key");
        // Its own Kafka Streams state: the broker is new at every run, and two demos must not share a state lock.
        Path stateDir = Files.createTempDirectory("refusal-monitor-demo-state");
        try (EmbeddedKafkaCluster cluster = EmbeddedKafkaCluster.startDefault()) {
            SigningKeys.write(key, keyDir);
            Map<String, String> settings = new HashMap<>();
            settings.put(MonitorConfig.DIRECTIONS_TRUSTED_KEYS, keyDir.resolve(SigningKeys.PUBLIC_KEY_FILE).toString());
            settings.put("bootstrap.servers", cluster.bootstrapServers());
            settings.put("application.id", "refusal-monitor-demo");
            settings.put(MonitorConfig.HTTP_PORT, Integer.toString(httpPort));
            settings.put("commit.interval.ms", "500");
            settings.put("state.dir", stateDir.toString());
            MonitorConfig config = MonitorConfig.of(settings);
            LiveSummary summary = new LiveSummary();
            try (MonitorApp app = MonitorApp.start(config, summary);
                 DirectionPublisher publisher = new DirectionPublisher(config.producerProperties(),
                         config.topic(TopicId.DIRECTIONS).name(), Duration.ofSeconds(60));
                 KafkaProducer<String, byte[]> producer = producer(config)) {
                out.printf("monitor up: metrics http://%s:%d/metrics, health /healthz /readyz; broker %s%n",
                        config.httpBindAddress(), app.http().port(), cluster.bootstrapServers());
                this.signer = signer;
                publish(traffic, 1, publisher, out);
                awaitVersion(app, traffic.modelId(), 1, stop);
                showSignatureCheck(app, traffic.modelId(), publisher, out, stop);
                run(traffic, app, producer, publisher, summary, out, stop, config.topic(TopicId.HIDDEN_STATES).name());
            }
        } finally {
            Files.deleteIfExists(keyDir.resolve(SigningKeys.PRIVATE_KEY_FILE));
            Files.deleteIfExists(keyDir.resolve(SigningKeys.PUBLIC_KEY_FILE));
            Files.deleteIfExists(keyDir);
            try (java.util.stream.Stream<Path> walk = Files.walk(stateDir)) {
                for (Path f : walk.sorted(java.util.Comparator.reverseOrder()).toList()) Files.deleteIfExists(f);
            }
        }
    }

    /**
     * Offers an unsigned copy of the set in force with a higher version and a threshold that would flag nothing (what
     * anyone with write access to the topic could do) and shows that the monitor refuses it.
     */
    private void showSignatureCheck(MonitorApp app, String model, DirectionPublisher publisher, PrintWriter out,
                                    AtomicBoolean stop) throws Exception {
        DirectionSetModel inForce = app.registry().get(model).set();
        double before = rejectedUnsigned(app);
        publisher.publish(inForce.withVersion(1000, System.currentTimeMillis()), null);
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (rejectedUnsigned(app) <= before && System.nanoTime() < deadline && !stop.get()) Thread.sleep(50);
        out.printf("directions are signed by the demo's ephemeral key %s; an unsigned v1000 was %s, v%d stays in force%n",
                signer.keyId(), rejectedUnsigned(app) > before ? "refused (reason unsigned)" : "NOT refused in time",
                app.registry().get(model).version());
        out.flush();
    }

    private static double rejectedUnsigned(MonitorApp app) {
        var c = app.metrics().registry().find(MetricNames.DIRECTIONS_REJECTED)
                .tag(MetricNames.TAG_REASON, DirectionsRejectReason.UNSIGNED.tag()).counter();
        return c == null ? 0 : c.count();
    }

    private DemoTraffic traffic(PrintWriter out) {
        if (trafficKind == Traffic.transformer) {
            out.println("embedding the demo prompts with all-MiniLM-L6-v2 (ONNX Runtime, offline) ...");
            out.flush();
            try {
                return TransformerTraffic.load(modelId);
            } catch (dev.refusalmonitor.gateway.GatewayException | RuntimeException e) {
                out.println("the transformer is unavailable (" + e.getMessage() + "); using synthetic activations");
            }
        }
        return new SyntheticTraffic(modelId, 384, 4, 42);
    }

    private void run(DemoTraffic traffic, MonitorApp app, KafkaProducer<String, byte[]> producer,
                     DirectionPublisher publisher, LiveSummary summary, PrintWriter out, AtomicBoolean stop,
                     String topic) {
        SplittableRandom rnd = new SplittableRandom(7);
        long start = System.nanoTime();
        long sent = 0;
        AtomicLong failed = new AtomicLong();
        long nextReport = start + 2_000_000_000L;
        long lastScored = 0;
        long lastReportNanos = start;
        boolean updated = updateAfterSeconds <= 0;
        String[] tenants = {"tenant-a", "tenant-b"};
        int[] layers = traffic.layers();
        while (!stop.get() && !Thread.currentThread().isInterrupted()) {
            long now = System.nanoTime();
            double elapsed = (now - start) / 1e9;
            if (durationSeconds > 0 && elapsed >= durationSeconds) break;
            long due = (long) (elapsed * rate);
            while (sent < due) {
                boolean harmful = rnd.nextDouble() < harmfulShare;
                float[][] x = traffic.next(harmful, rnd);
                String requestId = UUID.randomUUID().toString();
                HiddenStateBuilder b = HiddenStateBuilder.create(requestId, traffic.modelId())
                        .tenant(tenants[(int) (sent % 2)]).route("chat").eventTimeUnixMs(System.currentTimeMillis());
                for (int l = 0; l < layers.length; l++) b.layer(layers[l], x[l]);
                byte[] value = b.toByteArray();
                producer.send(new ProducerRecord<>(topic, requestId, value), (m, e) -> {
                    if (e != null) failed.incrementAndGet();
                });
                sent++;
            }
            if (!updated && elapsed >= updateAfterSeconds) {
                updated = true;
                // Refit off the sending thread: traffic keeps flowing while version 2 is fitted.
                Thread refit = new Thread(() -> publish(traffic, 2, publisher, out), "demo-refit");
                refit.setDaemon(true);
                refit.start();
            }
            if (now >= nextReport) {
                long scored = summary.scored();
                double secs = (now - lastReportNanos) / 1e9;
                LoadedDirections d = app.registry().get(traffic.modelId());
                out.printf("t=%5.1fs sent %d, scored %d (%.0f/s), flagged %.1f%%, CAST fired %.1f%%, dead-lettered %d, directions v%s%s%n",
                        elapsed, sent, scored, (scored - lastScored) / secs,
                        scored == 0 ? 0.0 : 100.0 * summary.flagged() / scored,
                        scored == 0 ? 0.0 : 100.0 * summary.castFired() / scored, summary.deadLettered(),
                        d == null ? "-" : Long.toString(d.version()), failed.get() > 0 ? ", send failures " + failed.get() : "");
                out.flush();
                lastScored = scored;
                lastReportNanos = now;
                nextReport += 2_000_000_000L;
            }
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                break;
            }
        }
        producer.flush();
    }

    private synchronized void publish(DemoTraffic traffic, int version, DirectionPublisher publisher, PrintWriter out) {
        long t0 = System.nanoTime();
        DirectionFitter.Options o = DirectionFitter.Options.defaults(traffic.modelId());
        o = new DirectionFitter.Options(o.modelId(), "demo", version, o.holdoutFraction(), o.seed() + version, o.probe(),
                o.lowRankK(), o.exactMaxDim(), o.mahalanobisL2Normalize(), o.castStep(), o.ensembleLayers(),
                o.minPerClass(), null);
        DirectionFitter.Result r = DirectionFitter.fit(traffic.trainingSet(version), null, o);
        DirectionSetModel set = r.set();
        try {
            publisher.publish(set, signer);
        } catch (dev.refusalmonitor.schemas.InvalidDirectionSetException e) {
            throw new IllegalStateException("the demo's own direction set is invalid: " + e.getMessage(), e);
        }
        var cast = set.layer(set.castLayer()).cast();
        var rep = r.report();
        var headline = rep.headlineProbe();
        double threshold = set.multiLayerProbe() != null ? set.multiLayerProbe().probe().decisionThreshold()
                : set.layer(set.scoringLayer()).probe().decisionThreshold();
        out.printf("fitted and published directions v%d in %.1fs: scoring layer %d, headline probe %s %s "
                        + "(CV AUC %.3f); flagged when p >= %.3f (target FPR %.2f%%: expected FPR %.1f%%%s, CV TPR %.2f); "
                        + "CAST condition at layer %d fires when s %s %.3f (expected FPR %.1f%%, CV TPR %.2f)%n",
                version, (System.nanoTime() - t0) / 1e9, set.scoringLayer(), headline.kind(),
                java.util.Arrays.toString(headline.layers()), headline.auc(), threshold, 100 * set.targetFpr(),
                100 * rep.flagged().expectedFpr(), rep.flagged().targetMet() ? "" : ", too few harmless rows for the target",
                rep.flagged().tpr(), set.castLayer(), cast.firesAbove() ? ">" : "<", cast.threshold(),
                100 * rep.castFired().expectedFpr(), rep.castFired().tpr());
        out.flush();
    }

    /**
     * The embedded broker's own logs (the "kafka" loggers) are noise in a demo and are switched off; Kafka clients
     * log errors only; the monitor's own logs stay.
     */
    private static void quietKafkaLogs() {
        System.setProperty("org.slf4j.simpleLogger.log.kafka", "off");
        System.setProperty("org.slf4j.simpleLogger.log.state.change.logger", "off");
        System.setProperty("org.slf4j.simpleLogger.log.org.apache.kafka", "error");
    }

    private static void awaitVersion(MonitorApp app, String modelId, long version, AtomicBoolean stop)
            throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!stop.get()) {
            LoadedDirections d = app.registry().get(modelId);
            if (d != null && d.version() >= version) return;
            if (System.nanoTime() > deadline) throw new IllegalStateException("the monitor did not load directions within 60 s");
            Thread.sleep(50);
        }
    }

    private static KafkaProducer<String, byte[]> producer(MonitorConfig config) {
        Properties p = config.producerProperties();
        p.put(ProducerConfig.LINGER_MS_CONFIG, "5");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        return new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer());
    }
}
