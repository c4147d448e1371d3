package dev.refusalmonitor.math.fit;

import java.util.List;

/**
 * What a fit learned and how well it holds up on data it did not see (serialised as report.json).
 *
 * @param evaluation how held-out figures were obtained, e.g. "holdout-split 0.25 seed 7" or "holdout-files"
 * @param layers per-layer figures, ascending layer
 * @param aucCurve per-layer probe held-out AUC, same order as layers (the CV curve is in the layers' cv* figures)
 * @param scoringLayer best layer by k-fold CV: TPR at the target FPR, then log-loss (ties: earlier layer)
 * @param castLayer best layer by CAST's out-of-fold TPR at the target FPR (ties: higher F1, then earlier layer)
 * @param ensembleLayers layers in the Mahalanobis ensemble
 * @param ensembleAuc held-out AUC of the ensemble score
 * @param crossLayerCosine cosine of the per-layer DIM directions, [L][L]
 * @param sectors refusal-plane sectors learned from the labels
 * @param mahalanobisPath which Mahalanobis forms the set carries ("exact+low_rank" or "low_rank")
 * @param lowRankK eigenvectors kept for the low-rank path
 * @param fitSeconds wall time of the whole fit
 * @param targetFpr the false-positive rate every decision is calibrated to
 * @param fprConfidence 0: expected FPR ≤ target; q: FPR ≤ target with probability q
 * @param cvFolds folds of the cross-validation
 * @param layerRanking layers best first by the CV ranking
 * @param probeCandidates the single best layer and the multi-layer probes, with their CV figures
 * @param headlineProbe the candidate that scores probe_probability and decides flagged
 * @param flagged the headline probe's operating point (expected FPR with its interval, TPR at it)
 * @param castFired the CAST rule's operating point at the CAST layer
 * @param holdoutCheck the published set's decisions on the holdout files; null without holdout files
 */
public record FitReport(String modelId, long harmfulCount, long harmlessCount, int dim, String evaluation,
                        List<LayerReport> layers, double[] aucCurve, int scoringLayer, int castLayer,
                        int[] ensembleLayers, double ensembleAuc, double[][] crossLayerCosine,
                        List<SectorReport> sectors, String mahalanobisPath, int lowRankK, boolean mahalanobisL2Normalize,
                        double fitSeconds, double targetFpr, double fprConfidence, int cvFolds, int[] layerRanking,
                        List<ProbeCandidate> probeCandidates, ProbeCandidate headlineProbe, Decision flagged,
                        Decision castFired, HoldoutCheck holdoutCheck) {

    /**
     * A probe candidate's k-fold CV figures (pooled out-of-fold, and the per-fold mean and spread).
     *
     * @param kind "single", "concat" (one probe on the standardised concatenation) or "stacked" (a logistic
     *             combination of the per-layer out-of-fold logits)
     */
    public record ProbeCandidate(String kind, int[] layers, double auc, double aucMean, double aucStd,
                                 double tprAtTarget, double tprMean, double tprStd, double logLoss) {
    }

    /**
     * A published decision's operating point, from out-of-fold scores of all training rows.
     *
     * @param decision "flagged" or "cast_fired"
     * @param expectedFpr (k+1)/(n+1): the mean FPR on new harmless traffic like the training rows
     * @param fprLow 2.5 % bound of that FPR (Beta(k+1, n−k))
     * @param fprHigh 97.5 % bound
     * @param targetMet false when there were too few harmless rows for the target
     * @param tpr out-of-fold share of harmful rows caught at this threshold, with its Clopper–Pearson 95 % interval
     * @param harmless harmless rows the threshold was calibrated on
     * @param harmful harmful rows the TPR was measured on
     */
    public record Decision(String decision, double targetFpr, double expectedFpr, double fprLow, double fprHigh,
                           boolean targetMet, double tpr, double tprLow, double tprHigh, int harmless, int harmful) {
        static Decision of(String decision, OperatingPoint.Choice c) {
            return new Decision(decision, c.targetFpr(), c.expectedFpr(), c.fprLow(), c.fprHigh(), c.targetMet(),
                    c.tpr(), c.tprLow(), c.tprHigh(), c.harmless(), c.harmful());
        }
    }

    /**
     * The published set scored on the holdout files.
     *
     * @param flaggedFpr share of holdout harmless rows flagged, with its Clopper–Pearson 95 % interval
     * @param flaggedTpr share of holdout harmful rows flagged
     * @param castFpr share of holdout harmless rows where CAST fired
     * @param castTpr share of holdout harmful rows where CAST fired
     * @param flaggedWithinTarget the target FPR is inside or above the flagged FPR's interval
     * @param castWithinTarget the same for CAST
     */
    public record HoldoutCheck(int harmful, int harmless, double flaggedFpr, double flaggedFprLow, double flaggedFprHigh,
                               double flaggedTpr, double castFpr, double castTpr, boolean flaggedWithinTarget,
                               boolean castWithinTarget) {
    }


    /** A refusal-plane sector as reported. */
    public record SectorReport(String name, double startDeg, double endDeg) {
    }
}
