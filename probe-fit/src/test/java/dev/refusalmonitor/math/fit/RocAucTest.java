package dev.refusalmonitor.math.fit;

import dev.refusalmonitor.math.testing.PythonOracle;
import dev.refusalmonitor.math.testing.Tolerances;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RocAucTest {

    @Test
    void matchesScikitLearnIncludingHeavyTies(@TempDir Path work) throws Exception {
        SplittableRandom rnd = new SplittableRandom(3);
        int n = 2000;
        double[] continuous = new double[n], tied = new double[n], allTied = new double[n];
        boolean[] y = new boolean[n];
        double[] yd = new double[n];
        for (int i = 0; i < n; i++) {
            y[i] = rnd.nextDouble() < 0.3; // imbalanced
            yd[i] = y[i] ? 1 : 0;
            continuous[i] = rnd.nextGaussian() + (y[i] ? 0.8 : 0);
            tied[i] = Math.round(continuous[i] * 2) / 2.0; // a handful of distinct values
            allTied[i] = 0.5;
        }
        PythonOracle oracle = new PythonOracle(work)
                .input("y", new int[]{n}, yd)
                .input("a", new int[]{n}, continuous)
                .input("b", new int[]{n}, tied)
                .input("c", new int[]{n}, allTied);
        oracle.run("""
                from sklearn.metrics import roc_auc_score
                y = load('y').astype(int)
                for k in 'abc':
                    save('auc_' + k, [roc_auc_score(y, load(k))])
                """);
        assertEquals(oracle.scalar("auc_a"), RocAuc.auc(continuous, y), Tolerances.ORACLE_AUROC_ABS);
        assertEquals(oracle.scalar("auc_b"), RocAuc.auc(tied, y), Tolerances.ORACLE_AUROC_ABS);
        assertEquals(oracle.scalar("auc_c"), RocAuc.auc(allTied, y), Tolerances.ORACLE_AUROC_ABS);
    }

    @Test
    void smallCasesByHand() {
        boolean[] y = {true, false, true, false};
        assertEquals(1.0, RocAuc.auc(new double[]{0.9, 0.1, 0.8, 0.2}, y), Tolerances.F64_REL);
        assertEquals(0.0, RocAuc.auc(new double[]{0.1, 0.9, 0.2, 0.8}, y), Tolerances.F64_REL);
        // one tie between a positive and a negative counts 1/2: pairs (0.5 vs 0.5)=½, (0.5 vs 0.1)=1, (0.9 vs *)=1,1
        assertEquals(3.5 / 4, RocAuc.auc(new double[]{0.9, 0.5, 0.5, 0.1}, y), Tolerances.F64_REL);
    }

    @Test
    void accuracyCountsScoresAtTheThresholdAsHarmful() {
        boolean[] y = {true, false, true, false};
        assertEquals(0.75, RocAuc.accuracy(new double[]{0.5, 0.4, 0.2, 0.1}, y, 0.5), Tolerances.F64_REL);
    }

    @Test
    void singleClassIsRejected() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> RocAuc.auc(new double[]{0.1, 0.2}, new boolean[]{true, true}));
        assertTrue(e.getMessage().contains("both classes"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> RocAuc.auc(new double[]{0.1}, new boolean[]{true, false}));
    }
}
