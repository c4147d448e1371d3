package dev.refusalmonitor.math.drift;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.function.Consumer;

/**
 * One slice's drift state and rule: the open window, the reference, the CUSUMs and the direction-set version, fed one
 * request at a time ({@link #add}) or by partial aggregates counted elsewhere ({@link #merge}); each closed window
 * becomes a {@link DriftReport} handed to the caller's sink. The rule (windows, reference, versions, CUSUM, PSI/KS)
 * is described on {@link DriftTracker}. {@link #snapshot()} and {@link #restore} copy the whole state out and back
 * (a state store keeps it across restarts). Not thread-safe.
 */
public final class SliceDrift {
    private final DriftConfig config;
    private final SliceKey key;
    private WindowAggregate current;
    /** PINNED: the merged baseline; TRAILING: scratch for the merged ring. */
    private final WindowAggregate reference;
    private int pinnedWindows;
    private final List<WindowAggregate> trailing = new ArrayList<>();
    private long windowIndex;
    private long bucketStart;
    private long firstEventMs;
    private long lastEventMs;
    private double cusumUp;
    private double cusumDown;
    private long directionsVersion;
    /** The latest closed window's report (what the gauges show); null before the first. */
    private DriftReport lastReport;

    /** A slice with no state yet. */
    public SliceDrift(DriftConfig config, SliceKey key) {
        this.config = config;
        this.key = key;
        this.current = emptyWindow(config);
        this.reference = emptyWindow(config);
    }

    /** An empty window with the configuration's sectors and histogram layouts. */
    public static WindowAggregate emptyWindow(DriftConfig config) {
        return new WindowAggregate(config.sectorNames(), ScoreHistogram.probability(config.probabilityBins()),
                ScoreHistogram.withEdges(config.mahalanobisEdges()));
    }

    public SliceKey key() {
        return key;
    }

    /** The direction-set version the slice's records were scored with (0 when unknown). */
    public long directionsVersion() {
        return directionsVersion;
    }

    /** The latest closed window's report, or null before the first window closed. */
    public DriftReport lastReport() {
        return lastReport;
    }

    /** Whether the reference is complete, i.e. the next closed window is compared with it. */
    public boolean referenceReady() {
        return config.referenceMode() == ReferenceMode.PINNED
                ? pinnedWindows == config.referenceWindows()
                : trailing.size() >= config.referenceWindows();
    }

    /** Requests in the open window. */
    public long openRequests() {
        return current.n();
    }

    /**
     * Counts one request scored with direction-set version {@code version} (0 = unknown); may close windows.
     *
     * @return false when the request was not counted: the slice is already on a newer version
     */
    public boolean add(double probeProbability, boolean flagged, boolean castFired, boolean ood,
                       double mahalanobisRefusal, String sector, long eventTimeMs, long version,
                       Consumer<DriftReport> sink) {
        if (!version(version, sink)) return false;
        openFor(eventTimeMs, sink);
        current.add(probeProbability, flagged, castFired, ood, mahalanobisRefusal, sector);
        firstEventMs = Math.min(firstEventMs, eventTimeMs);
        lastEventMs = Math.max(lastEventMs, eventTimeMs);
        closeIfFull(sink);
        return true;
    }

    /**
     * Adds a partial aggregate (requests of this slice counted by one scoring task, all of one version and, with
     * time-based windows, one time bucket); may close windows. A window closes on the partial that brings it to at
     * least the window size, so count-based windows hold up to one partial more than the size.
     *
     * @return false when the partial was not counted: the slice is already on a newer version
     */
    public boolean merge(DriftPartial partial, Consumer<DriftReport> sink) {
        if (partial.counts().n() == 0) return true;
        if (!version(partial.directionsVersion(), sink)) return false;
        openFor(partial.firstEventMs(), sink);
        current.merge(partial.counts());
        firstEventMs = Math.min(firstEventMs, partial.firstEventMs());
        lastEventMs = Math.max(lastEventMs, partial.lastEventMs());
        closeIfFull(sink);
        return true;
    }

