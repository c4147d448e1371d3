package dev.refusalmonitor.math;

/**
 * The per-record hot loops on f32 data: dot products of a row against one or four other rows. Uses the JDK's
 * SIMD Vector API (incubator module {@code jdk.incubator.vector}) when the JVM was started with
 * {@code --add-modules jdk.incubator.vector} (the launchers, tests and benchmarks do), and plain loops otherwise;
 * both accumulate in f32 lanes and agree to f32 rounding (about 1e-6 relative for d = 4096).
 */
public final class FloatKernels {
    private FloatKernels() {
    }

    /** True when the SIMD path is in use. */
    public static final boolean SIMD = simdAvailable();

    private static boolean simdAvailable() {
        if (Boolean.getBoolean("refusalmonitor.simd.disable")) return false;
        if (ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) return false;
        try {
            return SimdFloatKernels.lanes() > 1;
        } catch (LinkageError e) {
            return false;
        }
    }

    /** a[aOff..aOff+d) · b[bOff..bOff+d). */
    public static float dot(float[] a, int aOff, float[] b, int bOff, int d) {
        return SIMD ? SimdFloatKernels.dot(a, aOff, b, bOff, d) : scalarDot(a, aOff, b, bOff, d);
    }

    /**
     * out[j] = v[j·d .. j·d+d) · x[0..d) for the k rows of the row-major [k, d] matrix v. Reads x once per four rows.
     * Modified: out.
     */
    public static void rowDots(float[] v, int k, float[] x, int d, float[] out) {
        if (SIMD) SimdFloatKernels.rowDots(v, k, x, d, out);
        else scalarRowDots(v, k, x, d, out);
    }

    /**
     * One pass over a row for the Mahalanobis scorer: c_i = x[off+i]·scale + negM_i (an f32 fma, one rounding; negM
     * is the negated centre) into c[0..d), and out[0] = Σ (c_i − h_i)², out[1] = Σ (c_i + h_i)² (differences
     * rounded to f32, squares summed in f32 lanes by several accumulators, lanes and tail added in f64 in a fixed
     * order). Sums of non-negative terms do not cancel: relative error ≤ about (d / (2·lanes) + 2) · 2⁻²⁴ (3e-6 for
     * d = 4096 and 16 lanes; typically far less). Modified: c, out.
     */
    public static void centreAndSquaredNorms(float[] x, int off, float scale, float[] negM, float[] h, float[] c, int d, double[] out) {
        if (SIMD) {
            SimdFloatKernels.centreAndSquaredNorms(x, off, scale, negM, h, c, d, out);
            return;
        }
        double sH = 0, sS = 0;
        for (int i = 0; i < d; i++) {
            float ci = Math.fma(x[off + i], scale, negM[i]);
            c[i] = ci;
            double eH = ci - h[i], eS = ci + h[i];
            sH += eH * eH;
            sS += eS * eS;
        }
        out[0] = sH;
        out[1] = sS;
    }

    /**
     * x[off..off+d) · w[0..d) in f64: x widened exactly, f64 fma in several accumulators (as accurate as a plain
     * f64 loop). Not modified.
     */
    public static double dotF64(float[] x, int off, double[] w, int d) {
        if (SIMD) return SimdFloatKernels.dotF64(x, off, w, d);
        double s = 0;
        for (int i = 0; i < d; i++) s = Math.fma(x[off + i], w[i], s);
        return s;
    }

    /**
     * out[0] = (x − m)·b₁, out[1] = (x − m)·b₂ over x[off..off+d) in f64, x read once: x − m is formed exactly in
     * f64 before any product, so a row near m keeps its relative precision. Modified: out.
     */
    public static void centredDots2F64(float[] x, int off, float[] m, float[] b1, float[] b2, int d, double[] out) {
        if (SIMD) {
            SimdFloatKernels.centredDots2F64(x, off, m, b1, b2, d, out);
            return;
        }
        double p = 0, q = 0;
        for (int i = 0; i < d; i++) {
            double e = (double) x[off + i] - m[i];
            p = Math.fma(e, b1[i], p);
            q = Math.fma(e, b2[i], q);
        }
        out[0] = p;
        out[1] = q;
    }

    /**
     * cos(x, t) with t_j = tanh(a·c_j) over x[xOff..xOff+d) and c[0..d): the CAST similarity once a = (c·x)/(cᵀc) is
     * known. 0 when x or t is the zero vector. Scalar on purpose: the Vector API's vectorised tanh is faster but its
     * result differs by an ulp between the interpreter and compiled code, and a score must not depend on JIT state.
     */
    public static double tanhCosine(float[] x, int xOff, float[] c, double a, int d) {
        double xt = 0, tt = 0, xx = 0;
        for (int j = 0; j < d; j++) {
            double t = tanh(a * c[j]);
            double xj = x[xOff + j];
            xt += xj * t;
            tt += t * t;
            xx += xj * xj;
        }
        if (tt == 0 || xx == 0) return 0.0;
        return xt / (Math.sqrt(xx) * Math.sqrt(tt));
    }

    /**
     * tanh(y) to ~1e-14 relative: for |y| &lt; 0.0625 the odd series y − y³/3 + 2y⁵/15 − 17y⁷/315 + 62y⁹/2835
     * (truncation &lt; 1e-16 relative), else sign(y)(1 − 2/(e^{2|y|} + 1)) with the intrinsic exp.
     */
    public static double tanh(double y) {
        double ay = Math.abs(y);
        if (ay < 0.0625) {
            double y2 = y * y;
            return y * (1 + y2 * (-1.0 / 3 + y2 * (2.0 / 15 + y2 * (-17.0 / 315 + y2 * (62.0 / 2835)))));
        }
        if (ay > 20) return Math.copySign(1.0, y); // tanh(20) = 1 − 8e-18
        double r = 1 - 2 / (Math.exp(2 * ay) + 1);
        return Math.copySign(r, y);
    }

    static float scalarDot(float[] a, int aOff, float[] b, int bOff, int d) {
        float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        int i = 0;
        for (; i + 3 < d; i += 4) {
            s0 += a[aOff + i] * b[bOff + i];
            s1 += a[aOff + i + 1] * b[bOff + i + 1];
            s2 += a[aOff + i + 2] * b[bOff + i + 2];
            s3 += a[aOff + i + 3] * b[bOff + i + 3];
        }
        for (; i < d; i++) s0 += a[aOff + i] * b[bOff + i];
        return (s0 + s1) + (s2 + s3);
    }

    static void scalarRowDots(float[] v, int k, float[] x, int d, float[] out) {
        int j = 0;
        for (; j + 3 < k; j += 4) {
            int o0 = j * d, o1 = o0 + d, o2 = o1 + d, o3 = o2 + d;
            float a0 = 0, a1 = 0, a2 = 0, a3 = 0;
            for (int i = 0; i < d; i++) {
                float xi = x[i];
                a0 += v[o0 + i] * xi;
                a1 += v[o1 + i] * xi;
                a2 += v[o2 + i] * xi;
                a3 += v[o3 + i] * xi;
            }
            out[j] = a0;
            out[j + 1] = a1;
            out[j + 2] = a2;
            out[j + 3] = a3;
        }
        for (; j < k; j++) out[j] = scalarDot(v, j * d, x, 0, d);
    }
}
