package dev.refusalmonitor.contract.directions;

/**
 * CAST condition for one layer (DESIGN score 5, seeds §8.7): s = cos(x, tanh(P x)), P = c cᵀ / (cᵀ c).
 * The rule fires when s &gt; θ ({@code firesAbove}) or s &lt; θ (not {@code firesAbove}).
 * Note: IBM's reference implementation names these comparators the other way round.
 *
 * @param conditionVector c [d], first principal component, sign chosen so harmful projects higher
 * @param threshold θ
 * @param firesAbove true: fires when s &gt; θ
 * @param f1 out-of-fold F1 of the rule at this layer (θ is calibrated to the set's target FPR)
 */
public record CastParams(float[] conditionVector, double threshold, boolean firesAbove, double f1) {

    public boolean fires(double similarity) {
        return firesAbove ? similarity > threshold : similarity < threshold;
    }
}
