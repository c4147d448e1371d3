package dev.refusalmonitor.math.synthetic;

/**
 * Parameters of the planted-truth activation model (see {@link SyntheticActivations}).
 *
 * @param nHarmful rows of class H
 * @param nHarmless rows of class S
 * @param d hidden size
 * @param layers number of layers; layer indices are 0..layers-1 unless the caller maps them
 * @param separation class-mean shift along the planted direction, in within-class standard deviations
 *                   along that direction, at the strongest layer
 * @param rogueDims number of "rogue" dimensions with very high variance (as real residual streams have)
 * @param rogueScale standard-deviation multiplier of the rogue dimensions
 * @param factors rank of the shared low-rank covariance component (makes dimensions correlated)
 * @param warningShare share of harmful rows labelled "complied with warning" (half shift, plus an orthogonal one)
 * @param seed all randomness derives from it
 */
public record PlantedTruthSpec(int nHarmful, int nHarmless, int d, int layers, double separation,
                               int rogueDims, double rogueScale, int factors, double warningShare, long seed) {

    public PlantedTruthSpec {
        if (nHarmful < 0 || nHarmless < 0) throw new IllegalArgumentException("row counts must be >= 0");
        if (d < 1) throw new IllegalArgumentException("d must be >= 1, got " + d);
        if (layers < 1) throw new IllegalArgumentException("layers must be >= 1, got " + layers);
        if (rogueDims < 0 || rogueDims > d) throw new IllegalArgumentException("rogueDims must be in [0, d]");
        if (factors < 0) throw new IllegalArgumentException("factors must be >= 0");
        if (warningShare < 0 || warningShare > 1) throw new IllegalArgumentException("warningShare must be in [0, 1]");
    }

    /** Realistic defaults: 3 rogue dimensions at 25x, 8 factors, 2.5 sd separation, 10% warnings. */
    public static PlantedTruthSpec of(int nHarmful, int nHarmless, int d, int layers, long seed) {
        return new PlantedTruthSpec(nHarmful, nHarmless, d, layers, 2.5, Math.min(3, d), 25.0,
                Math.min(8, d), 0.10, seed);
    }

    public PlantedTruthSpec withSeparation(double s) {
        return new PlantedTruthSpec(nHarmful, nHarmless, d, layers, s, rogueDims, rogueScale, factors, warningShare, seed);
    }
}
