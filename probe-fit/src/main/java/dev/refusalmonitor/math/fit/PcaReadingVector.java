package dev.refusalmonitor.math.fit;

import java.util.SplittableRandom;

/**
 * RepE reading vector: the first principal component of paired differences, harmful projecting higher.
 *
 * <p>Procedure: shuffle the harmful and harmless row indices with a seeded permutation and pair the first
 * m = min(n_H, n_S) of each; take the differences δ_i = h_i − s_i; as RepE does by shuffling the order inside each
 * pair, flip the sign of each δ_i with a seeded fair coin; centre the δ_i on their mean; v = first principal
 * component. The flips matter: without them the mean difference (the signal) would be removed by the centring and
 * the component would only describe noise. The sign is fixed so that the unflipped mean difference projects
 * positively: mean(h_i − s_i)·v ≥ 0, so harmful scores higher.
 */
public final class PcaReadingVector {
    private PcaReadingVector() {
    }

    /**
     * @param harmful row-major [nHarmful, d], not modified
     * @param harmless row-major [nHarmless, d], not modified
     * @param seed seed of the pairing and the sign flips
     * @return the unit reading vector [d]
     */
    public static float[] fit(float[] harmful, int nHarmful, float[] harmless, int nHarmless, int d, long seed) {
        Inputs.matrix("harmful", harmful, nHarmful, d, 1);
        Inputs.matrix("harmless", harmless, nHarmless, d, 1);
        int m = Math.min(nHarmful, nHarmless);
        SplittableRandom rnd = new SplittableRandom(seed);
        int[] ph = Permutations.shuffled(nHarmful, rnd), ps = Permutations.shuffled(nHarmless, rnd);
        float[] diff = new float[m * d];
        double[] meanDiff = new double[d];
        double[] centre = new double[d];
        for (int i = 0; i < m; i++) {
            int oh = ph[i] * d, os = ps[i] * d, o = i * d;
            double sign = rnd.nextBoolean() ? 1 : -1;
            for (int j = 0; j < d; j++) {
                double e = (double) harmful[oh + j] - harmless[os + j];
                meanDiff[j] += e;
                diff[o + j] = (float) (sign * e);
                centre[j] += sign * e;
            }
        }
        for (int j = 0; j < d; j++) {
            meanDiff[j] /= m;
            centre[j] /= m;
        }
        FirstPrincipalComponent.Result pc = FirstPrincipalComponent.compute(diff, m, d, centre, seed ^ 0x5DEECE66DL);
        if (!(pc.eigenvalue() > 0))
            throw new IllegalArgumentException("PCA reading vector: the paired differences have no spread");
        double[] v = pc.vector();
        double proj = 0;
        for (int j = 0; j < d; j++) proj += meanDiff[j] * v[j];
        float[] out = new float[d];
        for (int j = 0; j < d; j++) out[j] = (float) (proj < 0 ? -v[j] : v[j]);
        return out;
    }
}
