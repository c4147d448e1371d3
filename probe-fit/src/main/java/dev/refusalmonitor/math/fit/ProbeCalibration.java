package dev.refusalmonitor.math.fit;

import dev.refusalmonitor.contract.directions.LogisticProbeParams;
import dev.refusalmonitor.math.score.ProbeScorer;

/** A published probe's decision threshold at the target FPR. */
final class ProbeCalibration {
    private ProbeCalibration() {
    }

    /**
     * The probe's rule: τ at the target on the out-of-fold logits, made stricter when the published probe's own
     * training logits put more harmless rows above it ({@link OperatingPoint#stricter}).
     *
     * @param rows the rows the probe was fitted on, [harmful.length, width]
     */
    static OperatingPoint.Choice operatingPoint(double[] oofLogit, LogisticProbeParams published, float[] rows,
                                                int width, boolean[] harmful, DirectionFitter.Options o) {
        int nh = 0;
        for (boolean b : harmful) if (b) nh++;
        double[] h = new double[nh], s = new double[harmful.length - nh];
        double[] ih = new double[nh], is = new double[harmful.length - nh];
        ProbeScorer scorer = new ProbeScorer(published);
        int a = 0, b = 0;
        for (int i = 0; i < harmful.length; i++) {
            double in = scorer.logit(rows, i * width);
            if (harmful[i]) { h[a] = oofLogit[i]; ih[a++] = in; } else { s[b] = oofLogit[i]; is[b++] = in; }
        }
        OperatingPoint.Choice oof = OperatingPoint.choose(h, s, o.targetFpr(), o.fprConfidence());
        return OperatingPoint.stricter(oof, h, s, ih, is);
    }

    /** The probe with the probability threshold of a "p ≥ t" rule equivalent to "logit &gt; τ". */
    static LogisticProbeParams withThreshold(LogisticProbeParams p, OperatingPoint.Choice c) {
        double threshold = Math.min(1.0, Math.nextUp(ProbeScorer.sigmoid(c.tau())));
        return new LogisticProbeParams(p.featureMean(), p.featureStd(), p.coefficients(), p.intercept(), p.c(),
                threshold);
    }
}
