package dev.refusalmonitor.math.fit;

import dev.refusalmonitor.math.VectorOps;

import java.util.Arrays;

/** Row-major [n, d] helpers the fitting steps share. Harmful rows come first wherever both classes are stacked. */
final class FitRows {
    private FitRows() {
    }

    /** nHarmful trues, then nHarmless falses. */
    static boolean[] labels(int nHarmful, int nHarmless) {
        boolean[] y = new boolean[nHarmful + nHarmless];
        Arrays.fill(y, 0, nHarmful, true);
        return y;
    }

    /** a's rows, then b's. */
    static float[] concat(float[] a, float[] b) {
        float[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    /** Both classes of one layer, harmful first. */
    static float[] rows(ClassData c) {
        return concat(c.harmful(), c.harmless());
    }

    /** x·direction per row. */
    static double[] project(float[] rows, int n, int d, float[] direction) {
        double[] p = new double[n];
        for (int i = 0; i < n; i++) p[i] = VectorOps.dot(rows, i * d, direction, 0, d);
        return p;
    }

    /** One array per row. */
    static float[][] splitRows(float[] x, int n, int d) {
        float[][] out = new float[n][];
        for (int i = 0; i < n; i++) out[i] = Arrays.copyOfRange(x, i * d, (i + 1) * d);
        return out;
    }
}
