package dev.refusalmonitor.monitor.app;

import dev.refusalmonitor.monitor.config.MonitorConfig;
import dev.refusalmonitor.monitor.drift.DriftMetrics;
import dev.refusalmonitor.monitor.drift.DriftParts;
import dev.refusalmonitor.monitor.http.HttpEndpoints;
import dev.refusalmonitor.monitor.http.StreamsHealth;
import dev.refusalmonitor.schemas.kafka.TopicProvisioner;
import dev.refusalmonitor.monitor.kafka.Topics;
import dev.refusalmonitor.monitor.metrics.DirectionSetMetrics;
import dev.refusalmonitor.monitor.metrics.ModelLabels;
import dev.refusalmonitor.monitor.metrics.MonitorMetrics;
import dev.refusalmonitor.monitor.stream.MonitorErrorHandlers;
import dev.refusalmonitor.monitor.stream.PollScoring;
import dev.refusalmonitor.monitor.stream.PollScoringInterceptor;
import dev.refusalmonitor.monitor.stream.RecordLimits;
import dev.refusalmonitor.monitor.metrics.ScoringMetrics;
import dev.refusalmonitor.monitor.stream.DirectionRegistry;
import dev.refusalmonitor.monitor.stream.DirectionTrust;
import dev.refusalmonitor.schemas.kafka.DirectionHistory;
import dev.refusalmonitor.contract.TopicId;
import dev.refusalmonitor.monitor.stream.ScoreListener;
import dev.refusalmonitor.monitor.stream.ScoringTopology;
import dev.refusalmonitor.schemas.v1.DeadLetterReason;
import dev.refusalmonitor.schemas.v1.SafetyScore;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;

/**
 * The running monitor: topics provisioned, the scoring topology in a {@link KafkaStreams} instance, metrics and the
 * HTTP endpoints. {@code run} and {@code demo} both start exactly this.
 */
