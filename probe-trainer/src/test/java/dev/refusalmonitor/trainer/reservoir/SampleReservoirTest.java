package dev.refusalmonitor.trainer.reservoir;

import dev.refusalmonitor.math.fit.LabelledLayers;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SampleReservoirTest {

    /** A row whose every value is its arrival index, so the kept rows say which arrivals survived. */
    private static float[][] row(int index, int layers, int d) {
        float[][] v = new float[layers][d];
        for (float[] l : v) java.util.Arrays.fill(l, index);
        return v;
    }

    @Test
    void shouldNeverHoldMoreThanItsCapacity() {
        ClassReservoir r = new ClassReservoir(50, 2, 3, 1);
        for (int i = 0; i < 1000; i++) r.offer(row(i, 2, 3), 1);
        assertEquals(50, r.size());
        assertEquals(1000, r.seen());
        assertEquals(50 * 3, r.copyLayer(0).length);
    }

    @Test
    void shouldKeepEveryRowUntilFull() {
        ClassReservoir r = new ClassReservoir(100, 1, 2, 1);
        for (int i = 0; i < 40; i++) assertEquals(i, r.offer(row(i, 1, 2), 1));
        float[] kept = r.copyLayer(0);
        for (int i = 0; i < 40; i++) assertEquals(i, kept[2 * i]);
    }

    @Test
    void shouldIncludeOldAndNewArrivalsWithEqualProbability() {
        // 20 000 arrivals into 2 000 slots: each kept with probability 0.1, so each tenth of the arrival order keeps
        // ~200 rows (binomial sd ~ 13.4); 5 sd either side is the bound.
        int n = 20_000, cap = 2_000;
        ClassReservoir r = new ClassReservoir(cap, 1, 1, 42);
        for (int i = 0; i < n; i++) r.offer(new float[][]{{i}}, 1);
        int[] perTenth = new int[10];
        for (float v : r.copyLayer(0)) perTenth[(int) v * 10 / n]++;
        for (int t = 0; t < 10; t++)
            assertTrue(Math.abs(perTenth[t] - 200) <= 67, () -> "kept per tenth of arrivals: " + java.util.Arrays.toString(perTenth));
    }

    @Test
    void shouldKeepEachClassApartSoAFloodOfOneCannotEvictTheOther() {
        SampleReservoir r = new SampleReservoir("m", new int[]{3, 5}, 4, 30, 7);
        for (int i = 0; i < 20; i++) r.offer(true, row(i, 2, 4), 1);
        for (int i = 0; i < 5000; i++) r.offer(false, row(-i, 2, 4), 2);
        SampleReservoir.Stats s = r.stats();
        assertEquals(20, s.harmful());
        assertEquals(30, s.harmless());
        LabelledLayers snap = r.snapshot();
        for (float v : snap.harmful()[1]) assertTrue(v >= 0, "a harmless row entered the harmful class");
        for (float v : snap.harmless()[0]) assertTrue(v <= 0, "a harmful row entered the harmless class");
        assertArrayEquals(new int[]{3, 5}, snap.layers());
    }

    @Test
    void shouldAccountMemoryAsRowsTimesLayersTimesDimFloats() {
        int cap = 1000, layers = 3, d = 64;
        SampleReservoir r = new SampleReservoir("m", new int[]{0, 1, 2}, d, cap, 1);
        long perClass = (long) cap * layers * d * Float.BYTES + (long) cap * Integer.BYTES;
        assertEquals(2 * perClass, r.stats().capacityBytes());
        assertEquals(0, r.stats().allocatedBytes());
        for (int i = 0; i < 10; i++) r.offer(true, row(i, layers, d), 1);
        long grown = r.stats().allocatedBytes();
        assertTrue(grown > 0 && grown < perClass, () -> "allocated " + grown);
        for (int i = 0; i < 5000; i++) {
            r.offer(true, row(i, layers, d), 1);
            r.offer(false, row(i, layers, d), 2);
        }
        assertEquals(2 * perClass, r.stats().allocatedBytes());
    }

    @Test
    void shouldRejectVectorsOfTheWrongShape() {
        ClassReservoir r = new ClassReservoir(5, 2, 3, 1);
        assertThrows(IllegalArgumentException.class, () -> r.offer(new float[][]{{1, 2, 3}}, 1));
        assertThrows(IllegalArgumentException.class, () -> r.offer(new float[][]{{1, 2, 3}, {1, 2}}, 1));
        assertEquals(0, r.seen());
    }

    @Test
    void shouldSnapshotACopyThatLaterOffersDoNotChange() {
        SampleReservoir r = new SampleReservoir("m", new int[]{0}, 2, 3, 1);
        for (int i = 0; i < 3; i++) {
            r.offer(true, row(i, 1, 2), 3);
            r.offer(false, row(i, 1, 2), 2);
        }
        LabelledLayers snap = r.snapshot();
        float[] before = snap.harmful()[0].clone();
        for (int i = 3; i < 100; i++) r.offer(true, row(i, 1, 2), 1);
        assertArrayEquals(before, snap.harmful()[0]);
        assertArrayEquals(new int[]{3, 3, 3}, snap.harmfulResponses());
    }
}
