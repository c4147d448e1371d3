package dev.refusalmonitor.trainer.service;

import java.util.List;

/**
 * The quality gate's verdict (the "gate" section of the trainer's report).
 *
 * @param candidateAuc held-out probe AUC of the candidate at its scoring layer (evaluation pass: fitted without the
 *                     held-out rows)
 * @param inForceVersion the version in force compared against, or 0 when none
 * @param inForceAuc held-out probe AUC of the version in force on the same rows; NaN when none or not comparable
 * @param comparison how the regression check went: "compared", "no-version-in-force", or why it was not comparable
 */
public record GateResult(boolean passed, List<Failure> failures, double candidateAuc, double candidateSelectivity,
                         int scoringLayer, long inForceVersion, double inForceAuc, String comparison,
                         int heldOutHarmful, int heldOutHarmless, double minAuc, double minSelectivity,
                         double maxRegression) {

    /** Reason tags (metric refusal.trainer.gate.failures{reason}). */
    public static final String AUC_BELOW_FLOOR = "auc_below_floor";
    public static final String SELECTIVITY_BELOW_FLOOR = "selectivity_below_floor";
    public static final String REGRESSION = "regression";
    public static final String SET_TOO_LARGE = "set_too_large";

    public record Failure(String reason, String detail) {
    }

    /** One line: the failures, or "passed". */
    public String summary() {
        if (passed) return "passed";
        StringBuilder b = new StringBuilder();
        for (Failure f : failures) b.append(b.length() == 0 ? "" : "; ").append(f.reason()).append(": ").append(f.detail());
        return b.toString();
    }
}
