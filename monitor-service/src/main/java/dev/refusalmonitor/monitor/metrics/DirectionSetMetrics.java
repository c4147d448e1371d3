package dev.refusalmonitor.monitor.metrics;

import java.time.Instant;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import io.micrometer.core.instrument.Clock;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.TimeGauge;
import io.micrometer.core.instrument.binder.MeterBinder;

/**
 * Direction-set metrics (names in {@link MetricNames}): the version in force and its age per model, and
 * rejected sets by reason. The age grows between updates, so a "stale directions" alert is a threshold
 * on {@code refusal_monitor_directions_age_seconds}.
 */
public final class DirectionSetMetrics implements MeterBinder {

    private final Iterable<Tag> extraTags;
    private final Clock clock;
    private volatile MeterRegistry registry;
    private final Map<DirectionsRejectReason, Counter> rejected = new EnumMap<>(DirectionsRejectReason.class);
    // Strong references: gauges only hold weak ones.
    private final Map<String, InForce> inForce = new ConcurrentHashMap<>();

    public DirectionSetMetrics() {
        this(Tags.empty(), Clock.SYSTEM);
    }

    /**
     * @param extraTags tags added to every meter
     * @param clock wall clock for the age gauge (a MockClock in tests)
     */
    public DirectionSetMetrics(Iterable<Tag> extraTags, Clock clock) {
        this.extraTags = extraTags;
        this.clock = clock;
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        for (DirectionsRejectReason r : DirectionsRejectReason.values()) {
            rejected.put(r, Counter.builder(MetricNames.DIRECTIONS_REJECTED)
                    .description("Direction sets rejected; the previous version stays in force")
                    .tags(extraTags).tag(MetricNames.TAG_REASON, r.tag())
                    .register(registry));
        }
        this.registry = registry;
    }

    /** Records that {@code version} (created at {@code createdAt}) is now in force for the model, read from the directions topic. */
    public void directionsLoaded(String model, long version, Instant createdAt) {
        directionsLoaded(model, version, createdAt, false);
    }

    /**
     * Records that {@code version} is now in force for the model; {@code fromHistory} when it was taken from the
     * history topic because the model's record on the directions topic could not be used.
     */
    public void directionsLoaded(String model, long version, Instant createdAt, boolean fromHistory) {
        MeterRegistry r = registry;
        if (r == null) {
            throw new IllegalStateException("DirectionSetMetrics is not bound to a registry");
        }
        String tag = ModelLabels.sanitize(model);
        InForce s = inForce.computeIfAbsent(tag, t -> {
            InForce n = new InForce();
            Tags tags = Tags.of(extraTags).and(MetricNames.TAG_MODEL, t);
            Gauge.builder(MetricNames.DIRECTIONS_VERSION, n, x -> x.version)
                    .description("Version of the direction set in force")
                    .tags(tags).register(r);
            TimeGauge.builder(MetricNames.DIRECTIONS_AGE, n, TimeUnit.MILLISECONDS,
                            x -> Math.max(0, clock.wallTime() - x.createdAtMillis))
                    .description("Time since the direction set in force was created")
                    .tags(tags).register(r);
            Gauge.builder(MetricNames.DIRECTIONS_FROM_HISTORY, n, x -> x.fromHistory ? 1 : 0)
                    .description("1 when the set in force was taken from the history topic because the model's "
                            + "directions record was unusable (invalid, unsigned or untrusted), else 0")
                    .tags(tags).register(r);
            return n;
        });
        s.fromHistory = fromHistory;
        s.version = version;
        s.createdAtMillis = createdAt.toEpochMilli();
    }

    /** Records that the model's directions were withdrawn: its version gauge reads 0 (no set in force). */
    public void directionsWithdrawn(String model) {
        InForce s = inForce.get(ModelLabels.sanitize(model));
        if (s != null) {
            s.version = 0;
            s.fromHistory = false;
        }
    }

    /** Counts one rejected direction set. */
    public void rejected(DirectionsRejectReason reason) {
        if (registry == null) {
            throw new IllegalStateException("DirectionSetMetrics is not bound to a registry");
        }
        rejected.get(reason).increment();
    }

    /** Number of models with a direction set in force (readiness needs at least one). */
    public int modelsWithDirections() {
        return inForce.size();
    }

    private static final class InForce {
        volatile double version;
        volatile long createdAtMillis;
        volatile boolean fromHistory;
    }
}
