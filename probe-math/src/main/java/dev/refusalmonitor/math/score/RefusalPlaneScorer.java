package dev.refusalmonitor.math.score;

import dev.refusalmonitor.math.FloatKernels;
import dev.refusalmonitor.contract.directions.RefusalPlaneParams;
import dev.refusalmonitor.contract.directions.Sector;

/**
 * Refusal-plane angle and sector (DESIGN score 6): θ(x) = atan2((x − m)·b₂, (x − m)·b₁) in degrees, in
 * (−180, 180], m the harmless mean; the sector is the first of the fitted sectors that contains θ. Immutable,
 * thread-safe, no allocation per record.
 *
 * <p>Both projections come from one SIMD pass over x ({@link FloatKernels#centredDots2F64}) that forms x − m exactly
 * in f64 lanes before multiplying. Not precomputing m·b and using x·b − m·b on purpose: harmless rows sit near m, so
 * x·b and m·b nearly cancel and the small angle-determining difference would carry the rounding of the large terms
 * (in f32 about 1e-7 · |x|·|b|, i.e. whole degrees of error for rows close to m).
 */
public final class RefusalPlaneScorer {
    /** Per-thread pair of projections, so a record allocates nothing. */
    private final float[] b1, b2, origin;
    private final Sector[] sectors;

    /** @param params fitted plane; its arrays are copied */
    public RefusalPlaneScorer(RefusalPlaneParams params) {
        int d = params.b1().length;
        if (d == 0 || params.b2().length != d || params.origin().length != d)
            throw new IllegalArgumentException("refusal plane: b1, b2 and origin must have one length d >= 1 ("
                    + d + ", " + params.b2().length + ", " + params.origin().length + ")");
        b1 = params.b1().clone();
        b2 = params.b2().clone();
        origin = params.origin().clone();
        sectors = params.sectors() == null ? new Sector[0] : params.sectors().toArray(new Sector[0]);
    }

    public int d() {
        return b1.length;
    }

    /** θ for the row x[off..off+d), degrees. */
    public double angleDeg(float[] x, int off) {
        return angleDeg(x, off, new double[2]);
    }

    /** θ for the row x[off..off+d), degrees, with the caller's work space (≥ 2 values; modified): no allocation. */
    public double angleDeg(float[] x, int off, double[] work) {
        int d = b1.length;
        if (off < 0 || off + d > x.length)
            throw new IllegalArgumentException("row at " + off + " of length " + d + " exceeds array of " + x.length);
        FloatKernels.centredDots2F64(x, off, origin, b1, b2, d, work);
        return Math.toDegrees(Math.atan2(work[1], work[0]));
    }

    /** Name of the sector containing the angle, or null when no sectors were fitted. 180° is treated as −180°. */
    public String sector(double angleDeg) {
        double a = angleDeg >= 180.0 ? angleDeg - 360.0 : angleDeg;
        for (Sector s : sectors) if (s.contains(a) || s.contains(angleDeg)) return s.name();
        return null;
    }
}
