package dev.refusalmonitor.math.fit;

import java.util.List;

/**
 * What a fit learned and how well it holds up on data it did not see (serialised as report.json).
 *
 * @param evaluation how held-out figures were obtained, e.g. "holdout-split 0.25 seed 7" or "holdout-files"
 * @param layers per-layer figures, ascending layer
 * @param aucCurve per-layer probe held-out AUC, same order as layers (the layer-choice curve)
 * @param scoringLayer best layer by held-out probe AUC (ties: earlier layer)
 * @param castLayer best layer by held-out CAST F1 (ties: earlier layer)
 * @param ensembleLayers layers in the Mahalanobis ensemble
 * @param ensembleAuc held-out AUC of the ensemble score
 * @param crossLayerCosine cosine of the per-layer DIM directions, [L][L]
 * @param sectors refusal-plane sectors learned from the labels
 * @param mahalanobisPath which Mahalanobis forms the set carries ("exact+low_rank" or "low_rank")
 * @param lowRankK eigenvectors kept for the low-rank path
 * @param fitSeconds wall time of the whole fit
 */
public record FitReport(String modelId, long harmfulCount, long harmlessCount, int dim, String evaluation,
                        List<LayerReport> layers, double[] aucCurve, int scoringLayer, int castLayer,
                        int[] ensembleLayers, double ensembleAuc, double[][] crossLayerCosine,
                        List<SectorReport> sectors, String mahalanobisPath, int lowRankK, boolean mahalanobisL2Normalize,
                        double fitSeconds) {

    /** A refusal-plane sector as reported. */
    public record SectorReport(String name, double startDeg, double endDeg) {
    }
}
