package dev.refusalmonitor.math.fit;

import dev.refusalmonitor.math.synthetic.PlantedTruthSpec;
import dev.refusalmonitor.math.synthetic.SyntheticActivations;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PcaReadingVectorTest {

    @Test
    void followsThePlantedDirectionWithHarmfulHigher() {
        int d = 64;
        // No rogue dimensions and few factors: the paired differences' main spread is the planted shift.
        SyntheticActivations.Sample s = SyntheticActivations.generate(
                new PlantedTruthSpec(250, 200, d, 1, 12.0, 0, 1.0, 2, 0.0, 31L));
        float[] v = PcaReadingVector.fit(s.harmful()[0], 250, s.harmless()[0], 200, d, 1L);
        double cos = 0, norm = 0;
        for (int j = 0; j < d; j++) {
            cos += v[j] * s.plantedDirections()[0][j];
            norm += v[j] * v[j];
        }
        assertEquals(1.0, Math.sqrt(norm), 1e-6);
        assertTrue(cos > 0.8, "cosine with the planted direction " + cos + " (positive: harmful higher)");
        assertArrayEquals(v, PcaReadingVector.fit(s.harmful()[0], 250, s.harmless()[0], 200, d, 1L), "seeded");
    }

    @Test
    void badInputIsRejected() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> PcaReadingVector.fit(new float[0], 0, new float[]{1, 2}, 1, 2, 1L));
        assertTrue(e.getMessage().contains("harmful"), e.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> PcaReadingVector.fit(new float[]{1, 2}, 1, new float[]{1, 2, 3}, 1, 2, 1L));
    }
}
