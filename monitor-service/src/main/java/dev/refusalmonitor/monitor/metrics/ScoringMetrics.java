package dev.refusalmonitor.monitor.metrics;

import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.DoubleConsumer;

import dev.refusalmonitor.schemas.v1.DeadLetterReason;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.prometheus.metrics.core.datapoints.DistributionDataPoint;
import io.prometheus.metrics.core.metrics.Histogram;

/**
 * Per-record scoring metrics (names in {@link MetricNames}): scored and parked records by model, dead letters by
 * reason (one meter per dead letter, with no model label: nothing from a rejected record becomes a label value),
 * flagged records by model, the per-record processing latency, and each score's distribution as a Prometheus histogram (see
 * {@link MetricNames#PROM_SCORE_PREFIX}). The model label
 * comes from {@link ModelLabels}: a model with a direction set in force, or {@value ModelLabels#OTHER}, so the series
 * count is bounded by the published direction sets. Meters per label are created on first use and cached, so the
 * hot path does a map lookup and an atomic add.
 *
 * <p>Call {@link #bindTo(MeterRegistry)} once before recording; recording before binding throws.
 */
public final class ScoringMetrics implements MeterBinder {

    private final Iterable<Tag> extraTags;
    private final ModelLabels labels;
    private volatile MeterRegistry registry;
    private final Map<DeadLetterReason, Counter> dlqByReason = new EnumMap<>(DeadLetterReason.class);
    private final Map<String, ModelMeters> byModel = new ConcurrentHashMap<>();
    private volatile ScoreHistograms scoreHistograms;

    /** Every non-empty model id counts as in force, up to {@value ModelLabels#DEFAULT_MAX_MODELS} labels (tests, tools). */
    public ScoringMetrics() {
        this(Tags.empty(), new ModelLabels(m -> true, ModelLabels.DEFAULT_MAX_MODELS));
    }

    /**
     * @param extraTags tags added to every meter (e.g. an instance id)
     * @param labels the bounded model labels (the monitor's: models with a direction set in force)
     */
    public ScoringMetrics(Iterable<Tag> extraTags, ModelLabels labels) {
        this.extraTags = extraTags;
        this.labels = labels;
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        for (DeadLetterReason r : DeadLetterReason.values()) {
            if (r == DeadLetterReason.DEAD_LETTER_REASON_UNSPECIFIED || r == DeadLetterReason.UNRECOGNIZED) continue;
            // Registered up front so every reason exports 0 and rate() alerts work from the start.
            dlqByReason.put(r, Counter.builder(MetricNames.DLQ)
                    .description("Hidden-state records sent to the dead-letter topic, by reason")
                    .tags(extraTags).tag(MetricNames.TAG_REASON, MetricNames.reasonTag(r))
                    .register(registry));
        }
        this.scoreHistograms = new ScoreHistograms(registry, extraTags);
        this.registry = registry;
    }

    /** Counts one scored record for the model and records its processing latency. */
    public void recordScored(String model, long elapsedNanos) {
        ModelMeters m = meters(model);
        m.scored.increment();
        m.latency.record(elapsedNanos, TimeUnit.NANOSECONDS);
    }

    /** Counts one dead letter, by reason only. */
    public void recordDlq(DeadLetterReason reason) {
        MeterRegistry r = registry;
        if (r == null) {
            throw new IllegalStateException("ScoringMetrics is not bound to a registry");
        }
        dlqByReason.get(reason).increment();
    }

    /** Counts one record parked on the retry topic (no direction set yet), under the bounded model label. */
    public void recordParked(String model) {
        meters(model).parked.increment();
    }

    /** Counts one scored record that was flagged. */
    public void recordFlagged(String model) {
        meters(model).flagged.increment();
    }

    /** Adds one value of a score to its histogram; NaN is ignored (scores never carry NaN by contract). */
    public void recordScore(String model, ScoreKind kind, double value) {
        if (Double.isNaN(value)) {
            return;
        }
        meters(model).histograms.get(kind).accept(value);
    }

