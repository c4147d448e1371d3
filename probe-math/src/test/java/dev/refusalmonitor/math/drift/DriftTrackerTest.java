package dev.refusalmonitor.math.drift;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DriftTrackerTest {
    private static final SliceKey M = SliceKey.of("m", null, null);

    private final List<DriftReport> reports = new ArrayList<>();

    private DriftTracker tracker(DriftConfig.Builder b) {
        return new DriftTracker(b.build(), reports::add);
    }

    private static void feed(DriftTracker t, SliceKey key, boolean flagged, long time) {
        t.observe(key, flagged ? 0.9 : 0.1, flagged, false, 0.5, flagged ? 3 : -3, flagged ? "refuse" : "comply", time);
    }

    @Test
    void countWindowsCloseAtTheConfiguredCount() {
        DriftTracker t = tracker(DriftConfig.builder().windowSize(5).referenceWindows(2));
        for (int i = 0; i < 23; i++) feed(t, M, i % 5 == 0, 1000 + i);
        assertEquals(4, reports.size());
        for (int w = 0; w < 4; w++) {
            DriftReport r = reports.get(w);
            assertEquals(w, r.windowIndex());
            assertEquals(5, r.n());
            assertEquals(WindowClose.COUNT, r.closedBy());
            assertEquals(1000 + 5L * w, r.firstEventMs());
            assertEquals(1004 + 5L * w, r.lastEventMs());
            assertEquals(SliceKey.modelTotal("m"), r.slice());
            assertEquals(0.2, r.flaggedRate(), 0);
        }
        assertFalse(reports.get(1).referenceReady());
        assertTrue(Double.isNaN(reports.get(1).psiProbability()));
        assertNull(reports.get(1).flaggedDifference());
        assertTrue(reports.get(2).referenceReady());
        assertEquals(10, reports.get(2).referenceN());
        assertEquals(0.0, reports.get(2).psiProbability(), 1e-15);
        assertEquals(0.0, reports.get(2).ksProbability(), 0);
    }

    @Test
    void timeWindowsTumbleOnEventTime() {
        DriftTracker t = tracker(DriftConfig.builder().windowSize(0).windowDurationMs(1000).referenceWindows(1));
        feed(t, M, false, 5100);
        feed(t, M, true, 5999);
        feed(t, M, false, 5050); // late: counted in the open window
        assertEquals(0, reports.size());
        feed(t, M, false, 6000);
        assertEquals(1, reports.size());
        DriftReport r = reports.get(0);
        assertEquals(WindowClose.TIME, r.closedBy());
        assertEquals(3, r.n());
        assertEquals(5050, r.firstEventMs());
        assertEquals(5999, r.lastEventMs());
        t.advanceTime(6999);
        assertEquals(1, reports.size());
        t.advanceTime(7000);
        assertEquals(2, reports.size());
        assertEquals(1, reports.get(1).n());
        t.advanceTime(9000);
        assertEquals(2, reports.size(), "no empty windows");
    }

    @Test
    void countAndTimeLimitsCloseAtWhicheverComesFirst() {
        DriftTracker t = tracker(DriftConfig.builder().windowSize(3).windowDurationMs(1000).referenceWindows(1));
        for (int i = 0; i < 4; i++) feed(t, M, false, 10 + i);
        assertEquals(1, reports.size());
        assertEquals(WindowClose.COUNT, reports.get(0).closedBy());
        feed(t, M, false, 1500);
        assertEquals(2, reports.size());
        assertEquals(WindowClose.TIME, reports.get(1).closedBy());
        assertEquals(1, reports.get(1).n());
    }

    /** Windows of 10 with 0, 2, 4, 6 flagged; R = 2. */
    private void feedRisingWindows(DriftTracker t) {
        int[] flagged = {0, 2, 4, 6};
        long time = 0;
        for (int f : flagged) for (int i = 0; i < 10; i++) feed(t, M, i < f, time++);
    }

    @Test
    void pinnedReferenceIsTheFirstWindows() {
        DriftTracker t = tracker(DriftConfig.builder().windowSize(10).referenceWindows(2)
                .referenceMode(ReferenceMode.PINNED));
        feedRisingWindows(t);
        assertEquals(4, reports.size());
        assertEquals(2, reports.get(2).flaggedDifference().countE());
        assertEquals(20, reports.get(2).flaggedDifference().nE());
        assertEquals(2, reports.get(3).flaggedDifference().countE());
        assertEquals(0.6 - 0.1, reports.get(3).flaggedDifference().difference(), 1e-15);
    }

    @Test
    void trailingReferenceIsThePreviousWindows() {
        DriftTracker t = tracker(DriftConfig.builder().windowSize(10).referenceWindows(2)
                .referenceMode(ReferenceMode.TRAILING));
        feedRisingWindows(t);
        assertEquals(4, reports.size());
        assertEquals(2, reports.get(2).flaggedDifference().countE());
        assertEquals(6, reports.get(3).flaggedDifference().countE(), "windows 1 and 2: 2 + 4");
        assertEquals(20, reports.get(3).referenceN());
    }

    @Test
    void rebaselineStartsANewPinnedReference() {
        DriftTracker t = tracker(DriftConfig.builder().windowSize(10).referenceWindows(2));
        feedRisingWindows(t);
        assertTrue(t.rebaseline(SliceKey.modelTotal("m")));
        assertFalse(t.rebaseline(SliceKey.of("nope", null, null)));
        for (int i = 0; i < 30; i++) feed(t, M, i % 10 < 6, 100 + i);
        assertFalse(reports.get(4).referenceReady());
        assertFalse(reports.get(5).referenceReady());
        assertEquals(0.0, reports.get(6).flaggedDifference().difference(), 1e-15);
        assertEquals(0.0, reports.get(6).cusumUp(), 0);
    }

    @Test
    void slicesBeyondTheCapFoldIntoOther() {
        DriftTracker t = tracker(DriftConfig.builder().windowSize(1).referenceWindows(1).maxSlicesPerModel(2)
                .maxModels(2));
        SliceKey a = SliceKey.of("m", "a", "chat"), b = SliceKey.of("m", "b", "chat"), c = SliceKey.of("m", "c", null);
        SliceKey other = new SliceKey("m", SliceKey.OTHER, SliceKey.OTHER);
        feed(t, a, true, 0);
        feed(t, b, true, 1);
        assertEquals(other, t.resolve(c));
        feed(t, c, true, 2);
        feed(t, a, true, 3);
        feed(t, SliceKey.of("m2", "a", "chat"), false, 4);
        feed(t, SliceKey.of("m3", "a", "chat"), false, 5);
        assertEquals(Set.of(SliceKey.modelTotal("m"), a, b, other, SliceKey.modelTotal("m2"),
                new SliceKey("m2", "a", "chat"), SliceKey.modelTotal(SliceKey.OTHER),
                new SliceKey(SliceKey.OTHER, SliceKey.OTHER, SliceKey.OTHER)), t.slices());
        // Each record closes a window in the model total and in its slice.
        assertEquals(12, reports.size());
        assertEquals(other, reports.get(5).slice());
        assertEquals(a, reports.get(7).slice());
        assertEquals(SliceKey.modelTotal("m"), t.resolve(SliceKey.of("m", null, "")));
    }

    @Test
    void oodIsATailProbabilityBelowTheLevel() {
        DriftTracker t = tracker(DriftConfig.builder().windowSize(4).referenceWindows(1).oodLevel(0.01));
        double[] tails = {0.001, 0.0099, 0.01, 0.5};
        for (int i = 0; i < 4; i++) t.observe(M, 0.2, false, i == 0, tails[i], -1, "comply", i);
        assertEquals(0.5, reports.get(0).oodRate(), 0);
        assertEquals(0.25, reports.get(0).castFireRate(), 0);
        assertEquals(1.0, reports.get(0).sectorShares().get("comply"), 0);
        assertThrows(IllegalArgumentException.class, () -> t.observe(M, 0.2, false, false, 1.5, -1, "comply", 9));
    }

    @Test
    void stationaryStreamDoesNotDriftButATwentyPointShiftDoes() {
        DriftConfig cfg = DriftConfig.builder().build();
        DriftTracker t = new DriftTracker(cfg, reports::add);
        DriftDetectionBenchmark.Traffic traffic = new DriftDetectionBenchmark.Traffic(42, 0.10);
        long time = 0;
        int stationaryWindows = cfg.referenceWindows() + 100;
        for (int i = 0; i < stationaryWindows * cfg.windowSize(); i++) traffic.next(t, M, time++);
        assertEquals(stationaryWindows, reports.size());
        assertTrue(reports.stream().noneMatch(DriftReport::drifted), "no drift on a stationary stream");
        // +20 pp flagged rate: harmful share 0.10 → 0.30 (≈98 % of harmful requests are flagged).
        traffic.harmfulShare = 0.30;
        for (int i = 0; i < 3 * cfg.windowSize(); i++) traffic.next(t, M, time++);
        DriftReport last = reports.get(reports.size() - 1);
        assertTrue(last.drifted());
        assertTrue(last.reasons().contains(DriftReport.REASON_FLAGGED_UP), last.reasons().toString());
        assertTrue(last.flaggedDifference().significant());
        assertTrue(last.flaggedDifference().lower() > 0.1, "interval " + last.flaggedDifference());
    }

    @Test
    void fallingRefusalsDriftDown() {
        DriftConfig cfg = DriftConfig.builder().build();
        DriftTracker t = new DriftTracker(cfg, reports::add);
        DriftDetectionBenchmark.Traffic traffic = new DriftDetectionBenchmark.Traffic(43, 0.20);
        long time = 0;
        for (int i = 0; i < cfg.referenceWindows() * cfg.windowSize(); i++) traffic.next(t, M, time++);
        traffic.harmfulShare = 0.02;
        for (int i = 0; i < 3 * cfg.windowSize(); i++) traffic.next(t, M, time++);
        DriftReport last = reports.get(reports.size() - 1);
        assertTrue(last.reasons().contains(DriftReport.REASON_FLAGGED_DOWN), last.reasons().toString());
        assertFalse(last.reasons().contains(DriftReport.REASON_FLAGGED_UP));
        assertTrue(last.flaggedDifference().upper() < 0, "interval " + last.flaggedDifference());
    }

    @Test
    void aScoreDistributionShiftWithTheSameFlaggedRateDrifts() {
        DriftTracker t = tracker(DriftConfig.builder().windowSize(200).referenceWindows(2));
        long time = 0;
        // Reference: probabilities spread over [0, 0.2); window: over [0.25, 0.45). Nothing is flagged in either.
        for (int i = 0; i < 400; i++) t.observe(M, 0.2 * (i % 200) / 200, false, false, 0.5, -2, "comply", time++);
        for (int i = 0; i < 200; i++) t.observe(M, 0.25 + 0.2 * i / 200, false, false, 0.5, -2, "comply", time++);
        DriftReport last = reports.get(2);
        assertEquals(List.of(DriftReport.REASON_DISTRIBUTION), last.reasons());
        assertEquals(1.0, last.ksProbability(), 0);
        assertTrue(last.psiProbability() > 5, "psi " + last.psiProbability());
        assertEquals(0.0, last.psiMahalanobis(), 0);
    }

    @Test
    void badConfigIsRejected() {
        assertThrows(IllegalArgumentException.class, () -> DriftConfig.builder().windowSize(0).build());
        assertThrows(IllegalArgumentException.class, () -> DriftConfig.builder().referenceWindows(0).build());
        assertThrows(IllegalArgumentException.class, () -> DriftConfig.builder().oodLevel(0).build());
        assertThrows(IllegalArgumentException.class, () -> DriftConfig.builder().mahalanobisEdges(1, 0).build());
    }
}
