package dev.refusalmonitor.math.fit;

import dev.refusalmonitor.contract.directions.Standardisation;

import java.util.Arrays;

/**
 * One layer's held-out figures: every direction fitted on the training part, measured on the held-out part.
 *
 * @param oodCalibration the held-out rows' OOD distances, ascending (the published Mahalanobis calibration)
 * @param ensembleMember the held-out rows' Mahalanobis refusal scores, standardised by the training rows' scores
 */
record LayerEvaluation(double dimAuc, double fisherAuc, ProbeEvaluation probe, double mahalanobisAuc, double pcaAuc,
                       float[] oodCalibration, double[] ensembleMember) {

    static LayerEvaluation evaluate(ClassData train, float[] testRows, boolean[] testLabels, DirectionFitter.Options o,
                                    boolean exact) {
        int d = train.d(), nTest = testLabels.length;
        boolean[] trainLabels = FitRows.labels(train.nHarmful(), train.nHarmless());
        float[] trainRows = FitRows.rows(train);

        double dimAuc = RocAuc.auc(FitRows.project(testRows, nTest, d, DimFit.direction(train)), testLabels);

        CovarianceDirections cov = CovarianceDirections.fit(train, o, exact, null);
        double fisherAuc = RocAuc.auc(FitRows.project(testRows, nTest, d, cov.fisher()), testLabels);
        double[] refusal = new double[nTest];
        float[] ood = new float[nTest];
        cov.score(testRows, nTest, d, refusal, ood);
        double mahalanobisAuc = RocAuc.auc(refusal, testLabels);
        Arrays.sort(ood);
        double[] trainRefusal = new double[train.n()];
        cov.score(trainRows, trainRefusal.length, d, trainRefusal, null);
        Standardisation st = Standardisation.of(trainRefusal, trainRefusal.length);
        double[] member = new double[nTest];
        for (int i = 0; i < nTest; i++) member[i] = st.apply(refusal[i]);

        ProbeEvaluation probe = Selectivity.evaluate(trainRows, trainLabels.length, trainLabels, testRows, nTest,
                testLabels, d, o.probe(), o.seed());

        float[] pca = PcaReadingVector.fit(train.harmful(), train.nHarmful(), train.harmless(), train.nHarmless(), d,
                o.seed());
        double pcaAuc = RocAuc.auc(FitRows.project(testRows, nTest, d, pca), testLabels);
        return new LayerEvaluation(dimAuc, fisherAuc, probe, mahalanobisAuc, pcaAuc, ood, member);
    }
}
