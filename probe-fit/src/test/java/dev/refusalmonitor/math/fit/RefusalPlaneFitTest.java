package dev.refusalmonitor.math.fit;

import dev.refusalmonitor.math.VectorOps;
import dev.refusalmonitor.contract.directions.RefusalPlaneParams;
import dev.refusalmonitor.contract.directions.Sector;
import dev.refusalmonitor.math.score.RefusalPlaneScorer;
import dev.refusalmonitor.math.synthetic.PlantedTruthSpec;
import dev.refusalmonitor.math.synthetic.SyntheticActivations;
import dev.refusalmonitor.math.testing.PythonOracle;
import dev.refusalmonitor.math.testing.Tolerances;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RefusalPlaneFitTest {

    /** Per-layer DIM directions of a planted sample, row-major [layers, d]. */
    private static float[] dimCandidates(SyntheticActivations.Sample sample) {
        int d = sample.d(), layers = sample.layers();
        float[] out = new float[layers * d];
        for (int l = 0; l < layers; l++) {
            double[] mh = VectorOps.columnMeans(sample.harmful()[l], sample.spec().nHarmful(), d);
            double[] ms = VectorOps.columnMeans(sample.harmless()[l], sample.spec().nHarmless(), d);
            double[] r = new double[d];
            for (int j = 0; j < d; j++) r[j] = mh[j] - ms[j];
            System.arraycopy(VectorOps.normalized(r), 0, out, l * d, d);
        }
        return out;
    }

    @Test
    void basisAndAnglesMatchNumpy(@TempDir Path work) throws Exception {
        int d = 128, layers = 6, nH = 150, nS = 150;
        SyntheticActivations.Sample sample = SyntheticActivations.generate(PlantedTruthSpec.of(nH, nS, d, layers, 8L));
        float[] candidates = dimCandidates(sample);
        int best = 3;
        float[] b1In = Rows.slice(candidates, d, best, best + 1);
        float[] m = VectorOps.toFloat(VectorOps.columnMeans(sample.harmless()[best], nS, d));
        float[] rows = Rows.stack(sample.harmful()[best], sample.harmless()[best]);
        int[] labels = new int[nH + nS];
        for (int i = 0; i < nH; i++) labels[i] = sample.harmfulResponses()[i];
        for (int i = nH; i < nH + nS; i++) labels[i] = SyntheticActivations.RESPONSE_COMPLIED;
        RefusalPlaneParams plane = RefusalPlaneFit.fit(best, b1In, candidates, layers, null, m, rows, nH + nS, labels, d);
        RefusalPlaneScorer scorer = new RefusalPlaneScorer(plane);
        double[] angles = new double[nH + nS];
        for (int i = 0; i < nH + nS; i++) angles[i] = scorer.angleDeg(rows, i * d);

        PythonOracle oracle = new PythonOracle(work)
                .input("cand", new int[]{layers, d}, candidates)
                .input("b1", new int[]{d}, plane.b1()).input("b2", new int[]{d}, plane.b2())
                .input("m", new int[]{d}, m).input("x", new int[]{nH + nS, d}, rows);
        oracle.run("""
                C = load('cand').astype(np.float64)
                b1 = C[3] / np.linalg.norm(C[3])
                v = np.linalg.svd(C - C.mean(0), full_matrices=False)[2][0]
                if C.mean(0) @ v < 0: v = -v
                v = v - (v @ b1) * b1
                save('b2_numpy', v / np.linalg.norm(v))
                # angles with the Java basis (f32), so only the formula is compared here
                B1 = load('b1').astype(np.float64); B2 = load('b2').astype(np.float64)
                X = load('x').astype(np.float64) - load('m').astype(np.float64)
                save('angles', np.degrees(np.arctan2(X @ B2, X @ B1)))
                """);
        double[] b2 = oracle.output("b2_numpy");
        double cos = 0;
        for (int j = 0; j < d; j++) cos += b2[j] * plane.b2()[j];
        assertTrue(cos >= Tolerances.ORACLE_DIRECTION_COS, "b2 cosine with numpy " + cos + " (sign must agree)");
        assertEquals(0.0, VectorOps.dot(plane.b1(), plane.b2()), Tolerances.F32_REL, "b1 ⟂ b2");
        double[] expected = oracle.output("angles");
        for (int i = 0; i < nH + nS; i++)
            assertEquals(expected[i], angles[i], Tolerances.ORACLE_ANGLE_DEG_ABS, "row " + i);

        // Sectors: every present label gets one and the circle is covered. Harmless rows centred on m scatter over
        // every angle, so the sectors cannot be near-perfect; they must beat the majority label (150 of 300) and put
        // the harmful side (+b1, where the refused and warning shifts point) in a harmful response's sector.
        List<Sector> sectors = plane.sectors();
        assertEquals(List.of("comply", "comply_with_warning", "refuse"),
                sectors.stream().map(Sector::name).sorted().toList());
        int correct = 0;
        for (int i = 0; i < nH + nS; i++) {
            String name = scorer.sector(angles[i]);
            assertNotNull(name, "angle " + angles[i] + " is in no sector");
            if (name.equals(RefusalPlaneFit.sectorName(labels[i]))) correct++;
        }
        assertTrue(correct > nS + 10, "sector accuracy " + correct + " / " + (nH + nS));
        assertTrue(List.of("refuse", "comply_with_warning").contains(scorer.sector(0.0)), scorer.sector(0.0));
        assertEquals("comply", scorer.sector(180.0));
        for (double a = -180; a <= 180; a += 0.25) assertNotNull(scorer.sector(a), "uncovered angle " + a);
    }

    @Test
    void twoLabelsGiveTwoSectorsSplitBetweenThem() {
        double[] angles = {10, 20, 30, 40, 170, 180, -170, -160};
        int[] labels = {1, 1, 1, 1, 2, 2, 2, 2};
        List<Sector> sectors = RefusalPlaneFit.sectors(angles, labels);
        assertEquals(2, sectors.size());
        RefusalPlaneScorer scorer = new RefusalPlaneScorer(new RefusalPlaneParams(0, new float[]{1, 0},
                new float[]{0, 1}, new float[]{0, 0}, sectors));
        for (int i = 0; i < angles.length; i++)
            assertEquals(RefusalPlaneFit.sectorName(labels[i]), scorer.sector(angles[i]), "angle " + angles[i]);
        assertEquals("refuse", scorer.sector(60));
        assertEquals("comply", scorer.sector(-120));
        assertEquals("comply", scorer.sector(180));
    }

    @Test
    void oneLabelOwnsTheWholeCircle() {
        List<Sector> sectors = RefusalPlaneFit.sectors(new double[]{5, 6}, new int[]{1, 1});
        RefusalPlaneScorer scorer = new RefusalPlaneScorer(new RefusalPlaneParams(0, new float[]{1, 0},
                new float[]{0, 1}, new float[]{0, 0}, sectors));
        for (double a : new double[]{-180, -90, 0, 179.9, 180}) assertEquals("refuse", scorer.sector(a));
    }

    @Test
    void degenerateCandidatesFallBackWithoutNaN() {
        float[] b1 = {0.6f, 0.8f, 0, 0};
        // One layer: no spread among candidates -> the fallback direction, orthogonalised.
        RefusalPlaneFit.Basis one = RefusalPlaneFit.basis(b1, b1.clone(), 1, 4, new float[]{1, 0, 1, 0});
        assertEquals("fallback", one.b2Source());
        assertEquals(0.0, VectorOps.dot(one.b1(), one.b2()), Tolerances.F32_REL);
        assertEquals(1.0, VectorOps.norm(one.b2()), Tolerances.F32_REL);
        // No fallback, or a fallback parallel to b1 -> the coordinate axis least aligned with b1.
        RefusalPlaneFit.Basis axis = RefusalPlaneFit.basis(b1, b1.clone(), 1, 4, b1.clone());
        assertEquals("axis", axis.b2Source());
        for (float v : axis.b2()) assertFalse(Float.isNaN(v));
        assertEquals(1.0, VectorOps.norm(axis.b2()), Tolerances.F32_REL);
        // Candidates whose spread lies along b1 only.
        float[] cands = {0.6f, 0.8f, 0, 0, 1.2f, 1.6f, 0, 0};
        RefusalPlaneFit.Basis parallel = RefusalPlaneFit.basis(b1, cands, 2, 4, null);
        assertEquals("axis", parallel.b2Source());
    }

    @Test
    void badInputIsRejected() {
        assertThrows(IllegalArgumentException.class, () -> RefusalPlaneFit.sectors(new double[]{1}, new int[]{7}));
        assertThrows(IllegalArgumentException.class, () -> RefusalPlaneFit.sectors(new double[0], new int[0]));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> RefusalPlaneFit.basis(new float[]{1, 0}, new float[]{1, 0, 0}, 1, 2, null));
        assertTrue(e.getMessage().contains("candidates"), e.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> RefusalPlaneFit.basis(new float[]{0, 0}, new float[]{1, 0}, 1, 2, null));
    }
}
