package dev.refusalmonitor.math.fit;

/** Row-slicing helpers for row-major [n, d] test data. */
final class Rows {
    private Rows() {
    }

    /** Rows [from, to) of x. */
    static float[] slice(float[] x, int d, int from, int to) {
        float[] out = new float[(to - from) * d];
        System.arraycopy(x, from * d, out, 0, out.length);
        return out;
    }

    /** a stacked on b. */
    static float[] stack(float[] a, float[] b) {
        float[] out = new float[a.length + b.length];
        System.arraycopy(a, 0, out, 0, a.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    /** from, from + 1, …, to − 1. */
    static int[] range(int from, int to) {
        int[] r = new int[to - from];
        for (int i = 0; i < r.length; i++) r[i] = from + i;
        return r;
    }

    /** nA trues followed by nB falses. */
    static boolean[] labels(int nA, int nB) {
        boolean[] y = new boolean[nA + nB];
        for (int i = 0; i < nA; i++) y[i] = true;
        return y;
    }

    static double[] toDouble(boolean[] y) {
        double[] out = new double[y.length];
        for (int i = 0; i < y.length; i++) out[i] = y[i] ? 1 : 0;
        return out;
    }
}
