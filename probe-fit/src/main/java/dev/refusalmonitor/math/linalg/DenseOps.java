package dev.refusalmonitor.math.linalg;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;
import org.ejml.interfaces.decomposition.CholeskyDecomposition_F64;

/**
 * Dense float64 matrix operations on flat row-major arrays, split by what each backend does fast here
 * (DESIGN "Versions and parts that work here"): products and inverses go to PyTorch through DJL (BLAS/LAPACK,
 * ~1 s for 4096³), Cholesky goes to EJML (PyTorch through DJL has no Cholesky). Nothing here eigendecomposes a
 * large matrix; see {@link SymmetricEigen}.
 *
 * <p>Conventions (as EJML's {@code CommonOps_DDRM}): the output is the last parameter, null means allocate, the
 * output is returned; inputs are not modified; a shape mismatch throws {@link IllegalArgumentException}.
 */
public final class DenseOps {
    private DenseOps() {
    }

    /** The engine every product and inverse here runs on. */
    public static final String ENGINE = "PyTorch";

    /** A new DJL manager on the PyTorch engine (CPU). Close it. */
    public static NDManager newManager() {
        return NDManager.newBaseManager(ENGINE);
    }

    /**
     * out = Xᵀ X for X row-major [n, d] (the unnormalised Gram / scatter matrix), [d, d] row-major.
     *
     * @param x [n, d] row-major. Not modified.
     * @param out [d, d] or null. Modified.
     */
    public static double[] transposeTimesSelf(double[] x, int n, int d, double[] out) {
        checkShape(x, n, d, "x");
        try (NDManager m = newManager()) {
            NDArray a = m.create(x, new Shape(n, d));
            return copyOut(a.transpose().matMul(a).toDoubleArray(), out, d * d);
        }
    }

    /**
     * out = A B for A [n, m] and B [m, p], row-major.
     *
     * @param a [n, m]. Not modified.
     * @param b [m, p]. Not modified.
     * @param out [n, p] or null. Modified.
     */
    public static double[] mult(double[] a, double[] b, int n, int m, int p, double[] out) {
        checkShape(a, n, m, "a");
        checkShape(b, m, p, "b");
        try (NDManager mg = newManager()) {
            NDArray x = mg.create(a, new Shape(n, m));
            NDArray y = mg.create(b, new Shape(m, p));
            return copyOut(x.matMul(y).toDoubleArray(), out, n * p);
        }
    }

    /**
     * out = A⁻¹ for a symmetric positive-definite A [d, d] (LU with partial pivoting in LAPACK, float64), then
     * symmetrised as (B + Bᵀ)/2 so rounding does not leave an asymmetric inverse.
     *
     * @param a [d, d], symmetric positive definite. Not modified.
     * @param out [d, d] or null. Modified.
     * @throws ArithmeticException when the result is not finite (A singular)
     */
    public static double[] invertSPD(double[] a, int d, double[] out) {
        double[] inv = invert(a, d, out);
        for (int i = 0; i < d; i++) {
            for (int j = 0; j < i; j++) {
                double s = 0.5 * (inv[i * d + j] + inv[j * d + i]);
                inv[i * d + j] = s;
                inv[j * d + i] = s;
            }
        }
        return inv;
    }

    /**
     * out = A⁻¹ for a general square A [d, d] (LU with partial pivoting, float64).
     *
     * @param a [d, d]. Not modified.
     * @param out [d, d] or null. Modified.
     * @throws ArithmeticException when the result is not finite (A singular)
     */
    public static double[] invert(double[] a, int d, double[] out) {
        checkSquare(a, d, "matrix");
        double[] inv;
        try (NDManager m = newManager()) {
            inv = m.create(a, new Shape(d, d)).inverse().toDoubleArray();
        } catch (ai.djl.engine.EngineException e) {
            throw new ArithmeticException("matrix is singular: " + e.getMessage());
        }
        for (double v : inv) if (!Double.isFinite(v)) throw new ArithmeticException("matrix is singular: its inverse is not finite");
        return copyOut(inv, out, d * d);
    }

    /**
     * The lower-triangular Cholesky factor L of A = L Lᵀ (EJML), [d, d] row-major with zeros above the diagonal.
     *
     * @param a [d, d], symmetric positive definite. Not modified.
     * @throws ArithmeticException when A is not positive definite
     */
    public static double[] cholesky(double[] a, int d) {
        checkSquare(a, d, "matrix");
        DMatrixRMaj m = new DMatrixRMaj(d, d);
        System.arraycopy(a, 0, m.data, 0, d * d);
        CholeskyDecomposition_F64<DMatrixRMaj> chol = DecompositionFactory_DDRM.chol(d, true);
        if (!chol.decompose(m)) throw new ArithmeticException("matrix is not positive definite (Cholesky failed)");
        DMatrixRMaj l = chol.getT(null);
        for (int i = 0; i < d; i++) for (int j = i + 1; j < d; j++) l.data[i * d + j] = 0.0;
        return l.data;
    }

    /**
     * out = A x for A [rows, cols] row-major, in Java (memory-bound; no JNI copy of A).
     *
     * @param a [rows, cols]. Not modified.
     * @param x [cols]. Not modified.
     * @param out [rows] or null. Modified.
     */
    public static double[] multVector(double[] a, int rows, int cols, double[] x, double[] out) {
        checkShape(a, rows, cols, "a");
        if (x.length != cols) throw new IllegalArgumentException("vector has " + x.length + " values, expected " + cols);
        if (out == null) out = new double[rows];
        if (out == x) throw new IllegalArgumentException("out must not alias x");
        for (int i = 0; i < rows; i++) {
            int off = i * cols;
            double s0 = 0, s1 = 0;
            int j = 0;
            for (; j + 1 < cols; j += 2) {
                s0 += a[off + j] * x[j];
                s1 += a[off + j + 1] * x[j + 1];
            }
            if (j < cols) s0 += a[off + j] * x[j];
            out[i] = s0 + s1;
        }
        return out;
    }

    /** tr(A) for A [d, d]. */
    public static double trace(double[] a, int d) {
        checkSquare(a, d, "matrix");
        double t = 0;
        for (int i = 0; i < d; i++) t += a[i * d + i];
        return t;
    }

    /**
     * Packs the lower triangle of A [d, d] row by row: element (i, j), j ≤ i, at i(i+1)/2 + j, as float.
     *
     * @param a [d, d]. Not modified.
     */
    public static float[] packLowerF32(double[] a, int d) {
        checkSquare(a, d, "matrix");
        long size = (long) d * (d + 1) / 2;
        if (size > Integer.MAX_VALUE) throw new IllegalArgumentException("d = " + d + " is too large to pack");
        float[] p = new float[(int) size];
        int k = 0;
        for (int i = 0; i < d; i++) for (int j = 0; j <= i; j++) p[k++] = (float) a[i * d + j];
        return p;
    }

    static void checkSquare(double[] a, int d, String name) {
        checkShape(a, d, d, name);
    }

    static void checkShape(double[] a, int rows, int cols, String name) {
        if (rows < 1 || cols < 1) throw new IllegalArgumentException(name + " shape [" + rows + ", " + cols + "] must be positive");
        if (a.length != (long) rows * cols)
            throw new IllegalArgumentException(name + " has " + a.length + " values, expected " + rows + " x " + cols);
    }

    private static double[] copyOut(double[] r, double[] out, int size) {
        if (out == null) return r;
        if (out.length != size) throw new IllegalArgumentException("out has " + out.length + " values, expected " + size);
        System.arraycopy(r, 0, out, 0, size);
        return out;
    }
}
