package dev.refusalmonitor.math.linalg;

/**
 * A symmetric d × d linear map applied to a block of vectors, so iterative eigen-solvers need not know where the
 * matrix lives (a Java array or a PyTorch tensor in native memory).
 */
public interface SymmetricOperator {
    /** The dimension d. */
    int d();

    /**
     * out = A · Q for Q row-major [d, cols].
     *
     * @param q the block, [d, cols] row-major. Not modified.
     * @param out [d, cols] row-major, or null to allocate. Modified.
     * @return out
     */
    double[] times(double[] q, int cols, double[] out);
}
