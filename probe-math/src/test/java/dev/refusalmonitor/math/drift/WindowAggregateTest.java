package dev.refusalmonitor.math.drift;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class WindowAggregateTest {
    private static WindowAggregate empty() {
        return new WindowAggregate(List.of("refuse", "comply"), ScoreHistogram.probability(10),
                ScoreHistogram.withEdges(-1, 0, 1));
    }

    @Test
    void addCountsEveryField() {
        WindowAggregate w = empty();
        w.add(0.9, true, true, false, 2.5, "refuse");
        w.add(0.1, false, false, true, -0.5, "comply");
        w.add(0.3, false, true, false, -3, "redirect");
        w.add(0.7, true, false, false, 0.5, null);
        assertEquals(4, w.n());
        assertEquals(0.5, w.probeProbabilityMean(), 1e-15);
        assertEquals(0.5, w.flaggedRate(), 0);
        assertEquals(0.5, w.castFireRate(), 0);
        assertEquals(0.25, w.oodRate(), 0);
        assertEquals(Map.of("refuse", 0.25, "comply", 0.25, WindowAggregate.OTHER_SECTOR, 0.5), w.sectorShares());
        assertEquals(List.of("refuse", "comply", "_other"), List.copyOf(w.sectorShares().keySet()), "order kept");
        assertEquals(2, w.sectorCount(WindowAggregate.OTHER_SECTOR));
        assertEquals(1, w.probabilityHistogram().count(9));
        assertEquals(1, w.mahalanobisHistogram().count(0));
        assertEquals(1, w.mahalanobisHistogram().count(3));
    }

    @Test
    void mergeAddsAndClearEmpties() {
        WindowAggregate a = empty(), b = empty();
        a.add(0.9, true, true, false, 2.5, "refuse");
        b.add(0.2, false, false, true, -2, "comply");
        b.add(0.4, false, false, false, -2, "comply");
        a.merge(b);
        assertEquals(3, a.n());
        assertEquals(1.5, a.sumProbeProbability(), 1e-15);
        assertEquals(1, a.flaggedCount());
        assertEquals(1, a.oodCount());
        assertEquals(2, a.sectorCount("comply"));
        assertEquals(3, a.probabilityHistogram().total());
        assertEquals(2, b.n(), "argument not modified");
        a.clear();
        assertEquals(0, a.n());
        assertTrue(Double.isNaN(a.flaggedRate()));
        assertEquals(0, a.mahalanobisHistogram().total());
    }

    @Test
    void badInputIsRejected() {
        WindowAggregate w = empty();
        assertThrows(IllegalArgumentException.class, () -> w.add(1.2, true, false, false, 0, "refuse"));
        assertThrows(IllegalArgumentException.class, () -> w.add(0.5, true, false, false, Double.NaN, "refuse"));
        assertThrows(IllegalArgumentException.class, () -> new WindowAggregate(List.of("_other"),
                ScoreHistogram.probability(10), ScoreHistogram.withEdges(0)));
        WindowAggregate other = new WindowAggregate(List.of("refuse"), ScoreHistogram.probability(10),
                ScoreHistogram.withEdges(-1, 0, 1));
        assertThrows(IllegalArgumentException.class, () -> w.merge(other));
    }
}
