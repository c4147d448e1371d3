package dev.refusalmonitor.math;

/**
 * The per-record hot loops on f32 data: dot products of a row against one or four other rows, and the CAST pass
 * cos(x, tanh(a c)) with a deterministic f32 tanh. Uses the JDK's SIMD Vector API (incubator module
 * {@code jdk.incubator.vector}) when the JVM was started with {@code --add-modules jdk.incubator.vector} (the launchers,
 * tests and benchmarks do), and plain loops otherwise; both agree to f32 rounding (about 1e-6 relative for d = 4096).
 * Either way a result's bits depend on the input only, not on the JIT tier.
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
        rowDots(v, 0, k, x, d, out, 0);
    }

    /**
     * {@link #rowDots(float[], int, float[], int, float[])} for the k rows starting at v[vOff], into out[outOff..):
     * row j's result has the same bits as in a call over all rows when vOff is a multiple of 4 rows (rows go in
     * blocks of four from the first, the rest one by one). Modified: out.
     */
    public static void rowDots(float[] v, int vOff, int k, float[] x, int d, float[] out, int outOff) {
        if (SIMD) SimdFloatKernels.rowDots(v, vOff, k, x, d, out, outOff);
        else scalarRowDots(v, vOff, k, x, d, out, outOff);
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
     * cos(x, t) = Σ x_j t_j / (√(Σ x_j²) √(Σ t_j²)) with t_j = tanh(a·c_j) over x[xOff..xOff+d) and c[0..d): the CAST
     * similarity once a = (c·x)/(cᵀc) is known. 0 when x or t is the zero vector; NaN when x holds a NaN.
     *
     * <p>y_j = (float) a · c_j and t_j = {@link #tanh(float)}, a rational approximation evaluated with f32 mul, fma,
     * min, max and div only: IEEE-exact operations that give the same bits in the interpreter, C1 and C2 (the Vector
     * API's lanewise TANH does not). With SIMD the three sums run in f32 lanes (two accumulators each, lanes added
     * in a fixed order into f64, the scalar tail in f64) and agree with an f64 reference to about 1e-6; when those
     * f32 sums leave the safe range (|x| or |t| very small or very large) or SIMD is off, the sums are taken in f64
     * over the same t_j. The result depends on the input only, never on JIT state.
     */
    public static double tanhCosine(float[] x, int xOff, float[] c, double a, int d) {
        return SIMD ? SimdFloatKernels.tanhCosine(x, xOff, c, a, d) : scalarTanhCosine(x, xOff, c, a, d);
    }

    /** The sums of {@link #tanhCosine} in f64 over the same f32 t_j (the fallback, and the form without SIMD). */
    static double scalarTanhCosine(float[] x, int xOff, float[] c, double a, int d) {
        float af = tanhScale(a);
        double xt = 0, tt = 0, xx = 0;
        for (int j = 0; j < d; j++) {
            double t = tanh(af * c[j]);
            double xj = x[xOff + j];
            xt += xj * t;
            tt += t * t;
            xx += xj * xj;
        }
        return cosine(xt, tt, xx);
    }

    /** a as the f32 factor of y_j = a·c_j; clamped to ±Float.MAX_VALUE so that a·0 stays 0 (NaN stays NaN). */
    static float tanhScale(double a) {
        return (float) Math.max(-Float.MAX_VALUE, Math.min(Float.MAX_VALUE, a));
    }

    static double cosine(double xt, double tt, double xx) {
        if (tt == 0 || xx == 0) return 0.0;
        return xt / (Math.sqrt(xx) * Math.sqrt(tt));
    }

    /** |y| at and beyond which tanh is taken as tanh(±9): |tanh(9) − 1| &lt; 3.1e-8, about half an f32 ulp below 1. */
    static final float TANH_CLAMP = 9f;
    // P(u) = 1 + P1 u + ... + P4 u⁴ and Q(u) = 1 + Q1 u + ... + Q4 u⁴, u = y²: minimax relative error 2.1e-8 of
    // P/Q against tanh(√u)/√u on [0, 81], fitted by src/test/resources/tanh_f32_fit.py (numpy).
    static final float TANH_P1 = 0.13383978605270386f, TANH_P2 = 0.0034989940468221903f,
            TANH_P3 = 2.0661229427787475e-05f, TANH_P4 = 1.3419775513057175e-08f;
    static final float TANH_Q1 = 0.4671730101108551f, TANH_Q2 = 0.025890199467539787f,
            TANH_Q3 = 0.00032910352456383407f, TANH_Q4 = 7.804710548953153e-07f;

    /**
     * tanh(y) in f32 to within 3.2e-7 absolute (about 5 ulps near ±1; see FloatTanhTest): with v = max(−9, min(9, y))
     * and u = v², tanh(y) ≈ v·P(u)/Q(u), P and Q of degree 4 evaluated by Horner with fma. Odd bit for bit (−0 stays
     * −0), exactly y for |y| &lt; 2⁻¹² (subnormals included), ±1 for |y| ≥ 9 and ±∞, NaN for NaN; |tanh| may exceed 1
     * by one ulp just below 9. Uses only IEEE-exact operations, so every JIT tier and every SIMD lane gives the same
     * bits; {@link SimdFloatKernels} evaluates the identical sequence lane-wise.
     */
    public static float tanh(float y) {
        float v = Math.max(-TANH_CLAMP, Math.min(TANH_CLAMP, y));
        float u = v * v;
        float p = Math.fma(Math.fma(Math.fma(Math.fma(TANH_P4, u, TANH_P3), u, TANH_P2), u, TANH_P1), u, 1f);
        float q = Math.fma(Math.fma(Math.fma(Math.fma(TANH_Q4, u, TANH_Q3), u, TANH_Q2), u, TANH_Q1), u, 1f);
        return v * p / q;
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

    static void scalarRowDots(float[] v, int vOff, int k, float[] x, int d, float[] out, int outOff) {
        int j = 0;
        for (; j + 3 < k; j += 4) {
            int o0 = vOff + j * d, o1 = o0 + d, o2 = o1 + d, o3 = o2 + d;
            float a0 = 0, a1 = 0, a2 = 0, a3 = 0;
            for (int i = 0; i < d; i++) {
                float xi = x[i];
                a0 += v[o0 + i] * xi;
                a1 += v[o1 + i] * xi;
                a2 += v[o2 + i] * xi;
                a3 += v[o3 + i] * xi;
            }
            out[outOff + j] = a0;
            out[outOff + j + 1] = a1;
            out[outOff + j + 2] = a2;
            out[outOff + j + 3] = a3;
        }
        for (; j < k; j++) out[outOff + j] = scalarDot(v, vOff + j * d, x, 0, d);
    }
}
