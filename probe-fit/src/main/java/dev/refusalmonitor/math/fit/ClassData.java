package dev.refusalmonitor.math.fit;

/**
 * Labelled activations of one layer: class H (harmful/refused) and class S (harmless/complied), each row-major
 * [n, d]. Validated on construction: lengths match, d ≥ 1, at least 2 rows per class (a class mean and a
 * within-class spread need two), every value finite. The arrays are not copied and must not be modified afterwards.
 */
public record ClassData(float[] harmful, int nHarmful, float[] harmless, int nHarmless, int d) {

    public ClassData {
        if (d < 1) throw new IllegalArgumentException("d must be >= 1, got " + d);
        check("harmful", harmful, nHarmful, d);
        check("harmless", harmless, nHarmless, d);
    }

    private static void check(String name, float[] x, int n, int d) {
        if (x == null) throw new IllegalArgumentException(name + " rows are null");
        if (n < 2) throw new IllegalArgumentException(name + " class has " + n + " rows; at least 2 are needed");
        if (x.length != (long) n * d)
            throw new IllegalArgumentException(name + " array has " + x.length + " values, expected " + n + " rows x d = " + d);
        for (int i = 0; i < x.length; i++)
            if (!Float.isFinite(x[i]))
                throw new IllegalArgumentException(name + " row " + (i / d) + " has a non-finite value (" + x[i] + ") at column " + (i % d));
    }

    /** Rows of both classes. */
    public int n() {
        return nHarmful + nHarmless;
    }
}
