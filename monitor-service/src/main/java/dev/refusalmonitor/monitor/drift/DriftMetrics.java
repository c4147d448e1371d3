package dev.refusalmonitor.monitor.drift;

import dev.refusalmonitor.math.drift.DriftReport;
import dev.refusalmonitor.math.drift.RateDifference;
import dev.refusalmonitor.math.drift.SliceKey;
import dev.refusalmonitor.monitor.metrics.MetricNames;
import dev.refusalmonitor.monitor.metrics.ModelLabels;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.MeterBinder;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.ToDoubleFunction;

/**
 * Drift metrics (names in {@link MetricNames}, prefix {@code refusal.monitor.drift}): per (model, tenant, route)
 * slice, gauges of its latest closed window (rates, sector shares, PSI, KS, rate differences with their 95 %
 * intervals, CUSUMs, the drift decision) and a counter of closed windows; plus the number of slices this instance
 * owns, drift records written or failed, requests skipped and stored state discarded.
 *
 * <p><b>One exporter per slice.</b> A slice's gauges are shown only by the instance that owns the slice's
 * drift-partials partition ({@link DriftWindowProcessor}): shown when the task is assigned (from the stored latest
 * report) or a window closes, removed when it is revoked. So across the fleet each slice has one series per gauge
 * and {@code max by (model, tenant, route)} is the fleet's verdict.
 *
 * <p><b>Tags.</b> {@code tenant} and {@code route} are the slice's: an allowlisted value, {@code _all} (the model
 * total), {@code _none} (records without tenant/route) or {@code _other} (not allowlisted, or past the slice cap).
 * The series count is bounded by the slice caps: maxModels · (maxSlicesPerModel + 2) slices, about 30 series each.
 * Comparison gauges are NaN until the slice's reference is complete ({@code refusal_monitor_drift_reference_ready}
 * = 0); the reference-ready gauge reads 1 as soon as the reference is complete, i.e. the next window is compared.
 * {@code refusal_monitor_drift_directions_version} shows the direction-set version behind the latest window, and
 * {@code refusal_monitor_drift_rebaselines_total{reason="directions_version"}} counts fresh references started by a new
 * version: the boundary a dashboard marks (the window closed at the change reports no comparison, so alarms clear).
 */
public final class DriftMetrics implements MeterBinder {
    static final String RATE_FLAGGED = "flagged";
    static final String RATE_CAST_FIRE = "cast_fire";
    static final String RATE_OOD = "ood";
    static final String SCORE_PROBABILITY = "probe_probability";
    static final String SCORE_MAHALANOBIS = "mahalanobis_refusal";
    static final String SCORE_SECTOR = "sector";

    private final Iterable<Tag> extraTags;
    private final Map<SliceKey, SliceGauges> slices = new ConcurrentHashMap<>();
    private volatile MeterRegistry registry;
    private Counter reportsSent;
    private Counter reportsFailed;
    private Counter skipped;
    private Counter discarded;

    public DriftMetrics() {
        this(Tags.empty());
    }

    /** @param extraTags tags added to every meter */
    public DriftMetrics(Iterable<Tag> extraTags) {
        this.extraTags = extraTags;
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        Gauge.builder(MetricNames.DRIFT_SLICES, slices, Map::size)
                .description("Drift slices (model, tenant, route) whose windows this instance owns; bounded by the slice caps")
                .tags(extraTags).register(registry);
        reportsSent = reports(registry, "sent");
        reportsFailed = reports(registry, "failed");
        skipped = Counter.builder(MetricNames.DRIFT_SKIPPED)
                .description("Scored records drift could not count (a score outside its domain, or scored with an older direction-set version than the slice is on)")
                .tags(extraTags).register(registry);
        discarded = Counter.builder(MetricNames.DRIFT_STATE_DISCARDED)
                .description("Stored drift values (partials or slice states) dropped because they could not be read under this configuration")
                .tags(extraTags).register(registry);
        this.registry = registry;
    }

    private Counter reports(MeterRegistry registry, String outcome) {
        return Counter.builder(MetricNames.DRIFT_REPORTS)
                .description("Drift records (window reports and partials) written, by outcome")
                .tags(extraTags).tag(MetricNames.TAG_OUTCOME, outcome).register(registry);
    }

    /**
     * Publishes the report's window as the slice's latest (older windows than the one shown are ignored) and shows
     * the slice's gauges from this instance.
     *
     * @param referenceReady whether the slice's reference is complete after this window
     */
    public void record(DriftReport r, boolean referenceReady) {
        MeterRegistry reg = registry;
        if (reg == null) throw new IllegalStateException("DriftMetrics is not bound to a registry");
        SliceGauges g = slices.computeIfAbsent(r.slice(), k -> new SliceGauges(reg, Tags.of(extraTags)
                .and(MetricNames.TAG_MODEL, ModelLabels.sanitize(k.model()))
                .and(MetricNames.TAG_TENANT, ModelLabels.sanitize(k.tenant()))
                .and(MetricNames.TAG_ROUTE, ModelLabels.sanitize(k.route()))));
        g.update(reg, r, referenceReady);
    }