    private ModelMeters meters(String model) {
        MeterRegistry r = registry;
        if (r == null) {
            throw new IllegalStateException("ScoringMetrics is not bound to a registry");
        }
        String tag = labels.label(model);
        ModelMeters m = byModel.get(tag);
        return m != null ? m : byModel.computeIfAbsent(tag, t -> new ModelMeters(r, extraTags, t, scoreHistograms));
    }

    /** The bounded model labels in use. */
    public ModelLabels labels() {
        return labels;
    }

    private static final class ModelMeters {
        final Counter scored;
        final Counter parked;
        final Counter flagged;
        final Timer latency;
        final Map<ScoreKind, DoubleConsumer> histograms = new EnumMap<>(ScoreKind.class);

        ModelMeters(MeterRegistry registry, Iterable<Tag> extra, String model, ScoreHistograms scoreHistograms) {
            Tags tags = Tags.of(extra).and(MetricNames.TAG_MODEL, model);
            scored = Counter.builder(MetricNames.RECORDS)
                    .description("Hidden-state records handled, by outcome")
                    .tags(tags).tag(MetricNames.TAG_OUTCOME, MetricNames.OUTCOME_SCORED).register(registry);
            parked = Counter.builder(MetricNames.RECORDS)
                    .description("Hidden-state records handled, by outcome")
                    .tags(tags).tag(MetricNames.TAG_OUTCOME, MetricNames.OUTCOME_PARKED).register(registry);
            flagged = Counter.builder(MetricNames.FLAGGED)
                    .description("Scored records flagged as harmful or about to refuse")
                    .tags(tags).register(registry);
            latency = Timer.builder(MetricNames.SCORING)
                    .description("Processing time of one hidden-state record, decode and scoring")
                    .tags(tags)
                    .publishPercentileHistogram()
                    .minimumExpectedValue(Duration.ofNanos(1_000))
                    .maximumExpectedValue(Duration.ofSeconds(1))
                    .register(registry);
            for (ScoreKind k : ScoreKind.values()) histograms.put(k, scoreHistograms.observer(k, model));
        }
    }

    /**
     * The score histograms: with a {@link PrometheusMeterRegistry}, one Prometheus classic histogram family per
     * {@link ScoreKind} registered in its Prometheus registry (signed bucket bounds, {@code _bucket}/{@code _count}/
     * {@code _sum}); with any other registry a Micrometer distribution summary without buckets (count and sum only).
     */
    private static final class ScoreHistograms {
        private final Map<ScoreKind, Histogram> families = new EnumMap<>(ScoreKind.class);
        private final String[] fixedLabelValues;
        private final MeterRegistry fallback;
        private final Iterable<Tag> extraTags;

        ScoreHistograms(MeterRegistry registry, Iterable<Tag> extraTags) {
            this.extraTags = extraTags;
            List<String> names = new ArrayList<>(), values = new ArrayList<>();
            for (Tag t : extraTags) {
                names.add(t.getKey());
                values.add(t.getValue());
            }
            names.add(MetricNames.TAG_MODEL);
            this.fixedLabelValues = values.toArray(String[]::new);
            if (registry instanceof PrometheusMeterRegistry prom) {
                for (ScoreKind k : ScoreKind.values()) {
                    families.put(k, Histogram.builder().name(MetricNames.PROM_SCORE_PREFIX + k.tag())
                            .help("Distribution of the " + k.tag() + " score of scored records, by model")
                            .labelNames(names.toArray(String[]::new)).classicUpperBounds(k.bounds()).classicOnly()
                            .withoutExemplars().register(prom.getPrometheusRegistry()));
                }
                this.fallback = null;
            } else {
                this.fallback = registry;
            }
        }

        /** The observer of one score for one model (cached by the caller). */
        DoubleConsumer observer(ScoreKind kind, String model) {
            if (fallback != null) {
                DistributionSummary s = DistributionSummary.builder(MetricNames.PREFIX + ".score." + kind.tag())
                        .description("Distribution of the " + kind.tag() + " score (count and sum)")
                        .tags(extraTags).tag(MetricNames.TAG_MODEL, model).register(fallback);
                return s::record;
            }
            String[] v = Arrays.copyOf(fixedLabelValues, fixedLabelValues.length + 1);
            v[v.length - 1] = model;
            DistributionDataPoint point = families.get(kind).labelValues(v);
            return point::observe;
        }
    }
}
