package dev.refusalmonitor.trainer.service;

import dev.refusalmonitor.contract.directions.DirectionSetModel;
import dev.refusalmonitor.math.fit.DirectionFitter;
import dev.refusalmonitor.math.fit.LabelledLayers;
import dev.refusalmonitor.schemas.InvalidDirectionSetException;
import dev.refusalmonitor.trainer.publish.DirectionsCatalog;
import dev.refusalmonitor.trainer.publish.PublishedSet;
import dev.refusalmonitor.trainer.publish.SetTooLargeException;
import dev.refusalmonitor.trainer.publish.VersionedPublisher;
import dev.refusalmonitor.trainer.reservoir.SampleIntake;
import dev.refusalmonitor.trainer.reservoir.SampleOutcome;
import dev.refusalmonitor.trainer.reservoir.SampleReservoir;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The trainer service: consumes labelled samples, keeps a stratified reservoir per model, refits on a schedule
 * and/or after N new samples, gates the result, and publishes new versions.
 *
 * <p><b>Threads.</b> One consumer thread (samples → reservoirs), one refit thread (fits run one at a time on a
 * snapshot of the reservoir, so polling never stalls behind a long fit), one timer thread (interval refits), and
 * the HTTP thread.
 *
 * <p><b>Delivery of samples: at least once.</b> Offsets are committed after each polled batch is in the reservoirs,
 * so a crash replays at most that batch. A replayed sample is just one more draw for Algorithm R: it may be kept
 * twice, which slightly over-weights it and harms nothing. Exactly-once would need the reservoir itself to be
 * transactional state, which it is not (it lives in memory). Because it lives in memory, a restarted trainer
 * replays the samples topic from its beginning (its retention window; {@code replayOnStart}) to rebuild the
 * reservoirs; only samples newer than the version in force count towards {@code refitAfter}, so a restart does
 * not by itself trigger a refit.
 */
