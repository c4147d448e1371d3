package dev.refusalmonitor.math.fit;

/**
 * Limited-memory BFGS (Nocedal &amp; Wright, Numerical Optimization, Alg. 7.4/7.5) with a strong-Wolfe line
 * search (Alg. 3.5/3.6, cubic interpolation in the zoom). Minimises in place.
 */
final class Lbfgs {
    private static final int MEMORY = 20;
    private static final double C1 = 1e-4;
    private static final double C2 = 0.9;
    private static final int MAX_LINE_SEARCH = 40;

    private Lbfgs() {
    }

    /**
     * Minimises f from theta (modified: the minimiser on return).
     * Stops when ‖∇f‖∞ ≤ tolerance · max(1, ‖∇f(θ₀)‖∞), after maxIterations, or when the line search can make no
     * progress (the objective is flat to rounding error).
     *
     * @return iterations used
     */
    static int minimise(LogisticProbeFit.Function f, double[] theta, int maxIterations, double tolerance) {
        int m = theta.length;
        double[] g = new double[m];
        double fx = f.evaluate(theta, g);
        double stop = tolerance * Math.max(1, normInf(g));
        double[][] s = new double[MEMORY][m];
        double[][] yv = new double[MEMORY][m];
        double[] rho = new double[MEMORY];
        double[] alpha = new double[MEMORY];
        double[] dir = new double[m];
        double[] trial = new double[m];
        double[] gTrial = new double[m];
        int stored = 0, head = 0;
        int it = 0;
        while (it < maxIterations && normInf(g) > stop) {
            it++;
            // Two-loop recursion: dir = −H g.
            for (int i = 0; i < m; i++) dir[i] = -g[i];
            for (int k = 0; k < stored; k++) {
                int idx = Math.floorMod(head - 1 - k, MEMORY);
                alpha[idx] = rho[idx] * dot(s[idx], dir);
                axpy(-alpha[idx], yv[idx], dir);
            }
            if (stored > 0) {
                int last = Math.floorMod(head - 1, MEMORY);
                double gamma = dot(s[last], yv[last]) / dot(yv[last], yv[last]);
                for (int i = 0; i < m; i++) dir[i] *= gamma;
            }
            for (int k = stored - 1; k >= 0; k--) {
                int idx = Math.floorMod(head - 1 - k, MEMORY);
                double beta = rho[idx] * dot(yv[idx], dir);
                axpy(alpha[idx] - beta, s[idx], dir);
            }
            double slope = dot(g, dir);
            if (!(slope < 0)) { // not a descent direction (rounding): restart from steepest descent
                for (int i = 0; i < m; i++) dir[i] = -g[i];
                slope = dot(g, dir);
                stored = 0;
            }
            double step = stored == 0 ? Math.min(1.0, 1.0 / Math.sqrt(dot(g, g))) : 1.0;
            double fNew = lineSearch(f, theta, fx, g, dir, slope, step, trial, gTrial);
            if (Double.isNaN(fNew)) break; // no progress possible
            // s = θ_new − θ, y = g_new − g
            double[] sk = s[head], yk = yv[head];
            for (int i = 0; i < m; i++) {
                sk[i] = trial[i] - theta[i];
                yk[i] = gTrial[i] - g[i];
            }
            double sy = dot(sk, yk);
            System.arraycopy(trial, 0, theta, 0, m);
            System.arraycopy(gTrial, 0, g, 0, m);
            boolean flat = fx - fNew <= 1e-16 * Math.abs(fx);
            fx = fNew;
            if (sy > 1e-300) {
                rho[head] = 1 / sy;
                head = (head + 1) % MEMORY;
                stored = Math.min(stored + 1, MEMORY);
            }
            if (flat && normInf(g) <= Math.sqrt(stop)) break; // at rounding level
        }
        return it;
    }