public final class MonitorApp implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(MonitorApp.class);
    private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(30);

    private final MonitorConfig config;
    private final MonitorMetrics metrics;
    private final DirectionRegistry registry;
    private final KafkaStreams streams;
    private final StreamsHealth health;
    private final HttpEndpoints http;
    private final java.util.concurrent.CountDownLatch stopped;
    /** Null when drift tracking is disabled. */
    private final DriftMetrics drift;
    private final java.util.concurrent.atomic.AtomicReference<Throwable> failure;

    private MonitorApp(MonitorConfig config, MonitorMetrics metrics, DirectionRegistry registry, KafkaStreams streams,
                       StreamsHealth health, HttpEndpoints http, java.util.concurrent.CountDownLatch stopped,
                       DriftMetrics drift, java.util.concurrent.atomic.AtomicReference<Throwable> failure) {
        this.failure = failure;
        this.stopped = stopped;
        this.drift = drift;
        this.config = config;
        this.metrics = metrics;
        this.registry = registry;
        this.streams = streams;
        this.health = health;
        this.http = http;
    }

    /**
     * Provisions missing topics, builds the topology and starts it with the HTTP endpoints.
     *
     * @param listener sees every outcome (the demo's summary); {@link ScoreListener#NONE} for none
     */
    public static MonitorApp start(MonitorConfig config, ScoreListener listener) {
        LOG.info("starting monitor: {}", config.describe());
        if (!dev.refusalmonitor.math.FloatKernels.SIMD) LOG.warn(dev.refusalmonitor.monitor.cli.SimdNotice.TEXT);
        try (Admin admin = Admin.create(config.adminProperties())) {
            TopicProvisioner.Result r = new TopicProvisioner(admin, Duration.ofSeconds(60)).provision(config.topics());
            // Without Create rights (the Kubernetes base) every one of them must exist already: say which they are.
            LOG.info("expected topics {}: present {}, created {}",
                    config.topics().stream().map(t -> t.name()).toList(), r.existing(), r.created());
            r.warnings().forEach(LOG::warn);
        }
        MonitorMetrics metrics = new MonitorMetrics();
        DirectionSetMetrics directionMetrics = metrics.bind(new DirectionSetMetrics());
        DirectionTrust trust = DirectionTrust.from(config);
        if (!trust.required())
            LOG.warn("{}=false: direction sets are accepted without a signature; anyone who can write the directions "
                    + "topic can change what this monitor flags", MonitorConfig.DIRECTIONS_REQUIRE_SIGNATURE);
        else if (trust.keys().isEmpty())
            LOG.warn("no trusted keys ({} is empty): every direction set will be rejected until one is configured",
                    MonitorConfig.DIRECTIONS_TRUSTED_KEYS);
        else
            LOG.info("direction sets must be signed by one of the trusted keys {}", trust.keys().keyIds());
        DirectionHistory history = new DirectionHistory(config.consumerProperties(),
                config.topic(TopicId.DIRECTIONS_HISTORY).name(), Duration.ofSeconds(60));
        DirectionRegistry registry = new DirectionRegistry(directionMetrics, Clock.systemUTC(), trust, history::newestFirst);
        // Model labels only for models with a direction set in force: a record cannot create a series.
        ScoringMetrics scoring = metrics.bind(new ScoringMetrics(io.micrometer.core.instrument.Tags.empty(),
                new ModelLabels(m -> registry.get(m) != null, config.metricsMaxModels())));
        DriftMetrics drift = config.driftEnabled() ? metrics.bind(new DriftMetrics()) : null;
        RecordLimits limits = new RecordLimits(config.decodeLimits(), config.dlqMaxOriginalBytes());
        Topics topics = Topics.from(config);
        PollScoring batches = config.scoringBatchSize() > 1
                ? new PollScoring(topics.hiddenStates().name(), registry, limits.decode(), config.scoringBatchSize())
                : null;
        Topology topology = ScoringTopology.build(topics,
                new ScoringTopology.Parts(registry, scoring, config.noDirectionsPolicy(), listener, Clock.systemUTC(),
                        limits, drift == null ? null : DriftParts.from(config, drift), batches));
        java.util.Properties props = config.streamsProperties();
        if (batches != null) {
            addPollScoring(props, batches);
            metrics.bind(r -> io.micrometer.core.instrument.FunctionCounter.builder(
                            dev.refusalmonitor.monitor.metrics.MetricNames.BATCH_SCORED, batches, PollScoring::batchedRecords)
                    .description("Records scored in a batch of their poll").register(r));
        }
        props.put(MonitorErrorHandlers.HOOKS_CONFIG, new MonitorErrorHandlers.Hooks(scoring,
                topics.hiddenStatesDlq().name(), config.dlqMaxOriginalBytes(), Clock.systemUTC(),
                drift == null ? java.util.Set.of() : java.util.Set.of(topics.drift().name(), topics.driftPartials().name()),
                drift == null ? () -> { } : drift::reportFailed));
        dropGlobalStoreCopy(props, config.applicationId());
        KafkaStreams streams = new KafkaStreams(topology, props);
        StreamsHealth health = new StreamsHealth(streams::state, registry::size);
        java.util.concurrent.atomic.AtomicReference<Throwable> failure = new java.util.concurrent.atomic.AtomicReference<>();
        ThreadReplacementBudget budget = new ThreadReplacementBudget(5, Duration.ofMinutes(1));
        streams.setUncaughtExceptionHandler(e -> {
            health.recordFailure(e);
            // A refused login or a missing ACL: no new thread can fix it, so stop and say so at once.
            if (dev.refusalmonitor.cli.CommandLines.securityFailure(e) != null) {
                failure.compareAndSet(null, e);
                LOG.error("stream thread failed on Kafka security; shutting the client down: {}",
                        dev.refusalmonitor.cli.CommandLines.kafkaFailure(e));
                return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
            }
            // Per-record errors never get here (they are dead-lettered); what does is the client's own trouble. Replace
            // the thread a few times, and stop the client only if it keeps failing, so the process exits visibly.
            if (budget.tryTake()) {
                LOG.error("stream thread failed; replacing it", e);
                return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.REPLACE_THREAD;
            }
            failure.compareAndSet(null, e);
            LOG.error("stream threads keep failing ({} replacements within {}); shutting the client down",
                    budget.max(), budget.window(), e);
            return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
        });
        java.util.concurrent.CountDownLatch stopped = new java.util.concurrent.CountDownLatch(1);
        streams.setStateListener((now, before) -> {
            LOG.info("Kafka Streams {} -> {}", before, now);
            if (now == KafkaStreams.State.ERROR || now == KafkaStreams.State.NOT_RUNNING) stopped.countDown();
        });
        metrics.bindKafkaStreams(streams);
        HttpEndpoints http;
        try {
            http = HttpEndpoints.start(config.httpBindAddress(), config.httpPort(), metrics.registry(),
                    health::liveness, health::readiness);
        } catch (java.io.IOException | RuntimeException e) {
            streams.close(CLOSE_TIMEOUT);
            metrics.close();
            throw new IllegalStateException("cannot serve HTTP on " + config.httpBindAddress() + ":" + config.httpPort()
                    + ": " + e.getMessage(), e);
        }
        streams.start();
        LOG.info("monitor started, listening on {} (/metrics, /healthz, /readyz)", http.baseUri());
        return new MonitorApp(config, metrics, registry, streams, health, http, stopped, drift, failure);
    }

    /**
     * Hands each poll of the stream threads' main consumer to {@code batches} ({@link PollScoringInterceptor}, after
     * any interceptors the user configured for that consumer).
     */
    static void addPollScoring(java.util.Properties props, PollScoring batches) {
        String key = org.apache.kafka.clients.consumer.ConsumerConfig.INTERCEPTOR_CLASSES_CONFIG;
        String main = org.apache.kafka.streams.StreamsConfig.mainConsumerPrefix(key);
        Object configured = props.get(main);
        if (configured == null) configured = props.get(org.apache.kafka.streams.StreamsConfig.consumerPrefix(key));
        if (configured == null) configured = props.get(key);
        String ours = PollScoringInterceptor.class.getName();
        String given = configured == null ? "" : configured.toString().trim(); // settings arrive as strings
        String list = given.isEmpty() ? ours : given + "," + ours;
        props.put(main, list);
        props.put(org.apache.kafka.streams.StreamsConfig.mainConsumerPrefix(PollScoring.CONFIG), batches);
    }

    /**
     * Deletes the local copy of the global directions store ({@code <state.dir>/<application.id>/global}) so that it
     * is rebuilt from the directions topic through the loader at every start, as with an in-memory store. The store is
     * persistent only so that Kafka Streams keeps the process id in {@code state.dir} (fast recovery, see
     * {@link ScoringTopology}); a checkpoint kept across starts would make the global thread fail when the directions
     * topic was recreated or the cluster replaced (its offsets out of range), and it would skip the loader for the
     * records before it.
     */
    static void dropGlobalStoreCopy(java.util.Properties props, String applicationId) {
        String stateDir = new org.apache.kafka.streams.StreamsConfig(props).getString(org.apache.kafka.streams.StreamsConfig.STATE_DIR_CONFIG);
        java.nio.file.Path global = java.nio.file.Path.of(stateDir, applicationId, "global");
        if (!java.nio.file.Files.exists(global)) return;
        try (java.util.stream.Stream<java.nio.file.Path> walk = java.nio.file.Files.walk(global)) {
            for (java.nio.file.Path f : walk.sorted(java.util.Comparator.reverseOrder()).toList()) java.nio.file.Files.deleteIfExists(f);
        } catch (java.io.IOException e) {
            throw new IllegalStateException("cannot delete the local copy of the directions store at " + global + ": " + e, e);
        }
    }

    /** At most {@code max} thread replacements within a sliding {@code window}. Thread-safe. */
    static final class ThreadReplacementBudget {
        private final int max;
        private final Duration window;
        private final java.util.ArrayDeque<Long> taken = new java.util.ArrayDeque<>();

        ThreadReplacementBudget(int max, Duration window) {
            this.max = max;
            this.window = window;
        }

        synchronized boolean tryTake() {
            long now = System.nanoTime();
            while (!taken.isEmpty() && now - taken.peekFirst() > window.toNanos()) taken.pollFirst();
            if (taken.size() >= max) return false;
            taken.addLast(now);
            return true;
        }

        int max() {
            return max;
        }

        Duration window() {
            return window;
        }
    }

    public MonitorConfig config() {
        return config;
    }

    public DirectionRegistry registry() {
        return registry;
    }

    public KafkaStreams streams() {
        return streams;
    }

    public StreamsHealth health() {
        return health;
    }

    public HttpEndpoints http() {
        return http;
    }

    public MonitorMetrics metrics() {
        return metrics;
    }

    /** The drift metrics (the slices this instance owns), or null when {@code refusal.monitor.drift.enabled=false}. */
    public DriftMetrics drift() {
        return drift;
    }

    /** Blocks until Kafka Streams stops (closed, or failed: then {@link #failed()} is true). */
    public void awaitStop() throws InterruptedException {
        stopped.await();
    }

    /** True when Kafka Streams went to ERROR. */
    public boolean failed() {
        return streams.state() == KafkaStreams.State.ERROR;
    }

    /** What stopped a stream thread (e.g. a refused login or a missing ACL), or null. */
    public Throwable failure() {
        return failure.get();
    }

    @Override
    public void close() {
        // Leave the group on a graceful close: a new member id is used on restart anyway, so staying in the group
        // only stalls this instance's partitions until session.timeout.ms (45 s) expires. Static members
        // (group.instance.id set) stay, since they rejoin under the same identity.
        boolean staticMember = config.kafkaSettings().keySet().stream().anyMatch(k -> k.endsWith("group.instance.id"));
        CloseOptions options = CloseOptions.timeout(CLOSE_TIMEOUT).withGroupMembershipOperation(staticMember
                ? CloseOptions.GroupMembershipOperation.REMAIN_IN_GROUP : CloseOptions.GroupMembershipOperation.LEAVE_GROUP);
        if (!streams.close(options)) LOG.warn("Kafka Streams did not close within {}", CLOSE_TIMEOUT);
        http.close();
        metrics.close();
    }
}