public final class TrainerService implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(TrainerService.class);

    private final TrainerSettings settings;
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final TrainerMetrics metrics = new TrainerMetrics();
    private final SampleIntake intake;
    private final VersionedPublisher publisher;
    private final QualityGate gate;
    private final Map<String, DirectionSetModel> inForce = new ConcurrentHashMap<>();
    private final Map<String, AtomicLong> newSinceFit = new ConcurrentHashMap<>();
    private final Map<String, RefitResult> lastRefit = new ConcurrentHashMap<>();
    private final Set<String> refitQueued = ConcurrentHashMap.newKeySet();
    private final ExecutorService refitter = Executors.newSingleThreadExecutor(daemon("probe-trainer-refit"));
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(daemon("probe-trainer-timer"));
    private final CountDownLatch consumerStopped = new CountDownLatch(1);
    private volatile boolean running;
    private volatile boolean started;
    private volatile Throwable failure;
    private KafkaConsumer<String, byte[]> consumer;
    private Thread consumerThread;
    private TrainerHttp http;

    public TrainerService(TrainerSettings settings) {
        this.settings = settings;
        metrics.bindTo(registry);
        this.intake = new SampleIntake(settings.modelFilter(), settings.layers(), settings.reservoirSize(), settings.seed(),
                r -> {
                    metrics.reservoir(r);
                    SampleReservoir.Stats st = r.stats();
                    LOG.info("reservoir for model '{}': layers {}, d = {}, {} rows per class; {} bytes when full",
                            r.modelId(), java.util.Arrays.toString(r.layers()), r.d(), st.capacityPerClass(), st.capacityBytes());
                });
        this.publisher = new VersionedPublisher(settings.clientProperties(), settings.directionsTopic(),
                settings.historyTopic(), settings.maxSetBytes(), settings.timeout(), settings.signer());
        this.gate = new QualityGate(settings.minAuc(), settings.minSelectivity(), settings.maxRegression());
    }

    /**
     * Creates the directions and history topics when missing, reads the versions in force, and starts consuming
     * (and the HTTP server when the port is not -1).
     */
    public synchronized void start() throws IOException {
        if (started) throw new IllegalStateException("already started");
        started = true;
        VersionedPublisher.ensureTopics(settings.clientProperties(), settings.directionsTopic(), settings.historyTopic(),
                settings.maxSetBytes(), settings.timeout());
        for (PublishedSet p : DirectionsCatalog.inForce(settings.clientProperties(), settings.directionsTopic(), settings.timeout()).values()) {
            inForce.put(p.set().modelId(), p.set());
            metrics.version(p.set().modelId(), p.set().version());
            LOG.info("in force: model '{}' version {}", p.set().modelId(), p.set().version());
        }
        if (settings.httpPort() >= 0) {
            http = new TrainerHttp(settings.httpBindAddress(), settings.httpPort(), registry::scrape, this::healthy);
            LOG.info("probe-trainer started, listening on http://{}:{} (/metrics, /healthz)", settings.httpBindAddress(), http.port());
        }
        running = true;
        consumer = new KafkaConsumer<>(consumerProperties(), new StringDeserializer(), new ByteArrayDeserializer());
        consumerThread = new Thread(this::consume, "probe-trainer-samples");
        consumerThread.setDaemon(true);
        consumerThread.start();
        Duration every = settings.refitInterval();
        if (every != null && !every.isZero()) {
            long ms = every.toMillis();
            timer.scheduleAtFixedRate(() -> {
                for (Map.Entry<String, AtomicLong> e : newSinceFit.entrySet())
                    if (e.getValue().get() > 0) queueRefit(e.getKey());
            }, ms, ms, TimeUnit.MILLISECONDS);
        }
    }

    private Properties consumerProperties() {
        Properties p = new Properties();
        p.putAll(settings.clientProperties());
        p.put(ConsumerConfig.GROUP_ID_CONFIG, settings.groupId());
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        p.putIfAbsent(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.putIfAbsent(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "500");
        return p;
    }

    private void consume() {
        Set<TopicPartition> replayed = new HashSet<>();
        try {
            consumer.subscribe(List.of(settings.samplesTopic()), new ConsumerRebalanceListener() {
                @Override
                public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
                }

                @Override
                public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
                    if (!settings.replayOnStart()) return;
                    List<TopicPartition> fresh = new ArrayList<>();
                    for (TopicPartition tp : partitions) if (replayed.add(tp)) fresh.add(tp);
                    // The reservoirs live in memory: rebuild them from the topic's retention window.
                    if (!fresh.isEmpty()) consumer.seekToBeginning(fresh);
                }
            });
            while (running) {
                ConsumerRecords<String, byte[]> records = consumer.poll(Duration.ofMillis(200));
                for (ConsumerRecord<String, byte[]> r : records) accept(r.timestamp(), r.value());
                if (!records.isEmpty()) consumer.commitAsync();
            }
            consumer.commitSync(Duration.ofSeconds(5));
        } catch (WakeupException e) {
            if (running) failure = e;
        } catch (RuntimeException e) {
            failure = e;
            LOG.error("the samples consumer stopped: {}", e.toString());
        } finally {
            try {
                consumer.close(Duration.ofSeconds(5));
            } catch (RuntimeException e) {
                LOG.warn("closing the samples consumer: {}", e.toString());
            }
            consumerStopped.countDown();
        }
    }

    /**
     * Takes one sample (a training-samples record value with its timestamp): validates it, adds it to its model's
     * reservoir, counts it, and queues a refit when the model has {@code refitAfter} new samples.
     */
    public SampleOutcome accept(long timestampMs, byte[] value) {
        SampleOutcome o = intake.offer(value);
        metrics.sample(o);
        if (o.kind() == SampleOutcome.Kind.SKIPPED)
            LOG.debug("skipped a sample ({}): {}", o.reason(), o.detail());
        if (o.kind() == SampleOutcome.Kind.ACCEPTED) {
            DirectionSetModel current = inForce.get(o.modelId());
            // Replayed samples older than the set in force are not "new": a restart alone does not refit.
            if (current == null || timestampMs > current.createdAtUnixMs()) {
                long n = newSinceFit.computeIfAbsent(o.modelId(), k -> new AtomicLong()).incrementAndGet();
                if (settings.refitAfter() > 0 && n >= settings.refitAfter()) queueRefit(o.modelId());
            }
        }
        return o;
    }

    private void queueRefit(String model) {
        if (!refitQueued.add(model)) return;
        refitter.submit(() -> {
            try {
                refit(model);
            } catch (RuntimeException e) {
                LOG.error("refit of model '{}' failed: {}", model, e.toString());
            } finally {
                refitQueued.remove(model);
            }
        });
    }

    /** Fits, gates and (when the gate passes) publishes a new version for {@code model}, now, on this thread. */
    public RefitResult refit(String model) {
        long t0 = System.nanoTime();
        RefitResult r;
        try {
            r = refitOnce(model);
        } catch (RuntimeException e) {
            LOG.error("refit of model '{}' failed: {}", model, e.getMessage());
            r = new RefitResult(model, RefitResult.Outcome.FAILED, 0, null, e.getMessage(), null);
        }
        metrics.refit(model, r.outcomeTag(), System.nanoTime() - t0);
        lastRefit.put(model, r);
        return r;
    }

    private RefitResult refitOnce(String model) {
        SampleReservoir res = intake.reservoir(model);
        if (res == null) return new RefitResult(model, RefitResult.Outcome.SKIPPED, 0, null, "no samples for model '" + model + "'", null);
        SampleReservoir.Stats stats = res.stats();
        if (stats.harmful() < settings.minPerClass() || stats.harmless() < settings.minPerClass()) {
            String msg = String.format("model '%s' has %d harmful / %d harmless samples, fewer than %d per class",
                    model, stats.harmful(), stats.harmless(), settings.minPerClass());
            LOG.info("refit skipped: {}", msg);
            return new RefitResult(model, RefitResult.Outcome.SKIPPED, 0, null, msg, null);
        }
        newSinceFit.computeIfAbsent(model, k -> new AtomicLong()).set(0);
        LabelledLayers data = res.snapshot();
        LOG.info("refit of model '{}': {} harmful / {} harmless rows, layers {}, d = {}, reservoir {} bytes",
                model, data.nHarmful(), data.nHarmless(), java.util.Arrays.toString(data.layers()), data.d(), stats.allocatedBytes());
        DirectionFitter.Options options = new DirectionFitter.Options(model, "", 1, settings.holdoutFraction(),
                settings.seed(), settings.probeOptions(), settings.lowRankK(), settings.exactMaxDim(),
                DirectionFitter.DEFAULT_MAHALANOBIS_L2_NORMALIZE, 0.001, null,
                settings.minPerClass(), msg -> LOG.info("refit {}: {}", model, msg))
                .withDetection(settings.targetFpr(), 0, DirectionFitter.DEFAULT_CV_FOLDS, DirectionFitter.MultiLayer.AUTO,
                        DirectionFitter.DEFAULT_MULTI_LAYER_COUNT);
        DirectionFitter.Result fit = DirectionFitter.fit(data, null, options);
        LabelledLayers heldOut = fit.heldOut();
        DirectionSetModel current = inForce.get(model);
        GateResult verdict = gate.evaluate(fit.report(), heldOut, current);
        TrainerReport base = new TrainerReport(model, 0, false, "", System.currentTimeMillis(), stats, verdict, fit.report());
        if (!verdict.passed()) {
            for (GateResult.Failure f : verdict.failures()) metrics.gateFailure(f.reason());
            TrainerReport rep = base.refused(verdict.summary());
            LOG.warn("model '{}': not published, quality gate failed: {}", model, verdict.summary());
            return new RefitResult(model, RefitResult.Outcome.REJECTED, 0, rep, verdict.summary(), writeReport(rep));
        }
        TrainerReport[] publishedReport = new TrainerReport[1];
        DirectionSetModel[] publishedSet = new DirectionSetModel[1];
        VersionedPublisher.Published p;
        try {
            p = publisher.publish(model, v -> {
                TrainerReport rep = base.published(v);
                DirectionSetModel out = fit.set().withVersion(v, System.currentTimeMillis()).withReportJson(rep.toJson());
                publishedReport[0] = rep;
                publishedSet[0] = out;
                return out;
            });
        } catch (SetTooLargeException e) {
            metrics.gateFailure(GateResult.SET_TOO_LARGE);
            TrainerReport rep = base.refused(e.getMessage());
            LOG.error("model '{}': not published: {}", model, e.getMessage());
            return new RefitResult(model, RefitResult.Outcome.REJECTED, 0, rep, e.getMessage(), writeReport(rep));
        } catch (InvalidDirectionSetException e) {
            throw new IllegalStateException("the fitted set does not validate: " + e.getMessage(), e);
        }
        inForce.put(model, publishedSet[0]);
        metrics.version(model, p.version());
        return new RefitResult(model, RefitResult.Outcome.PUBLISHED, p.version(), publishedReport[0],
                "published version " + p.version() + " (" + p.sizeBytes() + " bytes)", writeReport(publishedReport[0]));
    }

    private Path writeReport(TrainerReport rep) {
        if (settings.reportDir() == null) return null;
        try {
            Files.createDirectories(settings.reportDir());
            String safe = rep.modelId().replaceAll("[^A-Za-z0-9._-]", "_");
            String name = safe + "-" + rep.createdAtUnixMs() + (rep.published() ? "-v" + rep.version() : "-rejected") + ".json";
            Path target = settings.reportDir().resolve(name);
            Path tmp = target.resolveSibling(name + ".tmp");
            Files.writeString(tmp, rep.toJson() + "\n", StandardCharsets.UTF_8);
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            return target;
        } catch (IOException e) {
            LOG.warn("could not write the report for model '{}': {}", rep.modelId(), e.toString());
            return null;
        }
    }

    /** True while the samples consumer runs without failure. */
    public boolean healthy() {
        return running && failure == null && consumerThread != null && consumerThread.isAlive();
    }

    public TrainerMetrics metrics() {
        return metrics;
    }

    public String scrape() {
        return registry.scrape();
    }

    public SampleIntake intake() {
        return intake;
    }

    /** The version in force for {@code model} as this trainer knows it, or null. */
    public DirectionSetModel inForce(String model) {
        return inForce.get(model);
    }

    /** The last refit's result for {@code model}, or null. */
    public RefitResult lastRefit(String model) {
        return lastRefit.get(model);
    }

    /** Bound HTTP port, or -1 without HTTP. */
    public int httpPort() {
        return http == null ? -1 : http.port();
    }

    public Throwable failure() {
        return failure;
    }

    /** Blocks until the consumer stops (close, or a failure). */
    public void awaitStop() throws InterruptedException {
        consumerStopped.await();
    }

    @Override
    public synchronized void close() {
        running = false;
        timer.shutdownNow();
        if (consumer != null) {
            consumer.wakeup();
            try {
                if (!consumerStopped.await(15, TimeUnit.SECONDS)) LOG.warn("the samples consumer did not stop within 15 s");
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        refitter.shutdownNow();
        try {
            if (!refitter.awaitTermination(10, TimeUnit.SECONDS)) LOG.warn("a refit was still running at close");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (http != null) http.close();
        publisher.close();
        registry.close();
    }

    private static java.util.concurrent.ThreadFactory daemon(String name) {
        return r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        };
    }
}
