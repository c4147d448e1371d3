package dev.refusalmonitor.monitor.drift;

import dev.refusalmonitor.math.drift.DriftConfig;
import dev.refusalmonitor.math.drift.DriftReport;
import dev.refusalmonitor.math.drift.DriftTracker;
import dev.refusalmonitor.math.drift.SliceKey;
import dev.refusalmonitor.monitor.config.MonitorConfig;
import dev.refusalmonitor.contract.TopicId;
import dev.refusalmonitor.monitor.metrics.MetricNames;
import dev.refusalmonitor.monitor.metrics.TagAllowlist;
import dev.refusalmonitor.monitor.stream.ScoreListener;
import dev.refusalmonitor.schemas.DecodedHiddenState;
import dev.refusalmonitor.schemas.v1.SafetyScore;
import io.micrometer.core.instrument.MeterRegistry;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongSupplier;

/**
 * Feeds every scored record into one {@link DriftTracker} and hands each closed window's {@link DriftReport} to
 * {@link DriftMetrics} (Prometheus gauges) and to the drift topic.
 *
 * <p><b>Threads.</b> {@link #scored} runs on the stream threads and the time advance on its own thread; the tracker
 * is not thread-safe, so every call into it holds one lock. The lock covers only the O(bins) aggregate update: the
 * tracker's sink collects closed windows into a list under the lock, and the metrics update and the producer send
 * happen after it is released, so a slow broker never blocks the other stream threads on the lock. One tracker per
 * instance (rather than per thread) keeps one reference per slice whatever the thread count.
 *
 * <p><b>Slices.</b> The tenant and route pass the metrics allowlists first ({@link TagAllowlist}): an allowlisted
 * value is kept, a missing one becomes {@link SliceKey#NONE} (the record counts only in the model total), any other
 * value {@link SliceKey#OTHER}, which folds the record into the model's overflow slice. The tracker's caps
 * ({@code refusal.monitor.drift.max.slices.per.model}, {@code .max.models}) bound the rest: past them, new pairs
 * go to (model, _other, _other) and new models to model _other, so memory and metric series stay bounded.
 *
 * <p><b>Time.</b> Count-based windows close on the record that fills them. For time-based windows a scheduled task
 * calls {@link DriftTracker#advanceTime} with the wall clock every {@code refusal.monitor.drift.advance.interval.ms}
 * (no Streams punctuator: the tracker spans all tasks), closing windows of slices that went quiet.
 *
 * <p><b>Delivery.</b> Reports go through a plain idempotent {@link KafkaProducer} owned by this listener, not through
 * the Streams exactly-once producer: a report is derived data about a window, not part of the score stream, and the
 * tracker's state is in memory anyway (a restart or a task reprocessed after a failure re-counts records and starts
 * the reference again). So reports are at-least-once: a consumer may see a window twice after a producer retry
 * across a restart, and should key on (slice, window_index). In exchange, reports never wait for a Streams commit
 * and a report failure never aborts a scoring transaction. Failed sends are counted
 * ({@code refusal_monitor_drift_reports_total{outcome="failed"}}) and logged, never retried by hand.
 */