    /** Closes the open time-based window when its bucket ends at or before {@code eventTimeMs}. */
    public void advanceTime(long eventTimeMs, Consumer<DriftReport> sink) {
        long dur = config.windowDurationMs();
        if (dur > 0 && current.n() > 0 && eventTimeMs >= bucketStart + dur) close(WindowClose.TIME, sink);
    }

    /** Forgets the reference and the CUSUMs; the next R closed windows form a new reference. The open window stays. */
    public void rebaseline() {
        reference.clear();
        pinnedWindows = 0;
        trailing.clear();
        cusumUp = cusumDown = 0;
    }

    /**
     * Brings the slice to the version: a newer version closes the open window (reported without comparison, even
     * when empty: the report is the boundary and clears alarms) and starts a fresh reference. False for an older one.
     */
    private boolean version(long v, Consumer<DriftReport> sink) {
        if (v <= 0 || v == directionsVersion) return true;
        if (directionsVersion == 0) {
            directionsVersion = v;
            return true;
        }
        if (v < directionsVersion) return false;
        DriftReport report = unreferenced(current, WindowClose.DIRECTIONS_VERSION);
        windowIndex++;
        current.clear();
        directionsVersion = v;
        rebaseline();
        lastReport = report;
        sink.accept(report);
        return true;
    }

    /** Closes the open window when {@code t} is past its time bucket, and starts the bucket of {@code t} if empty. */
    private void openFor(long t, Consumer<DriftReport> sink) {
        long dur = config.windowDurationMs();
        if (dur > 0) {
            if (current.n() > 0 && t >= bucketStart + dur) close(WindowClose.TIME, sink);
            if (current.n() == 0) bucketStart = Math.floorDiv(t, dur) * dur;
        }
        if (current.n() == 0) {
            firstEventMs = t;
            lastEventMs = t;
        }
    }

    private void closeIfFull(Consumer<DriftReport> sink) {
        if (config.windowSize() > 0 && current.n() >= config.windowSize()) close(WindowClose.COUNT, sink);
    }

    private void close(WindowClose why, Consumer<DriftReport> sink) {
        WindowAggregate w = current;
        WindowAggregate ref = referenceReady() ? mergedReference() : null;
        DriftReport report = ref == null ? unreferenced(w, why) : compare(w, ref, why);
        windowIndex++;
        // Update the reference with the closed window, then recycle storage for the next window.
        if (config.referenceMode() == ReferenceMode.PINNED) {
            if (pinnedWindows < config.referenceWindows()) {
                reference.merge(w);
                pinnedWindows++;
            }
            w.clear();
        } else {
            trailing.add(w);
            if (trailing.size() > config.referenceWindows()) {
                current = trailing.remove(0);
                current.clear();
            } else {
                current = w.emptyCopy();
            }
        }
        lastReport = report;
        sink.accept(report);
    }

    private WindowAggregate mergedReference() {
        if (config.referenceMode() == ReferenceMode.PINNED) return reference;
        reference.clear();
        for (WindowAggregate w : trailing) reference.merge(w);
        return reference;
    }

    private DriftReport unreferenced(WindowAggregate w, WindowClose why) {
        return new DriftReport(key, windowIndex, why, firstEventMs, lastEventMs, w.n(), w.probeProbabilityMean(),
                w.flaggedRate(), w.castFireRate(), w.oodRate(), w.sectorShares(), false, 0, Double.NaN, Double.NaN,
                Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN, null, null, null, Double.NaN, cusumUp,
                cusumDown, false, List.of(), directionsVersion);
    }

