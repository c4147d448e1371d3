package dev.refusalmonitor.math;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The Vector API forms of {@link FloatKernels}; loaded only when the incubator module is present. Lanes are summed in
 * a fixed order ({@link #sum}) rather than with {@code reduceLanes}, whose order may differ between the interpreter and
 * compiled code: the same input must give the same score bits offline and in the stream.
 */
final class SimdFloatKernels {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();

    private SimdFloatKernels() {
    }

    static int lanes() {
        return L;
    }

    static float dot(float[] a, int aOff, float[] b, int bOff, int d) {
        FloatVector acc0 = FloatVector.zero(S), acc1 = FloatVector.zero(S);
        int i = 0;
        int bound2 = d - 2 * L;
        for (; i <= bound2; i += 2 * L) {
            acc0 = FloatVector.fromArray(S, a, aOff + i).fma(FloatVector.fromArray(S, b, bOff + i), acc0);
            acc1 = FloatVector.fromArray(S, a, aOff + i + L).fma(FloatVector.fromArray(S, b, bOff + i + L), acc1);
        }
        for (; i <= d - L; i += L)
            acc0 = FloatVector.fromArray(S, a, aOff + i).fma(FloatVector.fromArray(S, b, bOff + i), acc0);
        float s = sum(acc0.add(acc1));
        for (; i < d; i++) s += a[aOff + i] * b[bOff + i];
        return s;
    }

    static void rowDots(float[] v, int k, float[] x, int d, float[] out) {
        int j = 0;
        int bound = d - L;
        for (; j + 3 < k; j += 4) {
            int o0 = j * d, o1 = o0 + d, o2 = o1 + d, o3 = o2 + d;
            FloatVector a0 = FloatVector.zero(S), a1 = FloatVector.zero(S), a2 = FloatVector.zero(S), a3 = FloatVector.zero(S);
            int i = 0;
            for (; i <= bound; i += L) {
                FloatVector xv = FloatVector.fromArray(S, x, i);
                a0 = FloatVector.fromArray(S, v, o0 + i).fma(xv, a0);
                a1 = FloatVector.fromArray(S, v, o1 + i).fma(xv, a1);
                a2 = FloatVector.fromArray(S, v, o2 + i).fma(xv, a2);
                a3 = FloatVector.fromArray(S, v, o3 + i).fma(xv, a3);
            }
            float s0 = sum(a0), s1 = sum(a1), s2 = sum(a2), s3 = sum(a3);
            for (; i < d; i++) {
                float xi = x[i];
                s0 += v[o0 + i] * xi;
                s1 += v[o1 + i] * xi;
                s2 += v[o2 + i] * xi;
                s3 += v[o3 + i] * xi;
            }
            out[j] = s0;
            out[j + 1] = s1;
            out[j + 2] = s2;
            out[j + 3] = s3;
        }
        for (; j < k; j++) out[j] = dot(v, j * d, x, 0, d);
    }

    /** Σ lanes, lane 0 first: deterministic in every execution tier. */
    private static float sum(FloatVector v) {
        float s = 0;
        for (int i = 0; i < L; i++) s += v.lane(i);
        return s;
    }

    // ---- CAST: cos(x, tanh(a c)) (FloatKernels.tanhCosine) ----

    /**
     * f32 sums of squares inside [2⁻⁹⁰, 2⁹⁰] had no term overflow and lost nothing that matters to subnormals (a term
     * below 2⁻¹²⁶ is under 2⁻³⁶ of the sum); outside, the f64 form recomputes them.
     */
    private static final double SAFE_MIN = 0x1p-90, SAFE_MAX = 0x1p90;

    static double tanhCosine(float[] x, int xOff, float[] c, double a, int d) {
        float af = FloatKernels.tanhScale(a);
        FloatVector av = FloatVector.broadcast(S, af);
        FloatVector xt0 = FloatVector.zero(S), tt0 = FloatVector.zero(S), xx0 = FloatVector.zero(S);
        FloatVector xt1 = FloatVector.zero(S), tt1 = FloatVector.zero(S), xx1 = FloatVector.zero(S);
        int i = 0;
        for (; i <= d - 2 * L; i += 2 * L) {
            FloatVector x0 = FloatVector.fromArray(S, x, xOff + i);
            FloatVector x1 = FloatVector.fromArray(S, x, xOff + i + L);
            FloatVector t0 = tanh(FloatVector.fromArray(S, c, i).mul(av));
            FloatVector t1 = tanh(FloatVector.fromArray(S, c, i + L).mul(av));
            xt0 = x0.fma(t0, xt0);
            tt0 = t0.fma(t0, tt0);
            xx0 = x0.fma(x0, xx0);
            xt1 = x1.fma(t1, xt1);
            tt1 = t1.fma(t1, tt1);
            xx1 = x1.fma(x1, xx1);
        }
        for (; i <= d - L; i += L) {
            FloatVector x0 = FloatVector.fromArray(S, x, xOff + i);
            FloatVector t0 = tanh(FloatVector.fromArray(S, c, i).mul(av));
            xt0 = x0.fma(t0, xt0);
            tt0 = t0.fma(t0, tt0);
            xx0 = x0.fma(x0, xx0);
        }
        double xt = sumToDouble(xt0) + sumToDouble(xt1);
        double tt = sumToDouble(tt0) + sumToDouble(tt1);
        double xx = sumToDouble(xx0) + sumToDouble(xx1);
        // The tail: the same f32 tanh as each lane, its products and sums in f64 in index order.
        for (; i < d; i++) {
            double t = FloatKernels.tanh(af * c[i]);
            double xj = x[xOff + i];
            xt += xj * t;
            tt += t * t;
            xx += xj * xj;
        }
        if (!(xx >= SAFE_MIN && xx <= SAFE_MAX && tt >= SAFE_MIN && tt <= SAFE_MAX)) {
            if (Double.isNaN(xx) || Double.isNaN(tt) || Double.isNaN(xt)) return Double.NaN;
            return FloatKernels.scalarTanhCosine(x, xOff, c, a, d);
        }
        return FloatKernels.cosine(xt, tt, xx);
    }

    /** {@link FloatKernels#tanh(float)} in every lane: the same operations in the same order. */
    static FloatVector tanh(FloatVector y) {
        FloatVector v = y.min(FloatKernels.TANH_CLAMP).max(-FloatKernels.TANH_CLAMP);
        FloatVector u = v.mul(v);
        FloatVector p = horner(u, FloatKernels.TANH_P4, FloatKernels.TANH_P3, FloatKernels.TANH_P2,
                FloatKernels.TANH_P1);
        FloatVector q = horner(u, FloatKernels.TANH_Q4, FloatKernels.TANH_Q3, FloatKernels.TANH_Q2,
                FloatKernels.TANH_Q1);
        return v.mul(p).div(q);
    }

    /** (((k4 u + k3) u + k2) u + k1) u + 1 with one fma per step. */
    private static FloatVector horner(FloatVector u, float k4, float k3, float k2, float k1) {
        FloatVector r = FloatVector.broadcast(S, k4).fma(u, FloatVector.broadcast(S, k3));
        r = r.fma(u, FloatVector.broadcast(S, k2));
        r = r.fma(u, FloatVector.broadcast(S, k1));
        return r.fma(u, FloatVector.broadcast(S, 1f));
    }

    /** Σ lanes in f64, lane 0 first: deterministic in every execution tier. */
    private static double sumToDouble(FloatVector v) {
        double s = 0;
        for (int i = 0; i < L; i++) s += v.lane(i);
        return s;
    }
}
