package dev.refusalmonitor.math.drift;

import dev.refusalmonitor.math.score.Scores;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Keeps windowed aggregates of the per-request scores per slice and, whenever a window closes, compares it with the
 * slice's reference and hands a {@link DriftReport} to the sink.
 *
 * <p><b>Slices.</b> Each record goes to the model-wide slice (model, _all, _all) when
 * {@link DriftConfig#trackModelTotal()} is set, and, when it carries a tenant or a route, to its (model, tenant,
 * route) slice. A model keeps at most M = {@link DriftConfig#maxSlicesPerModel()} tenant/route slices, given first
 * come first served; records of any further pair go to the overflow slice (model, _other, _other), which is
 * reported like any other. Likewise at most {@link DriftConfig#maxModels()} models; records of later models go to
 * model _other. Slices are never evicted, so memory is bounded by maxModels · (M + 2) slices, each holding
 * O(R · (bins + sectors)) numbers (the open window, the reference or the last R windows).
 *
 * <p><b>Windows.</b> Count-based: a window closes when it holds {@link DriftConfig#windowSize()} requests. Time-based:
 * tumbling event-time buckets [k·T, (k+1)·T); a record whose event time is at or past the open window's bucket end
 * first closes that window (then opens the record's bucket); {@link #advanceTime} closes such windows of quiet
 * slices. A record older than the open window's bucket (late) is counted in the open window: windows are
 * monitoring buckets, not exact event-time partitions. With both limits, whichever comes first closes the window.
 *
 * <p><b>Reference.</b> PINNED: the slice's first R closed windows, merged, stay the reference until
 * {@link #rebaseline}. TRAILING: the R windows closed just before the current one, merged. No comparison (and no
 * drift decision) until R windows have closed.
 *
 * <p><b>Direction-set versions.</b> A new direction set changes the scores by design (another threshold, another
 * probe), so comparing its traffic with a reference built under the old set would raise an alarm that is about the
 * refit, not the traffic. Each slice remembers the version its records were scored with. The first record of a newer
 * version closes the open window ({@link WindowClose#DIRECTIONS_VERSION}, reported without comparison even when it is
 * empty, so the published alarm clears and the boundary is visible), forgets the reference and the CUSUMs as {@link #rebaseline} does, and starts the new
 * version's reference with the next R windows. A record of an older version than the slice's (scored by another
 * thread just before it saw the new set) is not counted: {@code observe} returns false. Version 0 means unknown and
 * never triggers a change.
 *
 * <p><b>Decision rule.</b> For each compared window w, z_w is the pooled two-proportion z of the flagged rate,
 * window vs reference ({@link DriftStatistics#twoProportionZ}). Two one-sided CUSUMs (Page 1954) accumulate it:
 * S⁺_w = min(2h, max(0, S⁺_{w−1} + z_w − k)) and S⁻_w = min(2h, max(0, S⁻_{w−1} − z_w − k)), both 0 before the first
 * comparison (and after a rebaseline); the cap 2h lets the alarm clear within a few windows once the rate is back.
 * The window has drifted when S⁺ &gt; h (refusals up), S⁻ &gt; h (refusals down), or the probe-probability
 * distribution moved: PSI &gt; psiThreshold and KS p-value &lt; ksAlpha. k, h, psiThreshold and ksAlpha are in
 * {@link DriftConfig}; the defaults (k = 1, h = 4, PSI 0.5 with KS p 1e-4, R = 50) are tuned by
 * DriftDetectionBenchmark for windows of 200 requests (BENCHMARKS-drift.md).
 * The Newcombe intervals in the report are for reading, not part of the rule: a single window of 200 cannot see a
 * 5-point change at a false-alarm rate of 1 in 1000, while the CUSUM adds evidence across windows.
 *
 * <p><b>Threads.</b> Not thread-safe: use one tracker per stream task (slices are keyed by model, so partition by
 * model) or synchronise every call on the tracker. The sink is called on the calling thread, inside
 * {@code observe}/{@code advanceTime}; it must not call back into the tracker.
 */
public final class DriftTracker {
    private final DriftConfig config;
    private final Consumer<DriftReport> sink;
    private final WindowAggregate template;
    private final Map<SliceKey, SliceState> slices = new HashMap<>();
    /** Per model: tenant/route slices given so far (excluding total and overflow). */
    private final Map<String, Integer> slicesPerModel = new HashMap<>();

    public DriftTracker(DriftConfig config, Consumer<DriftReport> sink) {
        if (config == null || sink == null) throw new IllegalArgumentException("config and sink are required");
        this.config = config;
        this.sink = sink;
        this.template = new WindowAggregate(config.sectorNames(), ScoreHistogram.probability(config.probabilityBins()),
                ScoreHistogram.withEdges(config.mahalanobisEdges()));
    }

    public DriftConfig config() {
        return config;
    }

    /**
     * Counts one scored request (see {@link WindowAggregate#add} for the score arguments); may close windows and
     * call the sink. {@code oodTailProbability} below {@link DriftConfig#oodLevel()} counts as OOD.
     */
    public void observe(SliceKey key, double probeProbability, boolean flagged, boolean castFired,
                        double oodTailProbability, double mahalanobisRefusal, String sector, long eventTimeMs) {
        observe(key, probeProbability, flagged, castFired, oodTailProbability, mahalanobisRefusal, sector, eventTimeMs, 0);
    }

    /**
     * Counts one scored request scored with direction-set version {@code directionsVersion} (0 = unknown); see the
     * class Javadoc for version changes.
     *
     * @return false when the record was not counted because a slice it belongs to is already on a newer version
     */
    public boolean observe(SliceKey key, double probeProbability, boolean flagged, boolean castFired,
                           double oodTailProbability, double mahalanobisRefusal, String sector, long eventTimeMs,
                           long directionsVersion) {
        // Only the tracker assigns the model-total slice; a caller's key names the record's own tenant/route.
        if (key.isModelTotal()) key = SliceKey.of(key.model(), null, null);
        if (!(oodTailProbability >= 0 && oodTailProbability <= 1)) {
            throw new IllegalArgumentException("OOD tail probability must be in [0, 1], got " + oodTailProbability);
        }
        boolean ood = oodTailProbability < config.oodLevel();
        String model = resolveModel(key.model());
        boolean counted = true;
        if (config.trackModelTotal()) {
            SliceState st = stateFor(SliceKey.modelTotal(model));
            if (version(st, directionsVersion)) {
                add(st, probeProbability, flagged, castFired, ood, mahalanobisRefusal, sector, eventTimeMs);
            } else {
                counted = false;
            }
        }
        if (!key.isUnsliced() || !config.trackModelTotal()) {
            SliceState st = stateFor(resolveSlice(model, key));
            if (version(st, directionsVersion)) {
                add(st, probeProbability, flagged, castFired, ood, mahalanobisRefusal, sector, eventTimeMs);
            } else {
                counted = false;
            }
        }
        return counted;
    }

    /**
     * Brings the slice to the record's version: a newer version closes the open window and starts a fresh reference.
     * False when the record is of an older version than the slice's (not counted).
     */
    private boolean version(SliceState st, long v) {
        if (v <= 0 || v == st.directionsVersion) return true;
        if (st.directionsVersion == 0) {
            st.directionsVersion = v;
            return true;
        }
        if (v < st.directionsVersion) return false;
        // Always reported, even when the open window is empty: the report is the boundary (and clears alarms).
        WindowAggregate w = st.current;
        DriftReport report = unreferenced(st, w, WindowClose.DIRECTIONS_VERSION);
        st.windowIndex++;
        w.clear();
        st.directionsVersion = v;
        rebaseline(st);
        sink.accept(report);
        return true;
    }

    /** {@link #observe(SliceKey, double, boolean, boolean, double, double, String, long)} from a scorer's output. */
    public boolean observe(SliceKey key, Scores s, long eventTimeMs) {
        return observe(key, s.probeProbability, s.flagged, s.castFired, s.oodTailProbability, s.mahalanobisRefusal,
                s.sector, eventTimeMs, s.directionsVersion);
    }

    /**
     * Closes every time-based window whose bucket ends at or before {@code eventTimeMs} (a punctuator's stream time).
     * Does nothing for count-only windows.
     */
    public void advanceTime(long eventTimeMs) {
        if (config.windowDurationMs() == 0) return;
        for (SliceState st : slices.values()) {
            if (st.current.n() > 0 && eventTimeMs >= st.bucketStart + config.windowDurationMs()) close(st, WindowClose.TIME);
        }
    }

    /** The slice a record with this key is counted in (besides the model total), after the caps. */
    public SliceKey resolve(SliceKey key) {
        String model = peekModel(key.model());
        return key.isUnsliced() && config.trackModelTotal() ? SliceKey.modelTotal(model) : peekSlice(model, key);
    }

    /** Every slice that has state, in no particular order. */
    public Set<SliceKey> slices() {
        return Collections.unmodifiableSet(slices.keySet());
    }

    /** Number of slices with state. */
    public int sliceCount() {
        return slices.size();
    }

    /**
     * Forgets the slice's reference and CUSUM state (e.g. after a deliberate model rollout): the next R closed
     * windows form a new reference. The open window is kept. Returns false when the slice is unknown.
     */
    public boolean rebaseline(SliceKey key) {
        SliceState st = slices.get(key);
        if (st == null) return false;
        rebaseline(st);
        return true;
    }

    /** The slice's direction-set version (0 when unknown or the slice has no state). */
    public long directionsVersion(SliceKey key) {
        SliceState st = slices.get(key);
        return st == null ? 0 : st.directionsVersion;
    }

    private static void rebaseline(SliceState st) {
        st.reference.clear();
        st.pinnedWindows = 0;
        st.trailing.clear();
        st.cusumUp = st.cusumDown = 0;
    }

    private String peekModel(String model) {
        if (SliceKey.OTHER.equals(model) || slicesPerModel.containsKey(model)) return model;
        return slicesPerModel.size() >= config.maxModels() ? SliceKey.OTHER : model;
    }

    private String resolveModel(String model) {
        if (SliceKey.OTHER.equals(model) || slicesPerModel.containsKey(model)) return model;
        if (slicesPerModel.size() >= config.maxModels()) return SliceKey.OTHER;
        slicesPerModel.put(model, 0);
        return model;
    }

    private SliceKey peekSlice(String model, SliceKey key) {
        SliceKey overflow = new SliceKey(model, SliceKey.OTHER, SliceKey.OTHER);
        if (SliceKey.OTHER.equals(model) || SliceKey.OTHER.equals(key.tenant()) || SliceKey.OTHER.equals(key.route())) {
            return overflow;
        }
        SliceKey k = new SliceKey(model, key.tenant(), key.route());
        if (slices.containsKey(k)) return k;
        return slicesPerModel.getOrDefault(model, 0) < config.maxSlicesPerModel() ? k : overflow;
    }

    private SliceKey resolveSlice(String model, SliceKey key) {
        SliceKey k = peekSlice(model, key);
        if (!slices.containsKey(k) && !SliceKey.OTHER.equals(k.tenant())) slicesPerModel.merge(model, 1, Integer::sum);
        return k;
    }

    private SliceState stateFor(SliceKey key) {
        return slices.computeIfAbsent(key, k -> new SliceState(k, template.emptyCopy(), template.emptyCopy()));
    }

    private void add(SliceState st, double p, boolean flagged, boolean castFired, boolean ood, double maha,
                     String sector, long t) {
        long dur = config.windowDurationMs();
        if (dur > 0) {
            if (st.current.n() > 0 && t >= st.bucketStart + dur) close(st, WindowClose.TIME);
            if (st.current.n() == 0) st.bucketStart = Math.floorDiv(t, dur) * dur;
        }
        if (st.current.n() == 0) {
            st.firstEventMs = t;
            st.lastEventMs = t;
        }
        st.current.add(p, flagged, castFired, ood, maha, sector);
        st.firstEventMs = Math.min(st.firstEventMs, t);
        st.lastEventMs = Math.max(st.lastEventMs, t);
        if (config.windowSize() > 0 && st.current.n() >= config.windowSize()) close(st, WindowClose.COUNT);
    }

    private void close(SliceState st, WindowClose why) {
        WindowAggregate w = st.current;
        WindowAggregate ref = referenceOf(st);
        DriftReport report = ref == null ? unreferenced(st, w, why) : compare(st, w, ref, why);
        st.windowIndex++;
        // Update the reference with the closed window, then recycle storage for the next window.
        WindowAggregate next;
        if (config.referenceMode() == ReferenceMode.PINNED) {
            if (st.pinnedWindows < config.referenceWindows()) {
                st.reference.merge(w);
                st.pinnedWindows++;
            }
            w.clear();
            next = w;
        } else {
            st.trailing.addLast(w);
            if (st.trailing.size() > config.referenceWindows()) {
                next = st.trailing.removeFirst();
                next.clear();
            } else {
                next = template.emptyCopy();
            }
        }
        st.current = next;
        sink.accept(report);
    }

    /** The merged reference, or null when fewer than R windows have closed. */
    private WindowAggregate referenceOf(SliceState st) {
        if (config.referenceMode() == ReferenceMode.PINNED) {
            return st.pinnedWindows == config.referenceWindows() ? st.reference : null;
        }
        if (st.trailing.size() < config.referenceWindows()) return null;
        st.reference.clear();
        for (WindowAggregate w : st.trailing) st.reference.merge(w);
        return st.reference;
    }

    private DriftReport unreferenced(SliceState st, WindowAggregate w, WindowClose why) {
        return new DriftReport(st.key, st.windowIndex, why, st.firstEventMs, st.lastEventMs, w.n(),
                w.probeProbabilityMean(), w.flaggedRate(), w.castFireRate(), w.oodRate(), w.sectorShares(), false, 0,
                Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN, null, null, null,
                Double.NaN, st.cusumUp, st.cusumDown, false, List.of(), st.directionsVersion);
    }

    private DriftReport compare(SliceState st, WindowAggregate w, WindowAggregate ref, WindowClose why) {
        ScoreHistogram wp = w.probabilityHistogram(), rp = ref.probabilityHistogram();
        ScoreHistogram wm = w.mahalanobisHistogram(), rm = ref.mahalanobisHistogram();
        double psiP = DriftStatistics.psi(wp, rp);
        double ksP = DriftStatistics.ksStatistic(wp, rp);
        double ksPp = DriftStatistics.ksPValue(ksP, w.n(), ref.n());
        double psiM = DriftStatistics.psi(wm, rm);
        double ksM = DriftStatistics.ksStatistic(wm, rm);
        double ksMp = DriftStatistics.ksPValue(ksM, w.n(), ref.n());
        double psiS = DriftStatistics.psi(w.sectorCountsView(), ref.sectorCountsView());
        RateDifference flaggedDiff = DriftStatistics.rateDifference(w.flaggedCount(), w.n(), ref.flaggedCount(), ref.n());
        RateDifference fireDiff = DriftStatistics.rateDifference(w.castFiredCount(), w.n(), ref.castFiredCount(), ref.n());
        RateDifference oodDiff = DriftStatistics.rateDifference(w.oodCount(), w.n(), ref.oodCount(), ref.n());
        double z = DriftStatistics.twoProportionZ(w.flaggedCount(), w.n(), ref.flaggedCount(), ref.n());
        double k = config.cusumK(), h = config.cusumH();
        st.cusumUp = Math.min(2 * h, Math.max(0, st.cusumUp + z - k));
        st.cusumDown = Math.min(2 * h, Math.max(0, st.cusumDown - z - k));
        List<String> reasons = new ArrayList<>(3);
        if (st.cusumUp > h) reasons.add(DriftReport.REASON_FLAGGED_UP);
        if (st.cusumDown > h) reasons.add(DriftReport.REASON_FLAGGED_DOWN);
        if (psiP > config.psiThreshold() && ksPp < config.ksAlpha()) reasons.add(DriftReport.REASON_DISTRIBUTION);
        return new DriftReport(st.key, st.windowIndex, why, st.firstEventMs, st.lastEventMs, w.n(),
                w.probeProbabilityMean(), w.flaggedRate(), w.castFireRate(), w.oodRate(), w.sectorShares(), true,
                ref.n(), psiP, ksP, ksPp, psiM, ksM, ksMp, psiS, flaggedDiff, fireDiff, oodDiff, z, st.cusumUp,
                st.cusumDown, !reasons.isEmpty(), Collections.unmodifiableList(reasons), st.directionsVersion);
    }

    /** Everything kept for one slice. */
    private static final class SliceState {
        final SliceKey key;
        WindowAggregate current;
        /** PINNED: the merged baseline; TRAILING: scratch for the merged ring. */
        final WindowAggregate reference;
        int pinnedWindows;
        final ArrayDeque<WindowAggregate> trailing = new ArrayDeque<>();
        long windowIndex;
        long bucketStart;
        long firstEventMs;
        long lastEventMs;
        double cusumUp;
        double cusumDown;
        long directionsVersion;

        SliceState(SliceKey key, WindowAggregate current, WindowAggregate reference) {
            this.key = key;
            this.current = current;
            this.reference = reference;
        }
    }
}
