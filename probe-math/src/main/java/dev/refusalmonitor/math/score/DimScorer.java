package dev.refusalmonitor.math.score;

import dev.refusalmonitor.math.VectorOps;
import dev.refusalmonitor.math.directions.Standardisation;

/**
 * DIM score (DESIGN score 1): x·r̂ with r̂ = (μ_H − μ_S)/‖μ_H − μ_S‖, harmful higher; and the same projection
 * standardised by the training projections. Immutable, thread-safe, allocation-free.
 */
public final class DimScorer {
    private final float[] direction;
    private final Standardisation standardisation;

    /** @param direction r̂ [d] (not copied; must not be modified) */
    public DimScorer(float[] direction, Standardisation standardisation) {
        this.direction = LinearScore.checkDirection(direction, "DIM");
        this.standardisation = standardisation == null ? Standardisation.IDENTITY : standardisation;
    }

    public int dim() {
        return direction.length;
    }

    /** x·r̂ for x = x[off..off+d). Not modified. */
    public double score(float[] x, int off) {
        LinearScore.checkRow(x, off, direction.length);
        return VectorOps.dot(x, off, direction, 0, direction.length);
    }

    /** (x·r̂ − mean)/std over the training projections. */
    public double standardised(float[] x, int off) {
        return standardisation.apply(score(x, off));
    }
}
