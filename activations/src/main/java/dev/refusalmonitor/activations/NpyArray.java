package dev.refusalmonitor.activations;

import java.util.Arrays;
import java.util.Objects;

/**
 * An in-memory array read from or to be written to a NumPy {@code .npy} file: C-order values widened to float,
 * with its shape and the dtype it had (or will have) on disk. The arrays are not copied.
 *
 * @param shape dimensions, e.g. [n, d] or [n, L, d]
 * @param data row-major values, length = product(shape)
 * @param dtype the on-disk element type
 */
public record NpyArray(int[] shape, float[] data, NpyDType dtype) {

    public NpyArray {
        Objects.requireNonNull(shape, "shape");
        Objects.requireNonNull(data, "data");
        Objects.requireNonNull(dtype, "dtype");
        long count = elementCount(shape);
        if (count != data.length)
            throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " needs " + count
                    + " values, got " + data.length);
    }

    /** product(shape); 1 for a scalar (rank 0). Throws IllegalArgumentException for a negative or overflowing shape. */
    public static long elementCount(int[] shape) {
        long c = 1;
        for (int s : shape) {
            if (s < 0) throw new IllegalArgumentException("negative dimension in shape " + Arrays.toString(shape));
            try {
                c = Math.multiplyExact(c, s);
            } catch (ArithmeticException e) {
                throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " has too many elements");
            }
        }
        return c;
    }

    public int rank() {
        return shape.length;
    }

    @Override
    public String toString() {
        return "NpyArray" + Arrays.toString(shape) + " " + dtype.descr();
    }
}