    /** Removes the slices' gauges: this instance no longer owns them. */
    public void forget(java.util.Collection<SliceKey> keys) {
        MeterRegistry reg = registry;
        for (SliceKey k : keys) {
            SliceGauges g = slices.remove(k);
            if (g != null && reg != null) g.meters.forEach(reg::remove);
        }
    }

    /** Slices whose gauges this instance shows. */
    public java.util.Set<SliceKey> shownSlices() {
        return java.util.Set.copyOf(slices.keySet());
    }

    /** A window report went to the drift topic (in the stream's transaction). */
    public void reportWritten() {
        reportsSent.increment();
    }

    public void stateDiscarded() {
        discarded.increment();
    }

    public void reportFailed() {
        reportsFailed.increment();
    }

    public void skipped() {
        skipped.increment();
    }

    /** Slices that have closed at least one window. */
    public int reportedSlices() {
        return slices.size();
    }

    /** One slice's latest window; the gauges read these fields at scrape time. */
    private static final class SliceGauges {
        private final Tags tags;
        final List<io.micrometer.core.instrument.Meter> meters = new java.util.concurrent.CopyOnWriteArrayList<>();
        private final Counter windows;
        private final Map<String, double[]> sectorShares = new ConcurrentHashMap<>();
        private long shownWindow = -1;
        volatile double n = Double.NaN;
        volatile double probabilityMean = Double.NaN;
        volatile double flaggedRate = Double.NaN, castFireRate = Double.NaN, oodRate = Double.NaN;
        volatile RateDifference flaggedDiff, castFireDiff, oodDiff;
        volatile double psiProbability = Double.NaN, psiMahalanobis = Double.NaN, psiSectors = Double.NaN;
        volatile double ksProbability = Double.NaN, ksMahalanobis = Double.NaN;
        volatile double ksProbabilityP = Double.NaN, ksMahalanobisP = Double.NaN;
        volatile double cusumUp, cusumDown;
        volatile boolean drifted, referenceReady;
        volatile double directionsVersion = Double.NaN;
        private final Counter rebaselines;
        volatile List<String> reasons = List.of();

        SliceGauges(MeterRegistry reg, Tags tags) {
            this.tags = tags;
            gauge(reg, MetricNames.DRIFT_PROBABILITY_MEAN, "Mean probe probability p(H) of the latest closed window",
                    Tags.empty(), g -> g.probabilityMean);
            gauge(reg, MetricNames.DRIFT_WINDOW_REQUESTS, "Requests in the latest closed drift window", Tags.empty(),
                    g -> g.n);
            rate(reg, RATE_FLAGGED, g -> g.flaggedRate, g -> g.flaggedDiff);
            rate(reg, RATE_CAST_FIRE, g -> g.castFireRate, g -> g.castFireDiff);
            rate(reg, RATE_OOD, g -> g.oodRate, g -> g.oodDiff);
            String psi = "Population stability index of the latest window against the reference, by score";
            gauge(reg, MetricNames.DRIFT_PSI, psi, Tags.of(MetricNames.TAG_SCORE, SCORE_PROBABILITY), g -> g.psiProbability);
            gauge(reg, MetricNames.DRIFT_PSI, psi, Tags.of(MetricNames.TAG_SCORE, SCORE_MAHALANOBIS), g -> g.psiMahalanobis);
            gauge(reg, MetricNames.DRIFT_PSI, psi, Tags.of(MetricNames.TAG_SCORE, SCORE_SECTOR), g -> g.psiSectors);
            String ks = "Binned two-sample KS statistic D of the latest window against the reference, by score";
            gauge(reg, MetricNames.DRIFT_KS, ks, Tags.of(MetricNames.TAG_SCORE, SCORE_PROBABILITY), g -> g.ksProbability);
            gauge(reg, MetricNames.DRIFT_KS, ks, Tags.of(MetricNames.TAG_SCORE, SCORE_MAHALANOBIS), g -> g.ksMahalanobis);
            String ksp = "Asymptotic p-value of the two-sample KS statistic, by score";
            gauge(reg, MetricNames.DRIFT_KS_PVALUE, ksp, Tags.of(MetricNames.TAG_SCORE, SCORE_PROBABILITY), g -> g.ksProbabilityP);
            gauge(reg, MetricNames.DRIFT_KS_PVALUE, ksp, Tags.of(MetricNames.TAG_SCORE, SCORE_MAHALANOBIS), g -> g.ksMahalanobisP);
            String cusum = "One-sided CUSUM of the flagged-rate z after the latest window, by direction";
            gauge(reg, MetricNames.DRIFT_CUSUM, cusum, Tags.of(MetricNames.TAG_DIRECTION, "up"), g -> g.cusumUp);
            gauge(reg, MetricNames.DRIFT_CUSUM, cusum, Tags.of(MetricNames.TAG_DIRECTION, "down"), g -> g.cusumDown);
            gauge(reg, MetricNames.DRIFT_DRIFTED, "1 when the latest closed window drifted from the reference, else 0",
                    Tags.empty(), g -> g.drifted ? 1 : 0);
            for (String reason : List.of(DriftReport.REASON_FLAGGED_UP, DriftReport.REASON_FLAGGED_DOWN,
                    DriftReport.REASON_DISTRIBUTION)) {
                gauge(reg, MetricNames.DRIFT_ALARM, "1 when this part of the drift rule fired on the latest window",
                        Tags.of(MetricNames.TAG_REASON, reason), g -> g.reasons.contains(reason) ? 1 : 0);
            }
            gauge(reg, MetricNames.DRIFT_REFERENCE_READY, "1 once the slice's reference is complete, else 0",
                    Tags.empty(), g -> g.referenceReady ? 1 : 0);
            gauge(reg, MetricNames.DRIFT_DIRECTIONS_VERSION, "Direction-set version that scored the latest window; "
                    + "a change starts a fresh reference", Tags.empty(), g -> g.directionsVersion);
            windows = Counter.builder(MetricNames.DRIFT_WINDOWS).description("Drift windows closed")
                    .tags(tags).register(reg);
            rebaselines = Counter.builder(MetricNames.DRIFT_REBASELINES)
                    .description("Fresh drift references started because a newer direction-set version arrived")
                    .tags(tags).tag(MetricNames.TAG_REASON, "directions_version").register(reg);
            meters.add(windows);
            meters.add(rebaselines);
        }

