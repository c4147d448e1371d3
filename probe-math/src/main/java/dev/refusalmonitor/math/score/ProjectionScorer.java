package dev.refusalmonitor.math.score;

import dev.refusalmonitor.math.FloatKernels;
import dev.refusalmonitor.contract.directions.Standardisation;

/**
 * A projection score x·u on a unit direction u, and the same standardised by the training projections: the DIM score
 * (DESIGN score 1, u = r̂ = (μ_H − μ_S)/‖μ_H − μ_S‖) and the Fisher score (score 2, u = ŵ ∝ Σ⁻¹(μ_H − μ_S)).
 * Harmful scores higher. Immutable, thread-safe, allocation-free.
 */
public final class ProjectionScorer {
    private final String name;
    private final float[] direction;
    private final Standardisation standardisation;

    /**
     * @param name what the direction is ("DIM", "Fisher"), for messages
     * @param direction u [d] (not copied; must not be modified)
     * @param standardisation of the training projections; null for none
     */
    public ProjectionScorer(String name, float[] direction, Standardisation standardisation) {
        if (direction == null || direction.length == 0) throw new IllegalArgumentException(name + " direction is empty");
        for (int i = 0; i < direction.length; i++)
            if (!Float.isFinite(direction[i])) throw new IllegalArgumentException(name + " direction has a non-finite value at " + i);
        this.name = name;
        this.direction = direction;
        this.standardisation = standardisation == null ? Standardisation.IDENTITY : standardisation;
    }

    public int d() {
        return direction.length;
    }

    /** x·u for x = x[off..off+d). Not modified. */
    public double score(float[] x, int off) {
        int d = direction.length;
        if (off < 0 || off > x.length - d)
            throw new IllegalArgumentException(name + ": row [" + off + ", " + (off + d) + ") is outside an array of " + x.length);
        return FloatKernels.dot(x, off, direction, 0, d);
    }

    /** (x·u − mean)/std over the training projections. */
    public double standardised(float[] x, int off) {
        return standardise(score(x, off));
    }

    /** (projection − mean)/std for a projection {@link #score} returned. */
    public double standardise(double projection) {
        return standardisation.apply(projection);
    }
}
