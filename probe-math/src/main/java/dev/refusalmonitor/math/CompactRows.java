package dev.refusalmonitor.math;

/**
 * Row-major [k, d] f32 matrices stored in 16 bits per value, and their row dot products with an f32 vector: half the
 * memory traffic of {@link FloatKernels#rowDots} for matrices read once per record (the Mahalanobis eigenvectors).
 * Widening is exact integer work on the code bits, so a dot product is the f32 dot product of the decoded rows.
 * <ul>
 * <li><b>bf16</b>: the upper 16 bits of the f32, rounded to nearest even (8 significant bits, relative error
 * ≤ 2⁻⁹); no scale.
 * <li><b>Scaled f16</b> (IEEE binary16 layout, 11 significant bits, relative error ≤ 2⁻¹¹): row j holds
 * v_ji / s_j with s_j = max_i |v_ji| / 2¹⁵, so every row uses the top of the f16 range; values below
 * 2⁻²⁹ · max_i |v_ji| become f16 subnormals (absolute error ≤ 2⁻²⁵ · s_j). The decoded f32 is the f16 value
 * times 2⁻¹¹² (the f16 bits re-biased into f32 bits by a shift and a mask, no arithmetic), so the true row dot
 * product is {@link #rowDotsHalf}'s output times {@link #halfRowScale} = s_j · 2¹¹².
 * </ul>
 */
public final class CompactRows {
    private CompactRows() {
    }

    /** Keeps the sign and the 5 + 10 exponent and mantissa bits of an f16 code shifted left by 13 (as an int). */
    static final int HALF_MASK = 0x8FFF_FFFF;

    /** bf16 code of v, rounded to nearest even (NaN stays NaN). */
    public static short toBf16(float v) {
        int b = Float.floatToRawIntBits(v);
        if (Float.isNaN(v)) return (short) ((b >>> 16) | 0x40);
        return (short) ((b + 0x7FFF + ((b >>> 16) & 1)) >>> 16);
    }

    /** The f32 value of a bf16 code (exact). */
    public static float bf16ToFloat(short code) {
        return Float.intBitsToFloat(code << 16);
    }

    /** bf16 codes of v, element by element. v not modified. */
    public static short[] toBf16(float[] v) {
        short[] out = new short[v.length];
        for (int i = 0; i < v.length; i++) out[i] = toBf16(v[i]);
        return out;
    }

    /**
     * Scaled-f16 codes of the k rows of v [k, d] into codes (modified) and the per-row factors s_j · 2¹¹² that turn
     * {@link #rowDotsHalf}'s output into the dot product into rowScale (modified). v must be finite; an all-zero
     * row gets scale 0.
     */
    public static void toScaledHalf(float[] v, int k, int d, short[] codes, double[] rowScale) {
        for (int j = 0; j < k; j++) {
            double max = 0;
            for (int i = 0; i < d; i++) max = Math.max(max, Math.abs((double) v[j * d + i]));
            if (!Double.isFinite(max)) throw new IllegalArgumentException("row " + j + " has a non-finite value");
            if (max == 0) {
                rowScale[j] = 0;
                continue; // codes stay 0 (+0.0)
            }
            // A power of two, so v / s is exact in f64 and only the f16 rounding below loses bits.
            double s = Math.scalb(1.0, Math.getExponent(max) - 15);
            rowScale[j] = Math.scalb(s, 112);
            for (int i = 0; i < d; i++) codes[j * d + i] = toHalf(v[j * d + i] / s);
        }
    }

    /**
     * IEEE binary16 code of y, rounded to nearest even; |y| must be &lt; 65520 (no overflow handling: callers scale
     * into range).
     */
    static short toHalf(double y) {
        double a = Math.abs(y);
        // Quantum: 2^(e − 10) for normal f16 (e = exponent of a), 2^−24 for subnormals (a < 2^−14).
        double q = a < 0x1p-14 ? 0x1p-24 : Math.scalb(1.0, Math.getExponent(a) - 10);
        double r = Math.rint(a / q) * q; // division and product by a power of two are exact; rint is RNE
        // r·2^−112 is an f32 whose exponent field is the f16 one (f32 bias 127 = f16 bias 15 + 112).
        int bits = Float.floatToRawIntBits((float) Math.scalb(r, -112));
        int code = (bits >>> 13) & 0x7FFF;
        return (short) (y < 0 || (y == 0 && 1 / y < 0) ? code | 0x8000 : code);
    }

    /** The f32 value f16(code) · 2⁻¹¹², as the SIMD kernel decodes it (exact). */
    public static float halfToScaledFloat(short code) {
        return Float.intBitsToFloat((code << 13) & HALF_MASK);
    }

    /** The f16 value of a code (exact). */
    public static double halfToDouble(short code) {
        return Math.scalb((double) halfToScaledFloat(code), 112);
    }

    /**
     * Scaled-int16 codes of the k rows of v [k, d]: code = rint(v_ji / s_j) with s_j = max_i |v_ji| / 32767, so
     * every value has absolute error ≤ s_j / 2 = max_i |v_ji| · 2⁻¹⁶ (fixed point: no error grows with the value's
     * own exponent, unlike bf16/f16). rowScale[j] = s_j turns {@link #rowDotsInt16}'s output into the dot product.
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

    /**
     * out[j] = decode(v[j·d .. j·d+d)) · x[0..d) for bf16 rows, accumulated in f32 lanes with a fixed-order lane sum.
     * Modified: out.
     */
    public static void rowDotsBf16(short[] v, int k, float[] x, int d, float[] out) {
        if (FloatKernels.SIMD) {
            SimdFloatKernels.rowDotsBf16(v, k, x, d, out);
            return;
        }
        for (int j = 0; j < k; j++) {
            float s = 0;
            for (int i = 0; i < d; i++) s = Math.fma(bf16ToFloat(v[j * d + i]), x[i], s);
            out[j] = s;
        }
    }

    /**
     * out[j] = Σ_i halfToScaledFloat(v[j·d + i]) · x[i], accumulated in f32 lanes with a fixed-order lane sum; the
     * dot product with the original row is out[j] · rowScale[j]. Modified: out.
     */
    public static void rowDotsHalf(short[] v, int k, float[] x, int d, float[] out) {
        if (FloatKernels.SIMD) {
            SimdFloatKernels.rowDotsHalf(v, k, x, d, out);
            return;
        }
        for (int j = 0; j < k; j++) {
            float s = 0;
            for (int i = 0; i < d; i++) s = Math.fma(halfToScaledFloat(v[j * d + i]), x[i], s);
            out[j] = s;
        }
    }
}
