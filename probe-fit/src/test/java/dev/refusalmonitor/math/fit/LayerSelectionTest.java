package dev.refusalmonitor.math.fit;

import dev.refusalmonitor.math.testing.Tolerances;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class LayerSelectionTest {

    @Test
    void highestAucWinsAndATieGoesToTheEarlierLayer() {
        assertEquals(2, LayerSelection.bestIndex(new int[]{3, 4, 5, 6}, new double[]{0.7, 0.8, 0.95, 0.9}));
        assertEquals(1, LayerSelection.bestIndex(new int[]{3, 4, 5, 6}, new double[]{0.7, 0.95, 0.95, 0.95}));
        // Layers not in ascending order: the smaller layer index still wins the tie.
        assertEquals(1, LayerSelection.bestIndex(new int[]{9, 2}, new double[]{0.9, 0.9}));
    }

    @Test
    void cosineMatrixIsSymmetricWithUnitDiagonal() {
        float[][] dirs = {{1, 0, 0}, {1, 1, 0}, {0, 0, -2}};
        LayerSelection.Result r = LayerSelection.select(new int[]{1, 2, 3}, new double[]{0.5, 0.6, 0.6}, dirs);
        assertEquals(2, r.bestLayer());
        double[][] c = r.cosines();
        for (int a = 0; a < 3; a++) {
            assertEquals(1.0, c[a][a], Tolerances.F64_REL);
            for (int b = 0; b < 3; b++) assertEquals(c[a][b], c[b][a], 0.0);
        }
        assertEquals(Math.sqrt(0.5), c[0][1], Tolerances.F32_REL);
        assertEquals(0.0, c[0][2], Tolerances.F64_REL);
    }

    @Test
    void badInputIsRejected() {
        assertThrows(IllegalArgumentException.class, () -> LayerSelection.bestIndex(new int[0], new double[0]));
        assertThrows(IllegalArgumentException.class, () -> LayerSelection.bestIndex(new int[]{1}, new double[]{Double.NaN}));
        assertThrows(IllegalArgumentException.class,
                () -> LayerSelection.cosineMatrix(new float[][]{{1, 0}, {1, 0, 0}}));
    }
}