    private DriftReport compare(WindowAggregate w, WindowAggregate ref, WindowClose why) {
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
        cusumUp = Math.min(2 * h, Math.max(0, cusumUp + z - k));
        cusumDown = Math.min(2 * h, Math.max(0, cusumDown - z - k));
        List<String> reasons = new ArrayList<>(3);
        if (cusumUp > h) reasons.add(DriftReport.REASON_FLAGGED_UP);
        if (cusumDown > h) reasons.add(DriftReport.REASON_FLAGGED_DOWN);
        if (psiP > config.psiThreshold() && ksPp < config.ksAlpha()) reasons.add(DriftReport.REASON_DISTRIBUTION);
        return new DriftReport(key, windowIndex, why, firstEventMs, lastEventMs, w.n(), w.probeProbabilityMean(),
                w.flaggedRate(), w.castFireRate(), w.oodRate(), w.sectorShares(), true, ref.n(), psiP, ksP, ksPp, psiM,
                ksM, ksMp, psiS, flaggedDiff, fireDiff, oodDiff, z, cusumUp, cusumDown, !reasons.isEmpty(),
                Collections.unmodifiableList(reasons), directionsVersion);
    }

    /**
     * Everything a slice holds, for a state store. Windows are copies.
     *
     * @param reference     PINNED: the merged baseline of {@code pinnedWindows} windows; TRAILING: empty
     * @param trailing      TRAILING: the last closed windows, oldest first; PINNED: empty
     * @param lastReport    the latest closed window's report, or null
     */
    public record Snapshot(SliceKey key, WindowAggregate current, WindowAggregate reference, int pinnedWindows,
                           List<WindowAggregate> trailing, long windowIndex, long bucketStart, long firstEventMs,
                           long lastEventMs, double cusumUp, double cusumDown, long directionsVersion,
                           DriftReport lastReport) {
    }

    /** A copy of the whole state. */
    public Snapshot snapshot() {
        WindowAggregate ref = emptyWindow(config);
        if (config.referenceMode() == ReferenceMode.PINNED) ref.merge(reference);
        List<WindowAggregate> ring = new ArrayList<>(trailing.size());
        for (WindowAggregate w : trailing) {
            WindowAggregate c = emptyWindow(config);
            c.merge(w);
            ring.add(c);
        }
        WindowAggregate open = emptyWindow(config);
        open.merge(current);
        return new Snapshot(key, open, ref, pinnedWindows, List.copyOf(ring), windowIndex, bucketStart, firstEventMs,
                lastEventMs, cusumUp, cusumDown, directionsVersion, lastReport);
    }

    /**
     * The slice a snapshot describes, under {@code config}.
     *
     * @throws IllegalArgumentException when the snapshot does not fit the configuration (other sectors or histogram
     *                                  layouts, more reference windows than R, a ring under the other reference mode)
     */
    public static SliceDrift restore(DriftConfig config, Snapshot s) {
        SliceDrift d = new SliceDrift(config, s.key());
        d.current.merge(s.current());
        boolean pinned = config.referenceMode() == ReferenceMode.PINNED;
        if (s.pinnedWindows() < 0 || s.pinnedWindows() > config.referenceWindows()
                || (pinned ? !s.trailing().isEmpty() : s.pinnedWindows() != 0 || s.reference().n() != 0)
                || s.trailing().size() > config.referenceWindows()) {
            throw new IllegalArgumentException("slice state does not fit the configuration (reference mode "
                    + config.referenceMode() + ", R = " + config.referenceWindows() + ")");
        }
        d.reference.merge(s.reference());
        d.pinnedWindows = s.pinnedWindows();
        for (WindowAggregate w : s.trailing()) {
            WindowAggregate c = emptyWindow(config);
            c.merge(w);
            d.trailing.add(c);
        }
        if (s.windowIndex() < 0) throw new IllegalArgumentException("negative window index " + s.windowIndex());
        d.windowIndex = s.windowIndex();
        d.bucketStart = s.bucketStart();
        d.firstEventMs = s.firstEventMs();
        d.lastEventMs = s.lastEventMs();
        d.cusumUp = s.cusumUp();
        d.cusumDown = s.cusumDown();
        d.directionsVersion = s.directionsVersion();
        d.lastReport = s.lastReport();
        return d;
    }
}