public final class DriftListener implements ScoreListener, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(DriftListener.class);
    private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(10);

    private final Object lock = new Object();
    private final DriftTracker tracker;
    private final List<DriftReport> pending = new ArrayList<>();
    private final TagAllowlist tenants;
    private final TagAllowlist routes;
    private final DriftMetrics metrics;
    private final Producer<String, byte[]> producer;
    private final String topic;
    private final LongSupplier wallClock;
    private final AtomicBoolean warnedSkip = new AtomicBoolean();
    private final AtomicBoolean warnedSend = new AtomicBoolean();
    private volatile int sliceCount;
    private ScheduledExecutorService timer;

    /**
     * @param config    the tracker's configuration
     * @param tenants   tenants kept as their own slice
     * @param routes    routes kept as their own slice
     * @param registry  where {@link DriftMetrics} is bound
     * @param producer  writes the reports (owned: closed by {@link #close()})
     * @param topic     the drift topic
     * @param wallClock epoch milliseconds for the time advance
     */
    public DriftListener(DriftConfig config, TagAllowlist tenants, TagAllowlist routes, MeterRegistry registry,
                         Producer<String, byte[]> producer, String topic, LongSupplier wallClock) {
        if (producer == null || topic == null || topic.isBlank()) throw new IllegalArgumentException("producer and topic are required");
        this.tracker = new DriftTracker(config, pending::add);
        this.tenants = tenants;
        this.routes = routes;
        this.metrics = new DriftMetrics(() -> sliceCount);
        metrics.bindTo(registry);
        this.producer = producer;
        this.topic = topic;
        this.wallClock = wallClock;
    }

    /**
     * The monitor's listener: configuration from {@code refusal.monitor.drift.*} and the metrics allowlists, an
     * idempotent producer from the Kafka settings, and (for time-based windows) the time advance started.
     */
    public static DriftListener start(MonitorConfig config, MeterRegistry registry) {
        Properties p = config.producerProperties();
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.putIfAbsent(ProducerConfig.CLIENT_ID_CONFIG, config.applicationId() + "-drift-reports");
        // send() runs on a stream thread: bound how long a missing broker can hold it.
        p.putIfAbsent(ProducerConfig.MAX_BLOCK_MS_CONFIG, "5000");
        p.putIfAbsent(ProducerConfig.LINGER_MS_CONFIG, "50");
        KafkaProducer<String, byte[]> producer = new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer());
        DriftListener l = new DriftListener(config.driftConfig(), new TagAllowlist(config.tenantAllowlist()),
                new TagAllowlist(config.routeAllowlist()), registry, producer, config.topic(TopicId.DRIFT).name(),
                System::currentTimeMillis);
        if (config.driftConfig().windowDurationMs() > 0) l.startTimeAdvance(config.driftAdvanceIntervalMs());
        return l;
    }

    /** Runs {@link #advanceTime} with the wall clock every {@code intervalMs} on a daemon thread. */
    public synchronized void startTimeAdvance(long intervalMs) {
        if (timer != null) throw new IllegalStateException("time advance already started");
        timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "drift-time-advance");
            t.setDaemon(true);
            return t;
        });
        timer.scheduleAtFixedRate(() -> {
            try {
                advanceTime(wallClock.getAsLong());
            } catch (RuntimeException e) {
                LOG.error("drift time advance failed", e);
            }
        }, intervalMs, intervalMs, TimeUnit.MILLISECONDS);
    }

    @Override
    public void scored(DecodedHiddenState state, SafetyScore score) {
        String model = score.getModelId().isBlank() ? MetricNames.UNKNOWN : score.getModelId();
        SliceKey key = SliceKey.of(model, slicePart(tenants, score.getTenant()), slicePart(routes, score.getRoute()));
        long t = score.getEventTimeUnixMs() > 0 ? score.getEventTimeUnixMs() : score.getScoredAtUnixMs();
        List<DriftReport> closed;
        synchronized (lock) {
            try {
                boolean counted = tracker.observe(key, score.getProbeProbability(), score.getFlagged(),
                        score.getCastFired(), score.getOodTailProbability(), score.getMahalanobisRefusal(),
                        emptyToNull(score.getSector()), t, score.getDirectionsVersion());
                // Scored with an older set than the slice's (another thread had not seen the new set yet).
                if (!counted) metrics.skipped();
            } catch (IllegalArgumentException e) {
                // A score outside its domain must not stop the stream thread: count it and go on.
                metrics.skipped();
                if (warnedSkip.compareAndSet(false, true)) {
                    LOG.warn("drift tracker skipped a record of model '{}' (further skips only counted): {}", model,
                            e.getMessage());
                }
            }
            closed = drain();
        }
        publish(closed);
    }

    /** Closes time-based windows whose bucket ended at or before {@code nowMs} and publishes their reports. */
    public void advanceTime(long nowMs) {
        List<DriftReport> closed;
        synchronized (lock) {
            tracker.advanceTime(nowMs);
            closed = drain();
        }
        publish(closed);
    }

    /** Forgets a slice's reference (e.g. after a deliberate rollout); false when the slice is unknown. */
    public boolean rebaseline(SliceKey slice) {
        synchronized (lock) {
            return tracker.rebaseline(slice);
        }
    }

    public DriftMetrics metrics() {
        return metrics;
    }

    /** The slices tracked so far. */
    public List<SliceKey> slices() {
        synchronized (lock) {
            return List.copyOf(tracker.slices());
        }
    }

    private List<DriftReport> drain() {
        sliceCount = tracker.sliceCount();
        if (pending.isEmpty()) return List.of();
        List<DriftReport> out = List.copyOf(pending);
        pending.clear();
        return out;
    }

    private void publish(List<DriftReport> reports) {
        for (DriftReport r : reports) {
            metrics.record(r);
            try {
                producer.send(new ProducerRecord<>(topic, DriftReportJson.key(r), DriftReportJson.toBytes(r)), (m, e) -> {
                    if (e == null) {
                        metrics.reportSent();
                    } else {
                        failed(r, e);
                    }
                });
            } catch (RuntimeException e) {
                failed(r, e);
            }
        }
    }

    private void failed(DriftReport r, Exception e) {
        metrics.reportFailed();
        if (warnedSend.compareAndSet(false, true)) {
            LOG.warn("cannot write drift report {} window {} to {} (further failures only counted): {}", r.slice(),
                    r.windowIndex(), topic, e.toString());
        }
    }

    private static String slicePart(TagAllowlist allowlist, String value) {
        String tag = allowlist.tagValue(value);
        if (MetricNames.UNKNOWN.equals(tag)) return null;
        return MetricNames.OTHER.equals(tag) && !allowlist.allowed().contains(value) ? SliceKey.OTHER : tag;
    }

    private static String emptyToNull(String s) {
        return s == null || s.isEmpty() ? null : s;
    }

    /** Stops the time advance and flushes and closes the producer. Call after the stream threads stopped. */
    @Override
    public void close() {
        synchronized (this) {
            if (timer != null) {
                timer.shutdownNow();
                try {
                    timer.awaitTermination(5, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }
        producer.close(CLOSE_TIMEOUT);
    }
}
