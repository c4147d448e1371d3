package dev.refusalmonitor.math.fit;

import dev.refusalmonitor.math.VectorOps;

/**
 * Whitened DIM / Fisher direction (DESIGN score 2, seeds §8.2–8.6): w = Σ⁻¹(μ_H − μ_S), ŵ = w/‖w‖, with Σ the
 * Ledoit–Wolf-shrunk pooled within-class covariance. Harmful scores higher on x·ŵ because
 * (μ_H − μ_S)·w = (μ_H − μ_S)ᵀ Σ⁻¹ (μ_H − μ_S) > 0. (The compendium's step 6 maps back with the transpose of the
 * inverse; DESIGN fixes the map to the formula above.) Report {@link PooledCovariance#eigenvalueFloor()} and
 * {@link PooledCovariance#conditionNumber()} with it.
 */
public final class FisherFit {
    private FisherFit() {
    }

    /** Fits Σ on raw (not L2-normalised) rows and returns ŵ. Data not modified. */
    public static float[] direction(ClassData data) {
        return direction(PooledCovariance.fit(data, false));
    }

    /**
     * ŵ = Σ⁻¹(μ_H − μ_S) / ‖Σ⁻¹(μ_H − μ_S)‖ from a fitted covariance. Not modified.
     *
     * @throws IllegalArgumentException when the covariance was fitted on L2-normalised rows (its means and Σ are
     *                                  then not those of raw activations, which x·ŵ is applied to), or the class
     *                                  means coincide
     */
    public static float[] direction(PooledCovariance cov) {
        if (cov.l2Normalize())
            throw new IllegalArgumentException("the Fisher direction is defined on raw activations; this covariance was fitted on L2-normalised rows");
        double[] mH = cov.meanHarmful(), mS = cov.meanHarmless();
        double[] r = new double[cov.d()];
        for (int j = 0; j < r.length; j++) r[j] = mH[j] - mS[j];
        if (!(VectorOps.norm(r) > 0)) throw new IllegalArgumentException("the class means are identical: there is no direction");
        return VectorOps.normalized(cov.solve(r));
    }
}
