package dev.refusalmonitor.math.testing;

/**
 * Every numeric tolerance the tests use, in one place, named by precision and comparison.
 * ABS = absolute difference, REL = relative difference, COS = minimum cosine similarity.
 */
public final class Tolerances {
    private Tolerances() {
    }

    /** f64 identities computed two ways in Java (e.g. a fast path against an obvious one). */
    public static final double F64_REL = 1e-9;
    /** f32 kernels against an f64 reference: relative, per element or per dot product of length ≤ 4096. */
    public static final double F32_REL = 1e-4;

    // The numpy/scikit-learn oracle bounds the foundation issue asks for.
    /** Ledoit-Wolf shrinkage coefficient against sklearn.covariance.LedoitWolf. */
    public static final double ORACLE_SHRINKAGE_ABS = 1e-6;
    /** DIM and Fisher directions against numpy. */
    public static final double ORACLE_DIRECTION_COS = 0.9999;
    /** Mahalanobis distances against numpy with the same shrunk covariance. */
    public static final double ORACLE_MAHALANOBIS_REL = 1e-4;
    /** Eigenvalue floor, condition number and top-k eigenvalues of the shrunk covariance against numpy.linalg.eigvalsh. */
    public static final double ORACLE_EIGENVALUE_REL = 1e-6;
    /** Probe probabilities against StandardScaler + LogisticRegression(C=1.0). */
    public static final double ORACLE_PROBABILITY_ABS = 1e-3;
    /** ROC AUC against sklearn.metrics.roc_auc_score. */
    public static final double ORACLE_AUROC_ABS = 1e-3;

    /** The f32 tanh of FloatKernels against Math.tanh, absolute (a few f32 ulps near ±1). */
    public static final double TANH_F32_ABS = 4e-7;
    /**
     * CAST similarity (a cosine, |s| ≤ 1) from the f32 kernel against the f64 DESIGN formula with Math.tanh, absolute:
     * each f32 sum of length ≤ 4096 runs ≤ 4096/32 + 16 roundings of 6e-8 per lane chain (≤ 9e-6 relative even when
     * every rounding goes the same way), plus the tanh error.
     */
    public static final double CAST_SIMILARITY_ABS = 2e-5;
    /** CAST similarity against numpy (f64, np.tanh) with the same condition vector: the f32 kernel bound above. */
    public static final double ORACLE_CAST_SIMILARITY_ABS = CAST_SIMILARITY_ABS;
    /** Refusal-plane angles (degrees) against numpy with the same basis and origin. */
    public static final double ORACLE_ANGLE_DEG_ABS = 1e-6;
    /** Drift statistics (PSI, KS, KS p-value, Newcombe bounds) against numpy reimplementations. */
    public static final double ORACLE_DRIFT_ABS = 1e-9;
    /** Values checked against a paper's table printed to 4 decimal places (half a unit in the last place). */
    public static final double PUBLISHED_4DP_ABS = 5e-5;

    /**
     * Low-rank Mahalanobis distances with 16-bit stored eigenvectors against the f32 eigenvectors (relative): the
     * adoption bound for a compact storage.
     */
    public static final double COMPACT_EIGENVECTORS_DISTANCE_REL = 1e-3;
    /** Held-out ROC AUC of d_S − d_H with 16-bit stored eigenvectors against the f32 eigenvectors. */
    public static final double COMPACT_EIGENVECTORS_AUC_ABS = 0.002;

    /**
     * Hidden states of the same prompt run alone and inside a padded batch (ONNX Runtime picks kernels by shape, so
     * sums are ordered differently): absolute, for LayerNorm outputs of order 1.
     */
    public static final double MODEL_BATCH_PADDING_ABS = 1e-4;
}
