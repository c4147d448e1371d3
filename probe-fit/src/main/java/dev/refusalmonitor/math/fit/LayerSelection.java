package dev.refusalmonitor.math.fit;

import dev.refusalmonitor.math.VectorOps;

/**
 * Layer choice (DESIGN score 7): the best layer is the one with the highest held-out AUC, ties going to the
 * earlier layer; the cross-layer cosine matrix of the per-layer directions is kept for the report.
 */
public final class LayerSelection {
    private LayerSelection() {
    }

    /**
     * @param layers layer indices (Hugging Face numbering), strictly increasing
     * @param auc held-out AUC per layer
     * @param bestIndex index into {@code layers} of the best layer
     * @param cosines L × L matrix, cosines[a][b] = cos(direction_a, direction_b)
     */
    public record Result(int[] layers, double[] auc, int bestIndex, double[][] cosines) {
        public int bestLayer() {
            return layers[bestIndex];
        }
    }

    /**
     * Index of the maximal AUC; on a tie the smaller layer index wins.
     *
     * @param layers layer indices, not modified
     * @param auc per-layer AUC, not modified; must be finite
     */
    public static int bestIndex(int[] layers, double[] auc) {
        if (layers == null || auc == null || layers.length == 0 || layers.length != auc.length)
            throw new IllegalArgumentException("need one AUC per layer and at least one layer");
        int best = -1;
        for (int i = 0; i < auc.length; i++) {
            if (!Double.isFinite(auc[i])) throw new IllegalArgumentException("AUC of layer " + layers[i] + " is not finite");
            if (best < 0 || auc[i] > auc[best] || (auc[i] == auc[best] && layers[i] < layers[best])) best = i;
        }
        return best;
    }

    /** cosines[a][b] = (u_a · u_b)/(‖u_a‖‖u_b‖); a zero direction has cosine 0 with everything. Not modified. */
    public static double[][] cosineMatrix(float[][] directions) {
        if (directions == null || directions.length == 0) throw new IllegalArgumentException("no directions");
        int l = directions.length, d = directions[0].length;
        for (float[] u : directions)
            if (u == null || u.length != d) throw new IllegalArgumentException("directions must all have length " + d);
        double[][] c = new double[l][l];
        for (int a = 0; a < l; a++)
            for (int b = a; b < l; b++) {
                double v = a == b && VectorOps.norm(directions[a]) > 0 ? 1.0 : VectorOps.cosine(directions[a], directions[b]);
                c[a][b] = v;
                c[b][a] = v;
            }
        return c;
    }

    /** Both at once: see {@link #bestIndex} and {@link #cosineMatrix}. */
    public static Result select(int[] layers, double[] auc, float[][] directions) {
        if (directions == null || directions.length != layers.length)
            throw new IllegalArgumentException("need one direction per layer");
        return new Result(layers.clone(), auc.clone(), bestIndex(layers, auc), cosineMatrix(directions));
    }
}
