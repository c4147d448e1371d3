package dev.refusalmonitor.math.fit;

import dev.refusalmonitor.math.VectorOps;

/** Difference-in-means direction (DESIGN score 1, seeds §6.2, §6.4). */
public final class DimFit {
    private DimFit() {
    }

    /** μ_H, the column means of the harmful rows, in double. */
    public static double[] meanHarmful(ClassData data) {
        return VectorOps.columnMeans(data.harmful(), data.nHarmful(), data.d());
    }

    /** μ_S, the column means of the harmless rows, in double. */
    public static double[] meanHarmless(ClassData data) {
        return VectorOps.columnMeans(data.harmless(), data.nHarmless(), data.d());
    }

    /**
     * r̂ = (μ_H − μ_S) / ‖μ_H − μ_S‖, so harmful rows score higher on x·r̂. Data not modified.
     *
     * @throws IllegalArgumentException when the class means coincide (no direction exists)
     */
    public static float[] direction(ClassData data) {
        return unitDifference(meanHarmful(data), meanHarmless(data));
    }

    /** (a − b)/‖a − b‖ as float; throws IllegalArgumentException when a = b. */
    static float[] unitDifference(double[] a, double[] b) {
        double[] r = new double[a.length];
        for (int j = 0; j < r.length; j++) r[j] = a[j] - b[j];
        if (!(VectorOps.norm(r) > 0)) throw new IllegalArgumentException("the class means are identical: there is no direction");
        return VectorOps.normalized(r);
    }
}
