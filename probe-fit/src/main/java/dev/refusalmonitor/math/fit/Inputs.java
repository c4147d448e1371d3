package dev.refusalmonitor.math.fit;

/** Argument checks shared by the fitters: every failure is an IllegalArgumentException naming the argument. */
final class Inputs {
    private Inputs() {
    }

    /** Checks that {@code x} is a finite row-major [n, d] matrix with n ≥ {@code minRows} and d ≥ 1. */
    static void matrix(String name, float[] x, int n, int d, int minRows) {
        if (x == null) throw new IllegalArgumentException(name + " is null");
        if (d < 1) throw new IllegalArgumentException(name + ": d must be >= 1, got " + d);
        if (n < minRows)
            throw new IllegalArgumentException(name + ": needs at least " + minRows + " row(s), got " + n);
        if ((long) n * d != x.length)
            throw new IllegalArgumentException(name + ": length " + x.length + " != n * d = " + n + " * " + d);
        for (int i = 0; i < x.length; i++)
            if (!Float.isFinite(x[i]))
                throw new IllegalArgumentException(name + ": non-finite value at row " + i / d + ", column " + i % d);
    }

    /** Checks a vector of length d. */
    static void vector(String name, float[] v, int d) {
        if (v == null) throw new IllegalArgumentException(name + " is null");
        if (v.length != d) throw new IllegalArgumentException(name + ": length " + v.length + " != d = " + d);
        for (float e : v) if (!Float.isFinite(e)) throw new IllegalArgumentException(name + ": non-finite value");
    }

    /** Checks binary labels for n rows and that both classes occur. */
    static void labels(String name, boolean[] labels, int n) {
        if (labels == null) throw new IllegalArgumentException(name + " is null");
        if (labels.length != n)
            throw new IllegalArgumentException(name + ": " + labels.length + " labels for " + n + " rows");
        int pos = 0;
        for (boolean b : labels) if (b) pos++;
        if (pos == 0 || pos == n)
            throw new IllegalArgumentException(name + ": both classes are needed, got " + pos + " harmful of " + n);
    }
}
