package dev.refusalmonitor.math.score;

import dev.refusalmonitor.math.VectorOps;
import dev.refusalmonitor.math.directions.Standardisation;

/**
 * Fisher score (DESIGN score 2): x·ŵ with ŵ = Σ⁻¹(μ_H − μ_S) normalised, harmful higher; and the same projection
 * standardised by the training projections. Immutable, thread-safe, allocation-free.
 */
public final class FisherScorer {
    private final float[] direction;
    private final Standardisation standardisation;

    /** @param direction ŵ [d] (not copied; must not be modified) */
    public FisherScorer(float[] direction, Standardisation standardisation) {
        this.direction = LinearScore.checkDirection(direction, "Fisher");
        this.standardisation = standardisation == null ? Standardisation.IDENTITY : standardisation;
    }

    public int dim() {
        return direction.length;
    }

    /** x·ŵ for x = x[off..off+d). Not modified. */
    public double score(float[] x, int off) {
        LinearScore.checkRow(x, off, direction.length);
        return VectorOps.dot(x, off, direction, 0, direction.length);
    }

    /** (x·ŵ − mean)/std over the training projections. */
    public double standardised(float[] x, int off) {
        return standardisation.apply(score(x, off));
    }
}
