package dev.refusalmonitor.math.drift;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ScoreHistogramTest {

    @Test
    void probabilityBinsAreHalfOpenAndOneGoesToTheLastBin() {
        ScoreHistogram h = ScoreHistogram.probability(20);
        assertEquals(20, h.binCount());
        assertEquals(0, h.binOf(0.0));
        assertEquals(0, h.binOf(0.0499));
        assertEquals(1, h.binOf(0.05));
        assertEquals(10, h.binOf(0.5));
        assertEquals(19, h.binOf(0.999));
        assertEquals(19, h.binOf(1.0));
    }

    @Test
    void boundedLayoutClampsValuesOutsideTheRange() {
        ScoreHistogram h = ScoreHistogram.bounded(0, 1, 4);
        assertEquals(0, h.binOf(-3));
        assertEquals(3, h.binOf(1 + 1e-12));
        assertEquals(3, h.binOf(Double.POSITIVE_INFINITY));
    }

    @Test
    void edgesLayoutHasUnderflowAndOverflowBins() {
        ScoreHistogram h = ScoreHistogram.withEdges(-1, 0, 2);
        assertEquals(4, h.binCount());
        assertEquals(0, h.binOf(-1.5));
        assertEquals(1, h.binOf(-1));
        assertEquals(1, h.binOf(-0.01));
        assertEquals(2, h.binOf(0));
        assertEquals(2, h.binOf(1.99));
        assertEquals(3, h.binOf(2));
        assertEquals(3, h.binOf(1e300));
        assertEquals(0, h.binOf(Double.NEGATIVE_INFINITY));
    }

    @Test
    void addCountsAndMergeSums() {
        ScoreHistogram a = ScoreHistogram.withEdges(ScoreHistogram.linearEdges(-2, 2, 4));
        for (double x : new double[] {-5, -1.5, 0.5, 0.5, 9}) a.add(x);
        ScoreHistogram b = a.emptyCopy();
        b.add(0.5);
        b.add(-0.5);
        assertEquals(5, a.total());
        assertArrayEquals(new long[] {1, 1, 0, 2, 0, 1}, a.counts(null));
        a.merge(b);
        assertArrayEquals(new long[] {1, 1, 1, 3, 0, 1}, a.counts(null));
        assertEquals(7, a.total());
        assertEquals(2, b.total(), "merge must not modify its argument");
        ScoreHistogram c = a.copy();
        a.clear();
        assertEquals(0, a.total());
        assertEquals(7, c.total());
    }

    @Test
    void layoutsMustMatchToMerge() {
        ScoreHistogram p20 = ScoreHistogram.probability(20);
        assertTrue(p20.sameLayout(ScoreHistogram.probability(20)));
        assertFalse(p20.sameLayout(ScoreHistogram.probability(21)));
        assertFalse(p20.sameLayout(ScoreHistogram.bounded(0, 2, 20)));
        assertTrue(ScoreHistogram.withEdges(0, 1).sameLayout(ScoreHistogram.withEdges(0, 1)));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> p20.merge(ScoreHistogram.withEdges(ScoreHistogram.linearEdges(0, 1, 18))));
        assertTrue(e.getMessage().contains("layouts differ"), e.getMessage());
    }

    @Test
    void badInputIsRejected() {
        assertThrows(IllegalArgumentException.class, () -> ScoreHistogram.probability(1));
        assertThrows(IllegalArgumentException.class, () -> ScoreHistogram.bounded(1, 1, 10));
        assertThrows(IllegalArgumentException.class, () -> ScoreHistogram.withEdges(0, 0));
        assertThrows(IllegalArgumentException.class, () -> ScoreHistogram.withEdges(0, Double.NaN));
        assertThrows(IllegalArgumentException.class, () -> ScoreHistogram.probability(10).add(Double.NaN));
    }
}
