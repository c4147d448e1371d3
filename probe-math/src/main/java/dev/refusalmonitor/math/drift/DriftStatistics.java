package dev.refusalmonitor.math.drift;

/**
 * Window-versus-reference drift statistics on binned scores and on rates. "a" is the window being judged
 * (actual), "e" the reference (expected). Nothing here modifies its arguments.
 */
public final class DriftStatistics {
    private DriftStatistics() {
    }

    /**
     * Floor for a bin share in {@link #psi}: a share below it (an empty bin) is replaced by it, so ln(a/e) stays
     * finite. 1e-4 is the common industry choice; with it one empty bin facing a share e contributes at most
     * e·ln(e/1e-4), e.g. 0.05·6.2 = 0.31 for e = 5 %. Shares are not renormalised after flooring.
     */
    public static final double PSI_EPSILON = 1e-4;

    /** Two-sided 95 % normal quantile, Φ⁻¹(0.975). */
    public static final double Z_95 = 1.959963984540054;

    /**
     * Population stability index PSI = Σ_i (a_i − e_i) · ln(a_i / e_i), with a_i = countsA[i]/n_a and
     * e_i = countsE[i]/n_e the bin shares, each floored at {@link #PSI_EPSILON}. Symmetric in a and e, ≥ 0,
     * 0 for identical shares. Rules of thumb (for large samples): &lt; 0.1 stable, 0.1–0.25 moderate, &gt; 0.25
     * a shift; on small windows the null value is about (bins − 1)(1/n_a + 1/n_e), so thresholds must grow.
     *
     * @throws IllegalArgumentException when lengths differ, a count is negative or either total is 0
     */
    public static double psi(long[] countsA, long[] countsE) {
        if (countsA.length != countsE.length) {
            throw new IllegalArgumentException("bin counts differ in length: " + countsA.length + " vs " + countsE.length);
        }
        double na = total(countsA, "actual"), ne = total(countsE, "expected");
        double s = 0;
        for (int i = 0; i < countsA.length; i++) {
            double a = Math.max(countsA[i] / na, PSI_EPSILON);
            double e = Math.max(countsE[i] / ne, PSI_EPSILON);
            s += (a - e) * Math.log(a / e);
        }
        return s;
    }

    /** {@link #psi(long[], long[])} of two histograms with the same layout. */
    public static double psi(ScoreHistogram a, ScoreHistogram e) {
        a.requireSameLayout(e);
        return psi(a.countsView(), e.countsView());
    }

    /**
     * Two-sample Kolmogorov–Smirnov statistic on binned data: D = max_j |F_a(j) − F_e(j)|, with F(j) the share of
     * values in bins 0..j (the empirical CDFs evaluated at the bin upper edges). Binning can only lower D relative
     * to the raw samples (the maximum is taken over fewer points), so the test is conservative.
     *
     * @throws IllegalArgumentException when lengths differ, a count is negative or either total is 0
     */
    public static double ksStatistic(long[] countsA, long[] countsE) {
        if (countsA.length != countsE.length) {
            throw new IllegalArgumentException("bin counts differ in length: " + countsA.length + " vs " + countsE.length);
        }
        double na = total(countsA, "actual"), ne = total(countsE, "expected");
        long ca = 0, ce = 0;
        double d = 0;
        for (int i = 0; i < countsA.length; i++) {
            ca += countsA[i];
            ce += countsE[i];
            d = Math.max(d, Math.abs(ca / na - ce / ne));
        }
        return d;
    }

    /** {@link #ksStatistic(long[], long[])} of two histograms with the same layout. */
    public static double ksStatistic(ScoreHistogram a, ScoreHistogram e) {
        a.requireSameLayout(e);
        return ksStatistic(a.countsView(), e.countsView());
    }

    /**
     * Approximate p-value of the two-sample KS statistic: Q_KS(λ) with λ = √n_eff · D and n_eff = n_a n_e/(n_a + n_e),
     * where Q_KS(λ) = 2 Σ_{k≥1} (−1)^{k−1} exp(−2k²λ²) is the asymptotic Kolmogorov tail. For λ &lt; 1.18 the
     * equivalent series 1 − (√(2π)/λ) Σ_{k≥1} exp(−(2k−1)²π²/(8λ²)) is used because it converges faster there.
     * Asymptotic (good for n_eff ≳ 40) and, on binned data with ties, conservative.
     */
    public static double ksPValue(double d, long nA, long nE) {
        if (!(d >= 0 && d <= 1)) throw new IllegalArgumentException("KS statistic must be in [0, 1], got " + d);
        if (nA <= 0 || nE <= 0) throw new IllegalArgumentException("sample sizes must be positive: " + nA + ", " + nE);
        double nEff = (double) nA * nE / ((double) nA + nE);
        return kolmogorovTail(Math.sqrt(nEff) * d);
    }

