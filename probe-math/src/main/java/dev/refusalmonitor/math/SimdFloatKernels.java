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
}
