package dev.refusalmonitor.contract.directions;

/**
 * Mean and population standard deviation of a score over the training samples.
 * {@code apply(v) = (v - mean) / std}; a zero std standardises to 0 rather than dividing by zero.
 */
public record Standardisation(double mean, double std) {
    public static final Standardisation IDENTITY = new Standardisation(0.0, 1.0);

    public double apply(double value) {
        return std > 0 ? (value - mean) / std : 0.0;
    }

    /** Mean and population std of {@code values[0..n)}. */
    public static Standardisation of(double[] values, int n) {
        if (n <= 0) throw new IllegalArgumentException("no values to standardise");
        double mean = 0;
        for (int i = 0; i < n; i++) mean += values[i];
        mean /= n;
        double ss = 0;
        for (int i = 0; i < n; i++) { double e = values[i] - mean; ss += e * e; }
        return new Standardisation(mean, Math.sqrt(ss / n));
    }
}
