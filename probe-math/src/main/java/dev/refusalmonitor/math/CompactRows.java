package dev.refusalmonitor.math;

/**
 * Row-major [k, d] f32 matrices stored as scaled int16 (16 bits per value), and their row dot products with an f32
 * vector: half the memory traffic of {@link FloatKernels#rowDots} for matrices read once per record (the Mahalanobis
 * eigenvectors). Widening is exact (int16 → f32), so a dot product is the f32 dot product of the decoded rows. bf16
 * and scaled f16 were evaluated and dropped: their error is relative to each value, and these sums are dominated by
 * the large values, which int16 fixed point holds to ~2⁻¹⁶ of the row's maximum.
 */
public final class CompactRows {
    private CompactRows() {
    }

    /**
     * Scaled-int16 codes of the k rows of v [k, d]: code = rint(v_ji / s_j) with s_j = max_i |v_ji| / 32767, so
     * every value has absolute error ≤ s_j / 2 = max_i |v_ji| · 2⁻¹⁶ (fixed point: no error grows with the value's
     * own exponent). rowScale[j] = s_j turns {@link #rowDotsInt16}'s output into the dot product.
     * Modified: codes, rowScale. v must be finite; an all-zero row gets scale 0.
     */
    public static void toScaledInt16(float[] v, int k, int d, short[] codes, double[] rowScale) {
        for (int j = 0; j < k; j++) {
            double max = 0;
            for (int i = 0; i < d; i++) max = Math.max(max, Math.abs((double) v[j * d + i]));
            if (!Double.isFinite(max)) throw new IllegalArgumentException("row " + j + " has a non-finite value");
            rowScale[j] = max / 32767;
            if (max == 0) continue;
            for (int i = 0; i < d; i++) codes[j * d + i] = (short) Math.rint(v[j * d + i] / rowScale[j]);
        }
    }

    /**
     * out[j] = Σ_i v[j·d + i] · x[i] for int16 codes (converted to f32 exactly), accumulated in f32 lanes with a
     * fixed-order lane sum; the dot product with the original row is out[j] · rowScale[j]. Modified: out.
     */
    public static void rowDotsInt16(short[] v, int k, float[] x, int d, float[] out) {
        if (FloatKernels.SIMD) {
            SimdFloatKernels.rowDotsInt16(v, k, x, d, out);
            return;
        }
        for (int j = 0; j < k; j++) {
            float s = 0;
            for (int i = 0; i < d; i++) s = Math.fma((float) v[j * d + i], x[i], s);
            out[j] = s;
        }
    }
}
