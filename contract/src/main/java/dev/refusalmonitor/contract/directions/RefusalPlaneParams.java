package dev.refusalmonitor.contract.directions;

import java.util.List;

/**
 * Refusal plane (DESIGN score 6): b₁ the best layer's DIM direction, b₂ the first principal component of the
 * per-layer DIM candidates Gram-Schmidt-orthogonalised against b₁. θ = atan2((x−m)·b₂, (x−m)·b₁) in degrees,
 * m = {@code origin} (the harmless mean at {@code layer}).
 */
public record RefusalPlaneParams(int layer, float[] b1, float[] b2, float[] origin, List<Sector> sectors) {
}
