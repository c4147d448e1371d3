package dev.refusalmonitor.math.linalg;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

/**
 * A symmetric d × d float64 matrix held once in native memory by the DJL PyTorch engine, for repeated block
 * products (subspace iteration) without copying d² values across JNI on every step. Not thread-safe; close it.
 */
public final class NativeSymmetric implements SymmetricOperator, AutoCloseable {
    private final NDManager manager;
    private final NDArray matrix;
    private final int d;

    /** Copies {@code a} ([d, d] row-major, symmetric; not modified) to native memory. */
    public NativeSymmetric(double[] a, int d) {
        DenseOps.checkSquare(a, d, "matrix");
        this.d = d;
        this.manager = DenseOps.newManager();
        this.matrix = manager.create(a, new Shape(d, d));
    }

    @Override
    public int d() {
        return d;
    }

    @Override
    public double[] times(double[] q, int cols, double[] out) {
        if (q.length != d * cols) throw new IllegalArgumentException("block has " + q.length + " values, expected " + d + " x " + cols);
        try (NDManager step = manager.newSubManager()) {
            NDArray b = step.create(q, new Shape(d, cols));
            NDArray product = matrix.matMul(b);
            product.attach(step); // results join the first operand's manager; free them with this step
            double[] r = product.toDoubleArray();
            if (out == null) return r;
            System.arraycopy(r, 0, out, 0, r.length);
            return out;
        }
    }

    @Override
    public void close() {
        manager.close();
    }
}