    /**
     * Strong-Wolfe line search along dir. On success writes the accepted point and gradient into trial/gTrial and
     * returns its value; returns NaN when no point decreasing f could be found.
     */
    private static double lineSearch(LogisticProbeFit.Function f, double[] x, double f0, double[] g0, double[] dir,
                                     double slope0, double step, double[] trial, double[] gTrial) {
        double aPrev = 0, fPrev = f0, dPrev = slope0;
        double a = step;
        double bestA = Double.NaN, bestF = f0;
        for (int i = 0; i < MAX_LINE_SEARCH; i++) {
            double fa = evalAt(f, x, dir, a, trial, gTrial);
            double da = dot(gTrial, dir);
            if (fa > f0 + C1 * a * slope0 || (i > 0 && fa >= fPrev)) {
                return zoom(f, x, f0, dir, slope0, aPrev, fPrev, dPrev, a, fa, da, trial, gTrial);
            }
            if (Math.abs(da) <= -C2 * slope0) return fa;
            if (fa < bestF) {
                bestF = fa;
                bestA = a;
            }
            if (da >= 0) return zoom(f, x, f0, dir, slope0, a, fa, da, aPrev, fPrev, dPrev, trial, gTrial);
            aPrev = a;
            fPrev = fa;
            dPrev = da;
            a *= 2;
        }
        if (Double.isNaN(bestA)) return Double.NaN;
        return evalAt(f, x, dir, bestA, trial, gTrial);
    }

    private static double zoom(LogisticProbeFit.Function f, double[] x, double f0, double[] dir, double slope0,
                               double lo, double fLo, double dLo, double hi, double fHi, double dHi,
                               double[] trial, double[] gTrial) {
        for (int i = 0; i < MAX_LINE_SEARCH; i++) {
            double a = cubicMin(lo, fLo, dLo, hi, fHi, dHi);
            double left = Math.min(lo, hi), right = Math.max(lo, hi), width = right - left;
            if (!(a > left + 0.1 * width && a < right - 0.1 * width)) a = 0.5 * (lo + hi);
            if (width <= 1e-18 * Math.max(1, Math.abs(right))) break;
            double fa = evalAt(f, x, dir, a, trial, gTrial);
            double da = dot(gTrial, dir);
            if (fa > f0 + C1 * a * slope0 || fa >= fLo) {
                hi = a;
                fHi = fa;
                dHi = da;
            } else {
                if (Math.abs(da) <= -C2 * slope0) return fa;
                if (da * (hi - lo) >= 0) {
                    hi = lo;
                    fHi = fLo;
                    dHi = dLo;
                }
                lo = a;
                fLo = fa;
                dLo = da;
            }
        }
        // Accept the best sufficient-decrease point found, if it decreases f at all.
        if (lo > 0 && fLo < f0) return evalAt(f, x, dir, lo, trial, gTrial);
        return Double.NaN;
    }

    /** Minimiser of the cubic through (a, fa, da) and (b, fb, db); NaN when it does not exist. */
    private static double cubicMin(double a, double fa, double da, double b, double fb, double db) {
        double d1 = da + db - 3 * (fa - fb) / (a - b);
        double disc = d1 * d1 - da * db;
        if (disc < 0) return Double.NaN;
        double d2 = Math.signum(b - a) * Math.sqrt(disc);
        return b - (b - a) * (db + d2 - d1) / (db - da + 2 * d2);
    }

    private static double evalAt(LogisticProbeFit.Function f, double[] x, double[] dir, double a, double[] out,
                                 double[] gOut) {
        for (int i = 0; i < x.length; i++) out[i] = x[i] + a * dir[i];
        return f.evaluate(out, gOut);
    }

    private static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) s += a[i] * b[i];
        return s;
    }

    private static void axpy(double a, double[] x, double[] y) {
        for (int i = 0; i < x.length; i++) y[i] += a * x[i];
    }

    private static double normInf(double[] v) {
        double m = 0;
        for (double e : v) m = Math.max(m, Math.abs(e));
        return m;
    }
}