    /** Q_KS(λ) = P(K &gt; λ) for the Kolmogorov distribution K (see {@link #ksPValue}); 1 at λ = 0. */
    public static double kolmogorovTail(double lambda) {
        if (Double.isNaN(lambda) || lambda < 0) throw new IllegalArgumentException("lambda must be ≥ 0, got " + lambda);
        if (lambda == 0) return 1.0;
        if (lambda < 1.18) {
            double w = Math.PI * Math.PI / (8 * lambda * lambda);
            double s = 0;
            for (int k = 1; k <= 20; k++) {
                int m = 2 * k - 1;
                double t = Math.exp(-m * m * w);
                s += t;
                if (t < 1e-17 * s) break;
            }
            return clamp01(1 - Math.sqrt(2 * Math.PI) / lambda * s);
        }
        double s = 0;
        for (int k = 1; k <= 100; k++) {
            double t = Math.exp(-2.0 * k * k * lambda * lambda);
            s += (k % 2 == 1) ? t : -t;
            if (t < 1e-17) break;
        }
        return clamp01(2 * s);
    }

    /**
     * Wilson score interval for a proportion x/n (no continuity correction): the two roots p of
     * |x/n − p| = z √(p(1 − p)/n), i.e. centre (x + z²/2)/(n + z²) ± z √(x(n − x)/n + z²/4)/(n + z²).
     * Written into {@code out} (length ≥ 2, null = allocate) as {lower, upper}, which is returned.
     */
    public static double[] wilsonInterval(long x, long n, double z, double[] out) {
        requireProportion(x, n);
        if (!(z > 0) || Double.isInfinite(z)) throw new IllegalArgumentException("z must be positive and finite, got " + z);
        if (out == null) out = new double[2];
        double z2 = z * z;
        double denom = n + z2;
        double centre = (x + z2 / 2) / denom;
        double half = z * Math.sqrt((double) x * (n - x) / n + z2 / 4) / denom;
        // Exact ends: x = 0 has lower bound 0 and x = n upper bound 1; avoid a rounding residue there.
        out[0] = x == 0 ? 0.0 : Math.max(0.0, centre - half);
        out[1] = x == n ? 1.0 : Math.min(1.0, centre + half);
        return out;
    }

    /**
     * Difference of two independent proportions δ = p_a − p_e (p_a = xA/nA, p_e = xE/nE) with Newcombe's hybrid
     * score interval (Newcombe 1998, Statistics in Medicine 17:873–890, method 10): with Wilson intervals
     * (l_a, u_a) and (l_e, u_e) for each proportion at the same z,
     * <pre>
     *   L = δ − √((p_a − l_a)² + (u_e − p_e)²)
     *   U = δ + √((u_a − p_a)² + (p_e − l_e)²)
     * </pre>
     * Chosen over the Wald interval δ ± z √(p_a q_a/n_a + p_e q_e/n_e), which collapses to a zero-width interval
     * when both rates are 0 or 1 and undercovers at the small rates (OOD ≈ 1 %) this monitor sees. Significant means
     * the interval excludes 0 (L &gt; 0 or U &lt; 0).
     */
    public static RateDifference rateDifference(long xA, long nA, long xE, long nE, double z) {
        requireProportion(xA, nA);
        requireProportion(xE, nE);
        double[] wa = wilsonInterval(xA, nA, z, null);
        double[] we = wilsonInterval(xE, nE, z, null);
        double pa = (double) xA / nA, pe = (double) xE / nE;
        double delta = pa - pe;
        double lower = delta - Math.hypot(pa - wa[0], we[1] - pe);
        double upper = delta + Math.hypot(wa[1] - pa, pe - we[0]);
        return new RateDifference(xA, nA, xE, nE, delta, lower, upper, z, lower > 0 || upper < 0);
    }

    /** {@link #rateDifference(long, long, long, long, double)} at 95 %. */
    public static RateDifference rateDifference(long xA, long nA, long xE, long nE) {
        return rateDifference(xA, nA, xE, nE, Z_95);
    }

    /**
     * Pooled two-proportion z statistic (p_a − p_e) / √(p̄(1 − p̄)(1/n_a + 1/n_e)) with p̄ = (x_a + x_e)/(n_a + n_e);
     * positive when the window's rate is higher; 0 when p̄ is 0 or 1 (no evidence either way).
     */
    public static double twoProportionZ(long xA, long nA, long xE, long nE) {
        requireProportion(xA, nA);
        requireProportion(xE, nE);
        double pooled = (double) (xA + xE) / ((double) nA + nE);
        double var = pooled * (1 - pooled) * (1.0 / nA + 1.0 / nE);
        if (var <= 0) return 0.0;
        return ((double) xA / nA - (double) xE / nE) / Math.sqrt(var);
    }

    private static void requireProportion(long x, long n) {
        if (n <= 0) throw new IllegalArgumentException("a proportion needs n > 0, got n = " + n);
        if (x < 0 || x > n) throw new IllegalArgumentException("count " + x + " is outside [0, " + n + "]");
    }

    private static double total(long[] counts, String which) {
        long t = 0;
        for (int i = 0; i < counts.length; i++) {
            if (counts[i] < 0) throw new IllegalArgumentException(which + " bin " + i + " has a negative count " + counts[i]);
            t += counts[i];
        }
        if (t == 0) throw new IllegalArgumentException(which + " histogram is empty");
        return t;
    }

    private static double clamp01(double p) {
        return p < 0 ? 0 : (p > 1 ? 1 : p);
    }
}
