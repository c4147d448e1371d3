package dev.refusalmonitor.math.drift;

import java.util.List;

/**
 * Configuration of a {@link DriftTracker}. Build with {@link #builder()}; every field has a default (see the
 * builder). Validated on construction.
 *
 * @param windowSize         requests per count-based window (0 = no count limit)
 * @param windowDurationMs   length of event-time tumbling windows aligned to the epoch (0 = no time limit); at
 *                           least one of the two limits must be set, and with both a window closes at whichever
 *                           comes first
 * @param referenceMode      {@link ReferenceMode#PINNED} or {@link ReferenceMode#TRAILING}
 * @param referenceWindows   R: windows merged into the reference (and needed before any comparison)
 * @param maxSlicesPerModel  M: tenant/route slices tracked per model, beyond which new pairs fold into
 *                           (model, {@link SliceKey#OTHER}, {@link SliceKey#OTHER}); the model-total and overflow
 *                           slices are not counted
 * @param maxModels          models tracked, beyond which new models fold into model {@link SliceKey#OTHER}
 * @param trackModelTotal    also feed every record into the model-wide slice (model, _all, _all)
 * @param sectorNames        refusal-plane sectors counted separately (others go to {@link WindowAggregate#OTHER_SECTOR})
 * @param probabilityBins    bins of the probe-probability histogram over [0, 1]
 * @param mahalanobisEdges   edges of the Mahalanobis refusal-score histogram (with under/overflow bins)
 * @param oodLevel           a request is OOD when its OOD tail probability is below this
 * @param cusumK             CUSUM reference value k (in z units) of the flagged-rate rule
 * @param cusumH             CUSUM decision interval h (in z units)
 * @param psiThreshold       probe-probability PSI above which, together with {@code ksAlpha}, a window drifts
 * @param ksAlpha            KS p-value below which, together with {@code psiThreshold}, a window drifts
 */
public record DriftConfig(int windowSize, long windowDurationMs, ReferenceMode referenceMode, int referenceWindows,
                          int maxSlicesPerModel, int maxModels, boolean trackModelTotal, List<String> sectorNames,
                          int probabilityBins, double[] mahalanobisEdges, double oodLevel, double cusumK,
                          double cusumH, double psiThreshold, double ksAlpha) {

    public DriftConfig {
        if (windowSize < 0) throw new IllegalArgumentException("windowSize must be ≥ 0, got " + windowSize);
        if (windowDurationMs < 0) throw new IllegalArgumentException("windowDurationMs must be ≥ 0, got " + windowDurationMs);
        if (windowSize == 0 && windowDurationMs == 0) {
            throw new IllegalArgumentException("set windowSize or windowDurationMs (or both): windows would never close");
        }
        if (referenceMode == null) throw new IllegalArgumentException("referenceMode is required");
        if (referenceWindows < 1) throw new IllegalArgumentException("referenceWindows must be ≥ 1, got " + referenceWindows);
        if (maxSlicesPerModel < 0) throw new IllegalArgumentException("maxSlicesPerModel must be ≥ 0, got " + maxSlicesPerModel);
        if (maxModels < 1) throw new IllegalArgumentException("maxModels must be ≥ 1, got " + maxModels);
        sectorNames = List.copyOf(sectorNames);
        if (probabilityBins < 2) throw new IllegalArgumentException("probabilityBins must be ≥ 2, got " + probabilityBins);
        mahalanobisEdges = mahalanobisEdges.clone();
        ScoreHistogram.withEdges(mahalanobisEdges); // validates
        if (!(oodLevel > 0 && oodLevel < 1)) throw new IllegalArgumentException("oodLevel must be in (0, 1), got " + oodLevel);
        if (!(cusumK >= 0) || !(cusumH > 0)) {
            throw new IllegalArgumentException("need cusumK ≥ 0 and cusumH > 0, got " + cusumK + ", " + cusumH);
        }
        if (!(psiThreshold > 0)) throw new IllegalArgumentException("psiThreshold must be > 0, got " + psiThreshold);
        if (!(ksAlpha > 0 && ksAlpha < 1)) throw new IllegalArgumentException("ksAlpha must be in (0, 1), got " + ksAlpha);
    }

    @Override
    public double[] mahalanobisEdges() {
        return mahalanobisEdges.clone();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A builder starting from this configuration. */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.windowSize = windowSize;
        b.windowDurationMs = windowDurationMs;
        b.referenceMode = referenceMode;
        b.referenceWindows = referenceWindows;
        b.maxSlicesPerModel = maxSlicesPerModel;
        b.maxModels = maxModels;
        b.trackModelTotal = trackModelTotal;
        b.sectorNames = sectorNames;
        b.probabilityBins = probabilityBins;
        b.mahalanobisEdges = mahalanobisEdges.clone();
        b.oodLevel = oodLevel;
        b.cusumK = cusumK;
        b.cusumH = cusumH;
        b.psiThreshold = psiThreshold;
        b.ksAlpha = ksAlpha;
        return b;
    }

    /** Defaults are the benchmarked ones (BENCHMARKS.md, "Drift detection"). */
    public static final class Builder {
        private int windowSize = 200;
        private long windowDurationMs = 0;
        private ReferenceMode referenceMode = ReferenceMode.PINNED;
        private int referenceWindows = 50;
        private int maxSlicesPerModel = 20;
        private int maxModels = 64;
        private boolean trackModelTotal = true;
        private List<String> sectorNames = List.of("refuse", "comply", "comply_with_warning", "redirect");
        private int probabilityBins = 20;
        private double[] mahalanobisEdges = ScoreHistogram.linearEdges(-10, 10, 20);
        private double oodLevel = 0.01;
        private double cusumK = 1.0;
        private double cusumH = 4.0;
        private double psiThreshold = 0.5;
        private double ksAlpha = 1e-4;

        public Builder windowSize(int v) { windowSize = v; return this; }
        public Builder windowDurationMs(long v) { windowDurationMs = v; return this; }
        public Builder referenceMode(ReferenceMode v) { referenceMode = v; return this; }
        public Builder referenceWindows(int v) { referenceWindows = v; return this; }
        public Builder maxSlicesPerModel(int v) { maxSlicesPerModel = v; return this; }
        public Builder maxModels(int v) { maxModels = v; return this; }
        public Builder trackModelTotal(boolean v) { trackModelTotal = v; return this; }
        public Builder sectorNames(List<String> v) { sectorNames = v; return this; }
        public Builder probabilityBins(int v) { probabilityBins = v; return this; }
        public Builder mahalanobisEdges(double... v) { mahalanobisEdges = v.clone(); return this; }
        public Builder oodLevel(double v) { oodLevel = v; return this; }
        public Builder cusumK(double v) { cusumK = v; return this; }
        public Builder cusumH(double v) { cusumH = v; return this; }
        public Builder psiThreshold(double v) { psiThreshold = v; return this; }
        public Builder ksAlpha(double v) { ksAlpha = v; return this; }

        public DriftConfig build() {
            return new DriftConfig(windowSize, windowDurationMs, referenceMode, referenceWindows, maxSlicesPerModel,
                    maxModels, trackModelTotal, sectorNames, probabilityBins, mahalanobisEdges, oodLevel, cusumK,
                    cusumH, psiThreshold, ksAlpha);
        }
    }
}
