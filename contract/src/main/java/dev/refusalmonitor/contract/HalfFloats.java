package dev.refusalmonitor.contract;

/**
 * IEEE 754 binary16 (f16) and bfloat16 (bf16) conversions, exact in the widening direction (every f16 and bf16
 * value, subnormals, infinities and NaN included, is a float). Narrowing rounds to nearest, ties to even, as NumPy
 * and PyTorch do. Java 17 has no {@code Float.float16ToFloat}, hence this class.
 */
public final class HalfFloats {
    private HalfFloats() {
    }

    /** Widens the f16 bit pattern {@code h} (low 16 bits) to float. */
    public static float f16ToFloat(short h) {
        int bits = h & 0xffff;
        int sign = (bits & 0x8000) << 16;
        int exp = (bits >>> 10) & 0x1f;
        int mant = bits & 0x3ff;
        if (exp == 0x1f) { // infinity or NaN; keep the payload
            return Float.intBitsToFloat(sign | 0x7f800000 | (mant << 13));
        }
        if (exp == 0) {
            if (mant == 0) return Float.intBitsToFloat(sign); // signed zero
            // Subnormal: value = mant * 2^-24, exactly representable as a normal float.
            float v = mant * 0x1p-24f;
            return sign != 0 ? -v : v;
        }
        return Float.intBitsToFloat(sign | ((exp + 112) << 23) | (mant << 13));
    }

    /** Widens the bf16 bit pattern {@code b} (low 16 bits) to float: bf16 is the upper half of a binary32. */
    public static float bf16ToFloat(short b) {
        return Float.intBitsToFloat((b & 0xffff) << 16);
    }

    /** Narrows to f16, round to nearest even; overflow gives infinity, NaN stays NaN. */
    public static short floatToF16(float f) {
        int x = Float.floatToRawIntBits(f);
        int sign = (x >>> 16) & 0x8000;
        int exp = (x >>> 23) & 0xff;
        int mant = x & 0x7fffff;
        if (exp == 0xff) { // inf or NaN
            if (mant == 0) return (short) (sign | 0x7c00);
            int payload = mant >>> 13;
            return (short) (sign | 0x7c00 | (payload == 0 ? 0x200 : payload));
        }
        int e = exp - 127 + 15;
        if (e >= 0x1f) return (short) (sign | 0x7c00); // overflow
        if (e <= 0) {
            if (e < -10) return (short) sign; // underflows to zero (even with rounding)
            // Subnormal f16: shift the full mantissa (with implicit 1) right.
            int m = mant | 0x800000;
            int shift = 14 - e;
            int half = m >>> shift;
            int rem = m & ((1 << shift) - 1);
            int mid = 1 << (shift - 1);
            if (rem > mid || (rem == mid && (half & 1) == 1)) half++;
            return (short) (sign | half);
        }
        int half = (e << 10) | (mant >>> 13);
        int rem = mant & 0x1fff;
        if (rem > 0x1000 || (rem == 0x1000 && (half & 1) == 1)) half++; // may carry into the exponent: correct
        return (short) (sign | half);
    }

    /** Narrows to bf16, round to nearest even; NaN stays a quiet NaN. */
    public static short floatToBf16(float f) {
        int x = Float.floatToRawIntBits(f);
        if ((x & 0x7f800000) == 0x7f800000 && (x & 0x7fffff) != 0) return (short) ((x >>> 16) | 0x40);
        int lsb = (x >>> 16) & 1;
        x += 0x7fff + lsb;
        return (short) (x >>> 16);
    }
}
