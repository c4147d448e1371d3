package dev.refusalmonitor.activations;

import java.util.Arrays;

/**
 * An in-memory array read from or to be written to a NumPy {@code .npy} file: C-order values widened to float,
 * with its shape and the dtype it had on disk.
 *
 * @param shape dimensions, e.g. [n, d] or [n, L, d]
 * @param data row-major values, length = product(shape)
 * @param dtype the on-disk element type
 */
public record NpyArray(int[] shape, float[] data, NpyDType dtype) {

    public NpyArray {
        long count = elementCount(shape);
        if (count != data.length)
            throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " needs " + count
                    + " values, got " + data.length);
    }

    public static long elementCount(int[] shape) {
        long c = 1;
        for (int s : shape) {
            if (s < 0) throw new IllegalArgumentException("negative dimension in shape " + Arrays.toString(shape));
            c *= s;
        }
        return c;
    }

    public int rank() {
        return shape.length;
    }
}