        private void rate(MeterRegistry reg, String rate, ToDoubleFunction<SliceGauges> value,
                          java.util.function.Function<SliceGauges, RateDifference> diff) {
            Tags t = Tags.of(MetricNames.TAG_RATE, rate);
            gauge(reg, MetricNames.DRIFT_RATE, "Share of requests in the latest window, by rate", t, value);
            gauge(reg, MetricNames.DRIFT_RATE_DIFFERENCE, "Rate of the latest window minus the reference's, by rate", t,
                    g -> diff.apply(g) == null ? Double.NaN : diff.apply(g).difference());
            gauge(reg, MetricNames.DRIFT_RATE_DIFFERENCE_LOWER, "Lower bound of the 95% Newcombe interval of the rate difference", t,
                    g -> diff.apply(g) == null ? Double.NaN : diff.apply(g).lower());
            gauge(reg, MetricNames.DRIFT_RATE_DIFFERENCE_UPPER, "Upper bound of the 95% Newcombe interval of the rate difference", t,
                    g -> diff.apply(g) == null ? Double.NaN : diff.apply(g).upper());
        }

        private void gauge(MeterRegistry reg, String name, String description, Tags extra,
                           ToDoubleFunction<SliceGauges> f) {
            meters.add(Gauge.builder(name, this, f).description(description).tags(tags.and(extra)).register(reg));
        }

        synchronized void update(MeterRegistry reg, DriftReport r, boolean ready) {
            windows.increment();
            if (r.closedBy() == dev.refusalmonitor.math.drift.WindowClose.DIRECTIONS_VERSION) rebaselines.increment();
            // Two stream threads may hand over reports out of order: never show an older window over a newer one.
            if (r.windowIndex() < shownWindow) return;
            shownWindow = r.windowIndex();
            n = r.n();
            probabilityMean = r.probeProbabilityMean();
            flaggedRate = r.flaggedRate();
            castFireRate = r.castFireRate();
            oodRate = r.oodRate();
            flaggedDiff = r.flaggedDifference();
            castFireDiff = r.castFireDifference();
            oodDiff = r.oodDifference();
            psiProbability = r.psiProbability();
            psiMahalanobis = r.psiMahalanobis();
            psiSectors = r.psiSectors();
            ksProbability = r.ksProbability();
            ksMahalanobis = r.ksMahalanobis();
            ksProbabilityP = r.ksProbabilityPValue();
            ksMahalanobisP = r.ksMahalanobisPValue();
            cusumUp = r.cusumUp();
            cusumDown = r.cusumDown();
            reasons = List.copyOf(r.reasons());
            drifted = r.drifted();
            directionsVersion = r.directionsVersion() > 0 ? r.directionsVersion() : Double.NaN;
            referenceReady = ready;
            r.sectorShares().forEach((sector, share) -> sectorShares.computeIfAbsent(sector, s -> {
                double[] holder = {Double.NaN};
                // The sector set is the tracker's configured list plus _other: bounded.
                meters.add(Gauge.builder(MetricNames.DRIFT_SECTOR_SHARE, holder, h -> h[0])
                        .description("Share of the latest window per refusal-plane sector")
                        .tags(tags).tag(MetricNames.TAG_SECTOR, s).register(reg));
                return holder;
            })[0] = share);
        }
    }
}
