package dev.refusalmonitor.math.fit;

import dev.refusalmonitor.math.score.MahalanobisScorer;

/**
 * The directions that come from one layer's pooled covariance: Fisher's discriminant and the Mahalanobis scorer.
 * Both passes of {@link DirectionFitter} fit them the same way.
 */
record CovarianceDirections(float[] fisher, MahalanobisFit.Result mahalanobis, MahalanobisScorer scorer,
                            boolean exact) {

    /**
     * @param oodCalibration sorted held-out OOD distances for the published set; null in the evaluation pass
     */
    static CovarianceDirections fit(ClassData data, DirectionFitter.Options o, boolean exact, float[] oodCalibration) {
        PooledCovariance cov = PooledCovariance.fit(data, o.mahalanobisL2Normalize());
        // Fisher is defined on raw activations: with Mahalanobis++ it needs the raw covariance too.
        float[] fisher = FisherFit.direction(o.mahalanobisL2Normalize() ? PooledCovariance.fit(data, false) : cov);
        MahalanobisFit.Result maha = MahalanobisFit.fit(cov, new MahalanobisFit.Options(o.lowRankK(), exact,
                o.mahalanobisL2Normalize(), oodCalibration));
        return new CovarianceDirections(fisher, maha,
                new MahalanobisScorer(maha.meanHarmful(), maha.meanHarmless(), maha.params()), exact);
    }

    /** Mahalanobis refusal score per row into {@code refusal}, and the OOD distance into {@code ood} unless null. */
    void score(float[] rows, int n, int d, double[] refusal, float[] ood) {
        MahalanobisScorer.Scratch scratch = scorer.newScratch();
        MahalanobisScorer.Result r = new MahalanobisScorer.Result();
        for (int i = 0; i < n; i++) {
            scorer.score(rows, i * d, exact, scratch, r);
            refusal[i] = r.refusal();
            if (ood != null) ood[i] = (float) r.ood();
        }
    }
}
