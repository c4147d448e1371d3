package dev.refusalmonitor.trainer.service;

import dev.refusalmonitor.contract.directions.DirectionSetModel;
import dev.refusalmonitor.math.fit.FitReport;
import dev.refusalmonitor.math.fit.DirectionFitter;
import dev.refusalmonitor.math.fit.LabelledLayers;
import dev.refusalmonitor.math.fit.LayerReport;
import dev.refusalmonitor.math.fit.RocAuc;
import dev.refusalmonitor.math.score.DirectionSetScorer;
import dev.refusalmonitor.math.score.Scores;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Decides whether a freshly fitted set may be published: floors on the scoring layer's held-out probe AUC and
 * selectivity, and no AUC regression beyond a tolerance against the version in force, measured on the same held-out
 * rows (the in-force set's {@code probe_probability} through {@link DirectionSetScorer}).
 */
public final class QualityGate {
    private final double minAuc;
    private final double minSelectivity;
    private final double maxRegression;

    public QualityGate(double minAuc, double minSelectivity, double maxRegression) {
        this.minAuc = minAuc;
        this.minSelectivity = minSelectivity;
        this.maxRegression = maxRegression;
    }

    /**
     * @param heldOut the rows the fit held out ({@link dev.refusalmonitor.math.fit.DirectionFitter.Result#heldOut}); scored with {@code inForce}
     * @param inForce the version in force, or null
     */
    public GateResult evaluate(FitReport report, LabelledLayers heldOut, DirectionSetModel inForce) {
        LayerReport scoring = report.layers().stream().filter(l -> l.layer() == report.scoringLayer()).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("report has no entry for its scoring layer " + report.scoringLayer()));
        List<GateResult.Failure> failures = new ArrayList<>();
        double auc = scoring.probeAuc();
        double sel = scoring.selectivity();
        if (!(auc >= minAuc))
            failures.add(new GateResult.Failure(GateResult.AUC_BELOW_FLOOR,
                    String.format("held-out probe AUC %.4f at layer %d is below the floor %.4f (--min-auc)", auc, scoring.layer(), minAuc)));
        if (!(sel >= minSelectivity))
            failures.add(new GateResult.Failure(GateResult.SELECTIVITY_BELOW_FLOOR,
                    String.format("selectivity %.4f at layer %d is below the floor %.4f (--min-selectivity)", sel, scoring.layer(), minSelectivity)));
        double inForceAuc = Double.NaN;
        String comparison;
        long inForceVersion = inForce == null ? 0 : inForce.version();
        if (inForce == null) {
            comparison = "no-version-in-force";
        } else {
            String why = comparable(inForce, heldOut);
            if (why != null) {
                comparison = "not comparable: " + why;
            } else {
                inForceAuc = inForceAuc(inForce, heldOut);
                comparison = "compared";
                if (auc < inForceAuc - maxRegression)
                    failures.add(new GateResult.Failure(GateResult.REGRESSION, String.format(
                            "held-out probe AUC %.4f is below version %d's %.4f on the same rows by more than %.4f (--max-regression)",
                            auc, inForce.version(), inForceAuc, maxRegression)));
            }
        }
        return new GateResult(failures.isEmpty(), List.copyOf(failures), auc, sel, scoring.layer(), inForceVersion,
                inForceAuc, comparison, heldOut.nHarmful(), heldOut.nHarmless(), minAuc, minSelectivity, maxRegression);
    }

    /** Null when {@code set} can score the rows, else why not. */
    static String comparable(DirectionSetModel set, LabelledLayers rows) {
        if (set.d() != rows.d()) return "version " + set.version() + " has d = " + set.d() + ", the samples d = " + rows.d();
        DirectionSetScorer scorer = new DirectionSetScorer(set);
        for (int l : scorer.requiredLayers())
            if (Arrays.binarySearch(rows.layers(), l) < 0)
                return "version " + set.version() + " needs layer " + l + ", the samples carry " + Arrays.toString(rows.layers());
        return null;
    }

    /** ROC AUC of {@code set}'s probe_probability on the rows, harmful positive. */
    static double inForceAuc(DirectionSetModel set, LabelledLayers rows) {
        DirectionSetScorer scorer = new DirectionSetScorer(set);
        DirectionSetScorer.Scratch scratch = scorer.newScratch();
        Scores out = new Scores();
        int n = rows.nHarmful() + rows.nHarmless();
        int d = rows.d();
        double[] p = new double[n];
        boolean[] y = new boolean[n];
        int[] layers = rows.layers();
        float[][] x = new float[layers.length][d];
        for (int i = 0; i < n; i++) {
            boolean harmful = i < rows.nHarmful();
            int r = harmful ? i : i - rows.nHarmful();
            for (int l = 0; l < layers.length; l++)
                System.arraycopy(harmful ? rows.harmful()[l] : rows.harmless()[l], r * d, x[l], 0, d);
            scorer.score(layers, x, DirectionSetScorer.MahalanobisMode.AUTO, scratch, out);
            p[i] = out.probeProbability;
            y[i] = harmful;
        }
        return RocAuc.auc(p, y);
    }

}
