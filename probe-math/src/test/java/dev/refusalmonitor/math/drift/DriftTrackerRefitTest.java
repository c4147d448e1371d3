package dev.refusalmonitor.math.drift;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 14, item 6: a new direction-set version starts a fresh reference, so a refit that changes the flagged rate
 * by itself never alarms, and a real shift after the refit still does.
 */
class DriftTrackerRefitTest {
    private static final SliceKey M = SliceKey.of("m", null, null);
    private static final int WINDOW = 200;
    private static final int R = 50;

    private final List<DriftReport> reports = new ArrayList<>();
    private final DriftTracker tracker = new DriftTracker(DriftConfig.builder().windowSize(WINDOW).referenceWindows(R)
            .build(), reports::add);
    private final SplittableRandom rnd = new SplittableRandom(14);

    /** {@code windows} windows of traffic flagged at {@code rate}, scored with {@code version}. */
    private void traffic(int windows, double rate, long version) {
        for (int i = 0; i < windows * WINDOW; i++) {
            boolean flagged = rnd.nextDouble() < rate;
            double p = flagged ? 0.6 + 0.4 * rnd.nextDouble() : 0.4 * rnd.nextDouble();
            tracker.observe(M, p, flagged, false, 0.5, flagged ? 2 : -2, null, 1000L + i, version);
        }
    }

    private List<DriftReport> since(int from) {
        return reports.subList(from, reports.size());
    }

    @Test
    void aRefitThatHalvesTheFlaggedRateDoesNotAlarm() {
        traffic(R + 20, 0.10, 1);
        assertTrue(reports.stream().noneMatch(DriftReport::drifted), "stationary v1 traffic raised no alarm");
        assertTrue(reports.get(reports.size() - 1).referenceReady());
        int before = reports.size();
        // v2: a new threshold flags 5 % of the same traffic instead of 10 % (20 standard errors against R windows).
        traffic(R + 40, 0.05, 2);
        List<DriftReport> after = since(before);
        assertEquals(WindowClose.DIRECTIONS_VERSION, after.get(0).closedBy(), "the version change closes the open window");
        assertFalse(after.get(0).referenceReady());
        assertEquals(1, after.get(0).directionsVersion());
        assertTrue(after.stream().noneMatch(DriftReport::drifted), "the refit alone never alarms");
        assertTrue(after.stream().skip(1).allMatch(r -> r.directionsVersion() == 2));
        assertFalse(after.get(R).referenceReady(), "a fresh reference of R windows under v2");
        assertTrue(after.get(R + 1).referenceReady());
        assertEquals(2, tracker.directionsVersion(SliceKey.modelTotal("m")));
    }

    @Test
    void withoutTheVersionTheSameRefitWouldAlarm() {
        // The control: the same traffic with the version unknown (0) compares v2 scores with the v1 reference.
        traffic(R + 20, 0.10, 0);
        int before = reports.size();
        traffic(R + 40, 0.05, 0);
        assertTrue(since(before).stream().anyMatch(r -> r.reasons().contains(DriftReport.REASON_FLAGGED_DOWN)));
    }

    @Test
    void aRealShiftAfterTheRefitStillAlarms() {
        traffic(R + 20, 0.10, 1);
        traffic(R + 10, 0.05, 2);
        int before = reports.size();
        assertTrue(reports.get(before - 1).referenceReady());
        assertTrue(since(0).stream().noneMatch(DriftReport::drifted));
        // Under v2 the flagged rate rises from 5 % to 10 %: a real shift in traffic.
        traffic(20, 0.10, 2);
        List<DriftReport> shifted = since(before);
        int first = -1;
        for (int i = 0; i < shifted.size() && first < 0; i++) if (shifted.get(i).drifted()) first = i;
        assertTrue(first >= 0 && first < 10, "detected within 10 windows, first at " + first);
        assertTrue(shifted.get(first).reasons().contains(DriftReport.REASON_FLAGGED_UP));
    }

    @Test
    void recordsOfAnOlderVersionAfterTheChangeAreNotCounted() {
        assertTrue(tracker.observe(M, 0.1, false, false, 0.5, -1, null, 1, 3));
        assertTrue(tracker.observe(M, 0.9, true, false, 0.5, 1, null, 2, 4));
        assertFalse(tracker.observe(M, 0.1, false, false, 0.5, -1, null, 3, 3), "a late v3 record after v4");
        assertTrue(tracker.observe(M, 0.1, false, false, 0.5, -1, null, 4, 0), "an unknown version is counted");
        assertEquals(1, reports.size());
        assertEquals(1, reports.get(0).n());
        assertEquals(WindowClose.DIRECTIONS_VERSION, reports.get(0).closedBy());
    }
}
