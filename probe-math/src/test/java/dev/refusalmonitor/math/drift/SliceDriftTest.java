package dev.refusalmonitor.math.drift;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** One slice fed by partials from several instances, and its state copied out and back mid-stream. */
class SliceDriftTest {
    private static final SliceKey KEY = SliceKey.modelTotal("m");

    private record Req(double p, boolean flagged, boolean fired, boolean ood, double maha, String sector, long t) {
    }

    private static List<Req> traffic(int n, long seed, double harmful) {
        SplittableRandom r = new SplittableRandom(seed);
        List<Req> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            boolean h = r.nextDouble() < harmful;
            double p = h ? 0.6 + 0.4 * r.nextDouble() : 0.4 * r.nextDouble();
            out.add(new Req(p, p >= 0.5, r.nextDouble() < (h ? 0.8 : 0.05), r.nextDouble() < 0.01,
                    (h ? 3 : -3) + r.nextGaussian(), h ? "refuse" : "comply", i));
        }
        return out;
    }

    private static DriftConfig config(ReferenceMode mode) {
        return DriftConfig.builder().windowSize(100).referenceWindows(3).referenceMode(mode).build();
    }

    @ParameterizedTest
    @EnumSource(ReferenceMode.class)
    void shouldGiveTheSameReportsFromPartialsOfThreeInstancesAsFromEveryRequest(ReferenceMode mode) {
        DriftConfig cfg = config(mode);
        List<Req> reqs = traffic(1_500, 7, 0.1);
        reqs.addAll(traffic(1_000, 8, 0.3).stream().map(q -> new Req(q.p, q.flagged, q.fired, q.ood, q.maha, q.sector, q.t + 1_500)).toList());
        List<DriftReport> direct = new ArrayList<>();
        SliceDrift one = new SliceDrift(cfg, KEY);
        for (Req q : reqs) one.add(q.p, q.flagged, q.fired, q.ood, q.maha, q.sector, q.t, 1, direct::add);

        // Three instances take turns; each hands on partials of 10, so every window is exactly 100 requests.
        List<DriftReport> merged = new ArrayList<>();
        SliceDrift owner = new SliceDrift(cfg, KEY);
        DriftPartial[] open = new DriftPartial[3];
        for (int i = 0; i < reqs.size(); i++) {
            int inst = (i / 10) % 3;
            Req q = reqs.get(i);
            if (open[inst] == null) open[inst] = new DriftPartial(KEY, 1, 0, SliceDrift.emptyWindow(cfg));
            open[inst].add(q.p, q.flagged, q.fired, q.ood, q.maha, q.sector, q.t);
            if (open[inst].counts().n() == 10) {
                owner.merge(open[inst], merged::add);
                open[inst] = null;
            }
        }
        assertEquals(direct.size(), merged.size());
        for (int i = 0; i < direct.size(); i++) {
            DriftReport a = direct.get(i), b = merged.get(i);
            assertEquals(a.n(), b.n());
            assertEquals(a.flaggedRate(), b.flaggedRate(), 0);
            assertEquals(a.psiProbability(), b.psiProbability(), 1e-12);
            assertEquals(a.cusumUp(), b.cusumUp(), 1e-12);
            assertEquals(a.drifted(), b.drifted());
        }
        assertTrue(direct.stream().anyMatch(DriftReport::drifted), "the shift to 30 % harmful is detected");
    }

    @ParameterizedTest
    @EnumSource(ReferenceMode.class)
    void shouldContinueFromASnapshotExactlyAsWithoutOne(ReferenceMode mode) {
        DriftConfig cfg = config(mode);
        List<Req> reqs = traffic(1_234, 9, 0.15);
        List<DriftReport> straight = new ArrayList<>();
        SliceDrift a = new SliceDrift(cfg, KEY);
        for (Req q : reqs) a.add(q.p, q.flagged, q.fired, q.ood, q.maha, q.sector, q.t, 1, straight::add);

        List<DriftReport> restarted = new ArrayList<>();
        SliceDrift b = new SliceDrift(cfg, KEY);
        for (int i = 0; i < reqs.size(); i++) {
            if (i == 777) b = SliceDrift.restore(cfg, b.snapshot()); // a restart mid-window
            Req q = reqs.get(i);
            b.add(q.p, q.flagged, q.fired, q.ood, q.maha, q.sector, q.t, 1, restarted::add);
        }
        assertEquals(straight, restarted);
        assertEquals(a.lastReport(), b.lastReport());
    }

    @Test
    void shouldRefuseASnapshotOfAnotherConfiguration() {
        SliceDrift s = new SliceDrift(config(ReferenceMode.TRAILING), KEY);
        for (Req q : traffic(450, 3, 0.1)) s.add(q.p, q.flagged, q.fired, q.ood, q.maha, q.sector, q.t, 1, r -> { });
        SliceDrift.Snapshot snap = s.snapshot();
        assertThrows(IllegalArgumentException.class, () -> SliceDrift.restore(config(ReferenceMode.PINNED), snap));
        assertThrows(IllegalArgumentException.class, () -> SliceDrift.restore(
                DriftConfig.builder().windowSize(100).referenceWindows(2).referenceMode(ReferenceMode.TRAILING).build(), snap));
    }

    @Test
    void shouldNotCountAPartialOfAnOlderVersion() {
        DriftConfig cfg = config(ReferenceMode.PINNED);
        SliceDrift s = new SliceDrift(cfg, KEY);
        DriftPartial v2 = new DriftPartial(KEY, 2, 0, SliceDrift.emptyWindow(cfg));
        v2.add(0.1, false, false, false, -1, null, 5);
        DriftPartial v1 = new DriftPartial(KEY, 1, 0, SliceDrift.emptyWindow(cfg));
        v1.add(0.1, false, false, false, -1, null, 4);
        assertTrue(s.merge(v2, r -> { }));
        assertEquals(false, s.merge(v1, r -> { }));
        assertEquals(1, s.openRequests());
    }
}
