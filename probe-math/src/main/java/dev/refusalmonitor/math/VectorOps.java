package dev.refusalmonitor.math;

/**
 * Dense vector kernels on flat {@code float[]} / {@code double[]} arrays, with explicit offsets so that a row of a
 * row-major [n, d] matrix is used in place. These are the per-record hot loops: no allocation, and sums run in
 * several independent accumulators so the CPU can overlap the additions (the JIT does not reorder float sums).
 */
public final class VectorOps {
    private VectorOps() {
    }

    /** a[aOff..aOff+d) · b[bOff..bOff+d), accumulated in double. */
    public static double dot(float[] a, int aOff, float[] b, int bOff, int d) {
        double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        int i = 0;
        int end = d - 3;
        for (; i < end; i += 4) {
            s0 += a[aOff + i] * b[bOff + i];
            s1 += a[aOff + i + 1] * b[bOff + i + 1];
            s2 += a[aOff + i + 2] * b[bOff + i + 2];
            s3 += a[aOff + i + 3] * b[bOff + i + 3];
        }
        for (; i < d; i++) s0 += a[aOff + i] * b[bOff + i];
        return (s0 + s1) + (s2 + s3);
    }

    /** a · b over the full length of {@code a}; {@code b} must be at least as long. */
    public static double dot(float[] a, float[] b) {
        return dot(a, 0, b, 0, a.length);
    }

    /** a · b in double precision. */
    public static double dot(double[] a, double[] b) {
        if (a.length != b.length) throw new IllegalArgumentException("length " + a.length + " != " + b.length);
        double s0 = 0, s1 = 0;
        int i = 0;
        for (; i + 1 < a.length; i += 2) {
            s0 += a[i] * b[i];
            s1 += a[i + 1] * b[i + 1];
        }
        if (i < a.length) s0 += a[i] * b[i];
        return s0 + s1;
    }

    /** Euclidean norm of x[off..off+d). */
    public static double norm(float[] x, int off, int d) {
        return Math.sqrt(dot(x, off, x, off, d));
    }

    public static double norm(float[] x) {
        return norm(x, 0, x.length);
    }

    public static double norm(double[] x) {
        return Math.sqrt(dot(x, x));
    }

    /** Cosine similarity of a and b; 0 when either is the zero vector. */
    public static double cosine(float[] a, float[] b) {
        double na = norm(a), nb = norm(b);
        if (na == 0 || nb == 0) return 0.0;
        return dot(a, b) / (na * nb);
    }

    /** Σ (x[off+i] − m[i])², the squared distance of a row from a centre. */
    public static double squaredDistance(float[] x, int off, float[] m, int d) {
        double s0 = 0, s1 = 0;
        int i = 0;
        for (; i + 1 < d; i += 2) {
            double e0 = x[off + i] - m[i];
            double e1 = x[off + i + 1] - m[i + 1];
            s0 += e0 * e0;
            s1 += e1 * e1;
        }
        if (i < d) { double e = x[off + i] - m[i]; s0 += e * e; }
        return s0 + s1;
    }

    /** Returns x / ‖x‖ as a new array. Throws when x is zero: a direction must have a length. */
    public static float[] normalized(double[] x) {
        double n = norm(x);
        if (!(n > 0) || !Double.isFinite(n)) throw new ArithmeticException("cannot normalise a zero or non-finite vector");
        float[] out = new float[x.length];
        for (int i = 0; i < x.length; i++) out[i] = (float) (x[i] / n);
        return out;
    }

    /** Column means of a row-major [n, d] matrix, in double. */
    public static double[] columnMeans(float[] x, int n, int d) {
        if (n <= 0) throw new IllegalArgumentException("no rows");
        double[] m = new double[d];
        for (int r = 0; r < n; r++) {
            int off = r * d;
            for (int j = 0; j < d; j++) m[j] += x[off + j];
        }
        for (int j = 0; j < d; j++) m[j] /= n;
        return m;
    }

    /** True when every value of x[off..off+d) is finite. */
    public static boolean allFinite(float[] x, int off, int d) {
        for (int i = 0; i < d; i++) if (!Float.isFinite(x[off + i])) return false;
        return true;
    }

    public static float[] toFloat(double[] x) {
        float[] out = new float[x.length];
        for (int i = 0; i < x.length; i++) out[i] = (float) x[i];
        return out;
    }

    public static double[] toDouble(float[] x) {
        double[] out = new double[x.length];
        for (int i = 0; i < x.length; i++) out[i] = x[i];
        return out;
    }
}
