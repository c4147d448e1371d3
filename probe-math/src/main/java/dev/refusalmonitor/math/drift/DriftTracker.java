package dev.refusalmonitor.math.drift;

import dev.refusalmonitor.math.score.Scores;

import java.util.Collections;
import java.util.HashMap;
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
 * <p><b>Parts.</b> {@link SliceResolver} applies the caps, {@link SliceDrift} holds one slice's state and applies the
 * rule; the monitor uses the two directly (partials from every instance, merged by the slice's owner), this class
 * wires them for a single process (tests, benchmarks, offline analysis).
 *
 * <p><b>Threads.</b> Not thread-safe. The sink is called on the calling thread, inside
 * {@code observe}/{@code advanceTime}; it must not call back into the tracker.
 */
public final class DriftTracker {
    private final DriftConfig config;
    private final Consumer<DriftReport> sink;
    private final SliceResolver resolver;
    private final Map<SliceKey, SliceDrift> slices = new HashMap<>();

    public DriftTracker(DriftConfig config, Consumer<DriftReport> sink) {
        if (config == null || sink == null) throw new IllegalArgumentException("config and sink are required");
        this.config = config;
        this.sink = sink;
        this.resolver = new SliceResolver(config);
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
        boolean ood = isOod(oodTailProbability, config);
        boolean counted = true;
        for (SliceKey slice : resolver.slicesOf(key)) {
            counted &= stateFor(slice).add(probeProbability, flagged, castFired, ood, mahalanobisRefusal, sector,
                    eventTimeMs, directionsVersion, sink);
        }
        return counted;
    }

    /** Whether a request with this OOD tail probability counts as OOD; rejects a probability outside [0, 1]. */
    public static boolean isOod(double oodTailProbability, DriftConfig config) {
        if (!(oodTailProbability >= 0 && oodTailProbability <= 1)) {
            throw new IllegalArgumentException("OOD tail probability must be in [0, 1], got " + oodTailProbability);
        }
        return oodTailProbability < config.oodLevel();
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
        for (SliceDrift st : slices.values()) st.advanceTime(eventTimeMs, sink);
    }

    /** The slice a record with this key is counted in (besides the model total), after the caps. */
    public SliceKey resolve(SliceKey key) {
        return resolver.peek(key);
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
        SliceDrift st = slices.get(key);
        if (st == null) return false;
        st.rebaseline();
        return true;
    }

    /** The slice's direction-set version (0 when unknown or the slice has no state). */
    public long directionsVersion(SliceKey key) {
        SliceDrift st = slices.get(key);
        return st == null ? 0 : st.directionsVersion();
    }

    private SliceDrift stateFor(SliceKey key) {
        return slices.computeIfAbsent(key, k -> new SliceDrift(config, k));
    }
}
