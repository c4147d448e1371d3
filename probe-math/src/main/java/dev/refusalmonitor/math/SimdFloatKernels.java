package dev.refusalmonitor.math;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * The Vector API forms of {@link FloatKernels}; loaded only when the incubator module is present. Lanes are summed in
 * a fixed order ({@link #sum}) rather than with {@code reduceLanes}, whose order may differ between the interpreter and
 * compiled code: the same input must give the same score bits offline and in the stream.
 */
final class SimdFloatKernels {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    // Same lane count as S: 16-bit codes widened to S's int/float lanes.
    private static final VectorSpecies<Short> SH = VectorSpecies.of(short.class, VectorShape.forBitSize(L * 16));
    private static final VectorSpecies<Integer> SI = VectorSpecies.of(int.class, S.vectorShape());
    // Doubles in the preferred shape, and the floats (half as many bits) that widen into them lane for lane.
    private static final VectorSpecies<Double> D = DoubleVector.SPECIES_PREFERRED;
    private static final int DL = D.length();
    private static final VectorSpecies<Float> FD = VectorSpecies.of(float.class, VectorShape.forBitSize(DL * 32));

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

    static void rowDots(float[] v, int vOff, int k, float[] x, int d, float[] out, int outOff) {
        int j = 0;
        int bound = d - L;
        for (; j + 3 < k; j += 4) {
            int o0 = vOff + j * d, o1 = o0 + d, o2 = o1 + d, o3 = o2 + d;
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
            out[outOff + j] = s0;
            out[outOff + j + 1] = s1;
            out[outOff + j + 2] = s2;
            out[outOff + j + 3] = s3;
        }
        for (; j < k; j++) out[outOff + j] = dot(v, vOff + j * d, x, 0, d);
    }


    /**
     * See {@link CompactRows#rowDotsInt16}: the int16 code converted to f32 (exact). Four rows per pass, x loaded once; the decoding is
     * written out in the loop (a helper C2 declines to inline would box the vectors).
     */
    static void rowDotsInt16(short[] v, int vOff, int k, float[] x, int d, float[] out, int outOff) {
        int j = 0;
        int bound = d - L;
        for (; j + 3 < k; j += 4) {
            int o0 = vOff + j * d, o1 = o0 + d, o2 = o1 + d, o3 = o2 + d;
            FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0;
            int i = 0;
            for (; i <= bound; i += L) {
                FloatVector xv = FloatVector.fromArray(S, x, i);
                a0 = ((FloatVector) ShortVector.fromArray(SH, v, o0 + i).convertShape(VectorOperators.S2F, S, 0)).fma(xv, a0);
                a1 = ((FloatVector) ShortVector.fromArray(SH, v, o1 + i).convertShape(VectorOperators.S2F, S, 0)).fma(xv, a1);
                a2 = ((FloatVector) ShortVector.fromArray(SH, v, o2 + i).convertShape(VectorOperators.S2F, S, 0)).fma(xv, a2);
                a3 = ((FloatVector) ShortVector.fromArray(SH, v, o3 + i).convertShape(VectorOperators.S2F, S, 0)).fma(xv, a3);
            }
            float s0 = sum(a0), s1 = sum(a1), s2 = sum(a2), s3 = sum(a3);
            for (; i < d; i++) {
                float xi = x[i];
                s0 = Math.fma((float) v[o0 + i], xi, s0);
                s1 = Math.fma((float) v[o1 + i], xi, s1);
                s2 = Math.fma((float) v[o2 + i], xi, s2);
                s3 = Math.fma((float) v[o3 + i], xi, s3);
            }
            out[outOff + j] = s0;
            out[outOff + j + 1] = s1;
            out[outOff + j + 2] = s2;
            out[outOff + j + 3] = s3;
        }
        for (; j < k; j++) {
            int o0 = vOff + j * d;
            FloatVector a = FloatVector.zero(S);
            int i = 0;
            for (; i <= bound; i += L) a = ((FloatVector) ShortVector.fromArray(SH, v, o0 + i).convertShape(VectorOperators.S2F, S, 0)).fma(FloatVector.fromArray(S, x, i), a);
            float s = sum(a);
            for (; i < d; i++) s = Math.fma((float) v[o0 + i], x[i], s);
            out[outOff + j] = s;
        }
    }

    /**
     * {@link #rowDotsInt16} for four rows starting at v[vOff] and four records at once: out[outOff + r·stride + j]
     * = row j · x_r. Each row chunk is loaded and widened once for the four records; each (row, record) keeps its own
     * accumulator and order, so every result has the bits of the one-record kernel. Sixteen accumulators: the most
     * that leave registers for the four widened rows and an x chunk.
     */
    static void rowDotsInt16Tile(short[] v, int vOff, float[] x0, float[] x1, float[] x2, float[] x3, int d,
                                 float[] out, int outOff, int stride) {
        int o0 = vOff, o1 = o0 + d, o2 = o1 + d, o3 = o2 + d;
        FloatVector z = FloatVector.zero(S);
        FloatVector a00 = z, a01 = z, a02 = z, a03 = z, a10 = z, a11 = z, a12 = z, a13 = z;
        FloatVector a20 = z, a21 = z, a22 = z, a23 = z, a30 = z, a31 = z, a32 = z, a33 = z;
        int i = 0;
        int bound = d - L;
        for (; i <= bound; i += L) {
            FloatVector r0 = (FloatVector) ShortVector.fromArray(SH, v, o0 + i).convertShape(VectorOperators.S2F, S, 0);
            FloatVector r1 = (FloatVector) ShortVector.fromArray(SH, v, o1 + i).convertShape(VectorOperators.S2F, S, 0);
            FloatVector r2 = (FloatVector) ShortVector.fromArray(SH, v, o2 + i).convertShape(VectorOperators.S2F, S, 0);
            FloatVector r3 = (FloatVector) ShortVector.fromArray(SH, v, o3 + i).convertShape(VectorOperators.S2F, S, 0);
            FloatVector x = FloatVector.fromArray(S, x0, i);
            a00 = r0.fma(x, a00);
            a01 = r1.fma(x, a01);
            a02 = r2.fma(x, a02);
            a03 = r3.fma(x, a03);
            x = FloatVector.fromArray(S, x1, i);
            a10 = r0.fma(x, a10);
            a11 = r1.fma(x, a11);
            a12 = r2.fma(x, a12);
            a13 = r3.fma(x, a13);
            x = FloatVector.fromArray(S, x2, i);
            a20 = r0.fma(x, a20);
            a21 = r1.fma(x, a21);
            a22 = r2.fma(x, a22);
            a23 = r3.fma(x, a23);
            x = FloatVector.fromArray(S, x3, i);
            a30 = r0.fma(x, a30);
            a31 = r1.fma(x, a31);
            a32 = r2.fma(x, a32);
            a33 = r3.fma(x, a33);
        }
        tileRow(v, o0, o1, o2, o3, x0, i, d, sum(a00), sum(a01), sum(a02), sum(a03), out, outOff);
        tileRow(v, o0, o1, o2, o3, x1, i, d, sum(a10), sum(a11), sum(a12), sum(a13), out, outOff + stride);
        tileRow(v, o0, o1, o2, o3, x2, i, d, sum(a20), sum(a21), sum(a22), sum(a23), out, outOff + 2 * stride);
        tileRow(v, o0, o1, o2, o3, x3, i, d, sum(a30), sum(a31), sum(a32), sum(a33), out, outOff + 3 * stride);
    }

    /** The scalar tail of one record's four rows, as in {@link #rowDotsInt16}. */
    private static void tileRow(short[] v, int o0, int o1, int o2, int o3, float[] x, int from, int d,
                                float s0, float s1, float s2, float s3, float[] out, int off) {
        for (int i = from; i < d; i++) {
            float xi = x[i];
            s0 = Math.fma((float) v[o0 + i], xi, s0);
            s1 = Math.fma((float) v[o1 + i], xi, s1);
            s2 = Math.fma((float) v[o2 + i], xi, s2);
            s3 = Math.fma((float) v[o3 + i], xi, s3);
        }
        out[off] = s0;
        out[off + 1] = s1;
        out[off + 2] = s2;
        out[off + 3] = s3;
    }

    /**
     * See {@link FloatKernels#centreAndSquaredNorms}. Lanes: c = fma(x, scale, −m) (one rounding), then (c − h)² and
     * (c + h)² into two f32 accumulators each (a lane sums about d/(2L) non-negative terms); the rest (&lt; 2L values)
     * in the scalar tail. One vector loop only: on JDK 17 a second, partial-width vector loop made C2 box vectors.
     */
    static void centreAndSquaredNorms(float[] x, int off, float scale, float[] negM, float[] h, float[] c, int d, double[] out) {
        FloatVector sc = FloatVector.broadcast(S, scale);
        FloatVector h0 = FloatVector.zero(S), h1 = h0, s0 = h0, s1 = h0;
        int i = 0;
        for (; i <= d - 2 * L; i += 2 * L) {
            FloatVector c0 = FloatVector.fromArray(S, x, off + i).fma(sc, FloatVector.fromArray(S, negM, i));
            FloatVector c1 = FloatVector.fromArray(S, x, off + i + L).fma(sc, FloatVector.fromArray(S, negM, i + L));
            c0.intoArray(c, i);
            c1.intoArray(c, i + L);
            FloatVector g0 = FloatVector.fromArray(S, h, i), g1 = FloatVector.fromArray(S, h, i + L);
            FloatVector e0 = c0.sub(g0), e1 = c1.sub(g1);
            h0 = e0.fma(e0, h0);
            h1 = e1.fma(e1, h1);
            e0 = c0.add(g0);
            e1 = c1.add(g1);
            s0 = e0.fma(e0, s0);
            s1 = e1.fma(e1, s1);
        }
        double sH = sumD(h0.add(h1)), sS = sumD(s0.add(s1));
        for (; i < d; i++) {
            float ci = Math.fma(x[off + i], scale, negM[i]);
            c[i] = ci;
            double eH = ci - h[i], eS = ci + h[i]; // rounded to f32 as in the lanes, squared in f64
            sH += eH * eH;
            sS += eS * eS;
        }
        out[0] = sH;
        out[1] = sS;
    }

    /** See {@link FloatKernels#dotF64}: x widened to f64 lanes (exact), four f64 accumulators, then a scalar tail. */
    static double dotF64(float[] x, int off, double[] w, int d) {
        DoubleVector a0 = DoubleVector.zero(D), a1 = a0, a2 = a0, a3 = a0;
        int i = 0;
        for (; i <= d - 4 * DL; i += 4 * DL) {
            a0 = ((DoubleVector) FloatVector.fromArray(FD, x, off + i).convertShape(VectorOperators.F2D, D, 0))
                    .fma(DoubleVector.fromArray(D, w, i), a0);
            a1 = ((DoubleVector) FloatVector.fromArray(FD, x, off + i + DL).convertShape(VectorOperators.F2D, D, 0))
                    .fma(DoubleVector.fromArray(D, w, i + DL), a1);
            a2 = ((DoubleVector) FloatVector.fromArray(FD, x, off + i + 2 * DL).convertShape(VectorOperators.F2D, D, 0))
                    .fma(DoubleVector.fromArray(D, w, i + 2 * DL), a2);
            a3 = ((DoubleVector) FloatVector.fromArray(FD, x, off + i + 3 * DL).convertShape(VectorOperators.F2D, D, 0))
                    .fma(DoubleVector.fromArray(D, w, i + 3 * DL), a3);
        }
        DoubleVector a = a0.add(a1).add(a2.add(a3));
        double s = 0;
        for (int l = 0; l < DL; l++) s += a.lane(l);
        for (; i < d; i++) s = Math.fma(x[off + i], w[i], s);
        return s;
    }

    /**
     * See {@link FloatKernels#centredDots2F64}: e = x − m exactly in f64 lanes, then e·b₁ and e·b₂ by f64 fma, two
     * accumulators each, then a scalar tail.
     */
    static void centredDots2F64(float[] x, int off, float[] m, float[] b1, float[] b2, int d, double[] out) {
        DoubleVector p0 = DoubleVector.zero(D), p1 = p0, q0 = p0, q1 = p0;
        int i = 0;
        for (; i <= d - 2 * DL; i += 2 * DL) {
            DoubleVector e0 = ((DoubleVector) FloatVector.fromArray(FD, x, off + i).convertShape(VectorOperators.F2D, D, 0))
                    .sub((DoubleVector) FloatVector.fromArray(FD, m, i).convertShape(VectorOperators.F2D, D, 0));
            DoubleVector e1 = ((DoubleVector) FloatVector.fromArray(FD, x, off + i + DL).convertShape(VectorOperators.F2D, D, 0))
                    .sub((DoubleVector) FloatVector.fromArray(FD, m, i + DL).convertShape(VectorOperators.F2D, D, 0));
            p0 = e0.fma((DoubleVector) FloatVector.fromArray(FD, b1, i).convertShape(VectorOperators.F2D, D, 0), p0);
            q0 = e0.fma((DoubleVector) FloatVector.fromArray(FD, b2, i).convertShape(VectorOperators.F2D, D, 0), q0);
            p1 = e1.fma((DoubleVector) FloatVector.fromArray(FD, b1, i + DL).convertShape(VectorOperators.F2D, D, 0), p1);
            q1 = e1.fma((DoubleVector) FloatVector.fromArray(FD, b2, i + DL).convertShape(VectorOperators.F2D, D, 0), q1);
        }
        DoubleVector pv = p0.add(p1), qv = q0.add(q1);
        double p = 0, q = 0;
        for (int l = 0; l < DL; l++) p += pv.lane(l);
        for (int l = 0; l < DL; l++) q += qv.lane(l);
        for (; i < d; i++) {
            double e = (double) x[off + i] - m[i];
            p = Math.fma(e, b1[i], p);
            q = Math.fma(e, b2[i], q);
        }
        out[0] = p;
        out[1] = q;
    }

    /** Σ lanes in f64, lane 0 first: deterministic in every execution tier. */
    private static double sumD(FloatVector v) {
        double s = 0;
        for (int i = 0; i < L; i++) s += v.lane(i);
        return s;
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
