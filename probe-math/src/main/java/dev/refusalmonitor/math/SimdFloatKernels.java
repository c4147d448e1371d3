package dev.refusalmonitor.math;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/** The Vector API forms of {@link FloatKernels}; loaded only when the incubator module is present. */
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
        float s = acc0.add(acc1).reduceLanes(VectorOperators.ADD);
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
            float s0 = a0.reduceLanes(VectorOperators.ADD), s1 = a1.reduceLanes(VectorOperators.ADD);
            float s2 = a2.reduceLanes(VectorOperators.ADD), s3 = a3.reduceLanes(VectorOperators.ADD);
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

    static double tanhCosine(float[] x, int xOff, float[] c, float a, int d) {
        FloatVector av = FloatVector.broadcast(S, a);
        FloatVector xt = FloatVector.zero(S), tt = FloatVector.zero(S), xx = FloatVector.zero(S);
        int i = 0;
        for (; i <= d - L; i += L) {
            FloatVector t = FloatVector.fromArray(S, c, i).mul(av).lanewise(VectorOperators.TANH);
            FloatVector xv = FloatVector.fromArray(S, x, xOff + i);
            xt = xv.fma(t, xt);
            tt = t.fma(t, tt);
            xx = xv.fma(xv, xx);
        }
        double sxt = xt.reduceLanes(VectorOperators.ADD), stt = tt.reduceLanes(VectorOperators.ADD);
        double sxx = xx.reduceLanes(VectorOperators.ADD);
        for (; i < d; i++) {
            double t = FloatKernels.tanh((double) a * c[i]);
            double xi = x[xOff + i];
            sxt += xi * t;
            stt += t * t;
            sxx += xi * xi;
        }
        if (stt == 0 || sxx == 0) return 0.0;
        return sxt / (Math.sqrt(sxx) * Math.sqrt(stt));
    }
}
