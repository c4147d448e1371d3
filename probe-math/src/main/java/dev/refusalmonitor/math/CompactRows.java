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
        rowDotsInt16(v, 0, k, x, d, out, 0);
    }

    /**
     * {@link #rowDotsInt16(short[], int, float[], int, float[])} for the k rows starting at v[vOff], into
     * out[outOff..): row j's result has the same bits as in a call over all rows when vOff is a multiple of 4 rows.
     * Modified: out.
     */
    public static void rowDotsInt16(short[] v, int vOff, int k, float[] x, int d, float[] out, int outOff) {
        if (FloatKernels.SIMD) {
            SimdFloatKernels.rowDotsInt16(v, vOff, k, x, d, out, outOff);
            return;
        }
        for (int j = 0; j < k; j++) {
            float s = 0;
            for (int i = 0; i < d; i++) s = Math.fma((float) v[vOff + j * d + i], x[i], s);
            out[outOff + j] = s;
        }
    }

    /**
     * {@link #rowDotsInt16(short[], int, int, float[], int, float[], int)} for records xs[0..n): out[r·stride + j]
     * = row j · xs[r] for the k rows from v[vOff], each with the bits of the one-record call when vOff is a multiple
     * of 4 rows. Four rows and four records share each widened row chunk. Modified: out.
     */
    public static void rowDotsInt16(short[] v, int vOff, int k, float[][] xs, int n, int d, float[] out, int stride) {
        int j = 0;
        if (FloatKernels.SIMD) {
            for (; j + 3 < k; j += 4) {
                int r = 0;
                for (; r + 3 < n; r += 4)
                    SimdFloatKernels.rowDotsInt16Tile(v, vOff + j * d, xs[r], xs[r + 1], xs[r + 2], xs[r + 3], d, out,
                            r * stride + j, stride);
                for (; r < n; r++) rowDotsInt16(v, vOff + j * d, 4, xs[r], d, out, r * stride + j);
            }
        }
        if (j < k) for (int r = 0; r < n; r++) rowDotsInt16(v, vOff + j * d, k - j, xs[r], d, out, r * stride + j);
    }
}
