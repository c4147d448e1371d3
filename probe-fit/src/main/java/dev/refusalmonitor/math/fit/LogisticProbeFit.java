package dev.refusalmonitor.math.fit;

import dev.refusalmonitor.contract.directions.LogisticProbeParams;
import dev.refusalmonitor.math.score.ProbeScorer;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Fits the linear probe of DESIGN score 3 (seeds §4.2) exactly as scikit-learn's
 * {@code make_pipeline(StandardScaler(), LogisticRegression(C))} run to convergence.
 *
 * <p>Standardisation: z = (x − μ)/σ with the training mean μ and POPULATION standard deviation σ (a zero σ is
 * replaced by 1, as StandardScaler does). Objective, with y = +1 for harmful and −1 for harmless:
 * <pre>  f(v, b) = ½‖v‖² + C Σᵢ log(1 + exp(−yᵢ (v·zᵢ + b)))</pre>
 * (the intercept b is not penalised). It is minimised by L-BFGS with a strong-Wolfe line search until
 * ‖∇f‖∞ ≤ tolerance · max(1, ‖∇f(0)‖∞). The standardised rows are never materialised: the standardisation is
 * folded into the weights, so a gradient costs two passes over the raw {@code float} rows (double accumulation),
 * split over row blocks on {@code threads} threads.
 *
 * <p>Sign convention: harmful is the positive class, so p(H) = sigmoid(v·z + b) rises for harmful rows.
 */
public final class LogisticProbeFit {
    private LogisticProbeFit() {
    }

    /**
     * @param c inverse regularisation strength (scikit-learn's C), &gt; 0
     * @param maxIterations L-BFGS iterations
     * @param tolerance relative gradient tolerance (see class Javadoc)
     * @param threads worker threads for the gradient (1 = the calling thread only)
     * @param decisionThreshold probability at or above which the fitted probe flags a request
     */
    public record Options(double c, int maxIterations, double tolerance, int threads, double decisionThreshold) {
        public Options {
            if (!(c > 0) || !Double.isFinite(c)) throw new IllegalArgumentException("C must be > 0, got " + c);
            if (maxIterations < 1) throw new IllegalArgumentException("maxIterations must be >= 1");
            if (!(tolerance > 0)) throw new IllegalArgumentException("tolerance must be > 0");
            if (threads < 1) throw new IllegalArgumentException("threads must be >= 1");
            if (!(decisionThreshold > 0 && decisionThreshold < 1))
                throw new IllegalArgumentException("decisionThreshold must be in (0, 1)");
        }

        /** C = 1, 10 000 iterations, tolerance 1e-8, up to 2 threads, threshold 0.5. */
        public static Options defaults() {
            return new Options(1.0, 10_000, 1e-8, Math.min(2, Runtime.getRuntime().availableProcessors()), 0.5);
        }

        public Options withC(double newC) {
            return new Options(newC, maxIterations, tolerance, threads, decisionThreshold);
        }

        public Options withMaxIterations(int newMax) {
            return new Options(c, newMax, tolerance, threads, decisionThreshold);
        }

        public Options withThreads(int newThreads) {
            return new Options(c, maxIterations, tolerance, newThreads, decisionThreshold);
        }

        public Options withTolerance(double newTolerance) {
            return new Options(c, maxIterations, newTolerance, threads, decisionThreshold);
        }
    }

    /** {@link #fit(float[], int, int, boolean[], Options)} with {@link Options#defaults()}. */
    public static LogisticProbeParams fit(float[] x, int n, int d, boolean[] harmful) {
        return fit(x, n, d, harmful, Options.defaults());
    }

    /**
     * Fits the probe.
     *
     * @param x training rows, row-major [n, d]; not modified
     * @param harmful per row, true for class H (positive); both classes must occur; not modified
     * @return featureMean μ, featureStd σ, coefficients v (standardised space), intercept b, C, decision threshold
     */
    public static LogisticProbeParams fit(float[] x, int n, int d, boolean[] harmful, Options options) {
        Inputs.matrix("x", x, n, d, 2);
        Inputs.labels("harmful", harmful, n);
        double[] mean = new double[d];
        double[] std = new double[d];
        standardisation(x, n, d, mean, std);
        double[] y = new double[n];
        for (int i = 0; i < n; i++) y[i] = harmful[i] ? 1 : -1;

        int threads = Math.max(1, Math.min(options.threads(), n / 256 + 1));
        ExecutorService pool = threads > 1 ? Executors.newFixedThreadPool(threads - 1, r -> {
            Thread t = new Thread(r, "logistic-probe-fit");
            t.setDaemon(true);
            return t;
        }) : null;
        try {
            Objective f = new Objective(x, n, d, y, mean, std, options.c(), threads, pool);
            double[] theta = new double[d + 1];
            Lbfgs.minimise(f, theta, options.maxIterations(), options.tolerance());
            float[] coef = new float[d];
            for (int j = 0; j < d; j++) coef[j] = (float) theta[j];
            return new LogisticProbeParams(toFloat(mean), toFloat(std), coef, theta[d], options.c(),
                    options.decisionThreshold());
        } finally {
            if (pool != null) pool.shutdownNow();
        }
    }

    /** Column mean and population std (zero std → 1), in two passes for accuracy. Outputs modified. */
    static void standardisation(float[] x, int n, int d, double[] mean, double[] std) {
        for (int i = 0; i < n; i++) for (int j = 0; j < d; j++) mean[j] += x[i * d + j];
        for (int j = 0; j < d; j++) mean[j] /= n;
        for (int i = 0; i < n; i++)
            for (int j = 0; j < d; j++) {
                double e = x[i * d + j] - mean[j];
                std[j] += e * e;
            }
        for (int j = 0; j < d; j++) {
            std[j] = Math.sqrt(std[j] / n);
            if (std[j] == 0) std[j] = 1;
        }
    }

    private static float[] toFloat(double[] v) {
        float[] out = new float[v.length];
        for (int i = 0; i < v.length; i++) out[i] = (float) v[i];
        return out;
    }

    /** log(1 + exp(−t)), without overflow. */
    static double softplusNeg(double t) {
        return t > 0 ? Math.log1p(Math.exp(-t)) : -t + Math.log1p(Math.exp(t));
    }

    /** Function and gradient of a smooth objective in R^m. */
    interface Function {
        /** Returns f(theta) and writes ∇f(theta) into grad (modified). */
        double evaluate(double[] theta, double[] grad);
    }

    /** The logistic objective over θ = [v (d), b]. */
    static final class Objective implements Function {
        private final float[] x;
        private final int n, d, threads;
        private final double[] y, mean, std;
        private final double c;
        private final ExecutorService pool;
        private final double[] weights; // v_j / σ_j, the folded standardisation
        private final double[] margins;
        private final double[] residual; // C · ∂ℓ/∂margin
        private final double[][] partial; // per-thread Xᵀ r accumulators

        Objective(float[] x, int n, int d, double[] y, double[] mean, double[] std, double c, int threads,
                  ExecutorService pool) {
            this.x = x;
            this.n = n;
            this.d = d;
            this.y = y;
            this.mean = mean;
            this.std = std;
            this.c = c;
            this.threads = threads;
            this.pool = pool;
            this.weights = new double[d];
            this.margins = new double[n];
            this.residual = new double[n];
            this.partial = new double[threads][d];
        }

        @Override
        public double evaluate(double[] theta, double[] grad) {
            double bias = theta[d];
            double reg = 0;
            for (int j = 0; j < d; j++) {
                weights[j] = theta[j] / std[j];
                bias -= weights[j] * mean[j];
                reg += theta[j] * theta[j];
            }
            final double b = bias;
            double[] loss = new double[threads];
            parallel((t, lo, hi) -> {
                double l = 0;
                for (int i = lo; i < hi; i++) {
                    double m = rowDot(i) + b;
                    margins[i] = m;
                    double ym = y[i] * m;
                    l += softplusNeg(ym);
                    residual[i] = -c * y[i] * ProbeScorer.sigmoid(-ym);
                }
                loss[t] = l;
                double[] acc = partial[t];
                java.util.Arrays.fill(acc, 0);
                for (int i = lo; i < hi; i++) {
                    double r = residual[i];
                    if (r == 0) continue;
                    int off = i * d;
                    for (int j = 0; j < d; j++) acc[j] += x[off + j] * r;
                }
            });
            double sumLoss = 0, sumR = 0;
            for (double l : loss) sumLoss += l;
            for (int i = 0; i < n; i++) sumR += residual[i];
            for (int j = 0; j < d; j++) {
                double xr = 0;
                for (int t = 0; t < threads; t++) xr += partial[t][j];
                grad[j] = theta[j] + (xr - mean[j] * sumR) / std[j];
            }
            grad[d] = sumR;
            return 0.5 * reg + c * sumLoss;
        }

        private double rowDot(int i) {
            int off = i * d;
            double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
            int j = 0;
            for (; j + 3 < d; j += 4) {
                s0 += x[off + j] * weights[j];
                s1 += x[off + j + 1] * weights[j + 1];
                s2 += x[off + j + 2] * weights[j + 2];
                s3 += x[off + j + 3] * weights[j + 3];
            }
            for (; j < d; j++) s0 += x[off + j] * weights[j];
            return (s0 + s1) + (s2 + s3);
        }

        interface Block {
            void run(int thread, int lo, int hi);
        }

        /** Runs the row blocks; block 0 on the calling thread. */
        private void parallel(Block block) {
            if (threads == 1) {
                block.run(0, 0, n);
                return;
            }
            List<Future<?>> futures = new ArrayList<>();
            for (int t = 1; t < threads; t++) {
                final int tt = t;
                futures.add(pool.submit(() -> block.run(tt, (int) ((long) n * tt / threads),
                        (int) ((long) n * (tt + 1) / threads))));
            }
            block.run(0, 0, (int) ((long) n / threads));
            for (Future<?> f : futures) {
                try {
                    f.get();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted while fitting the probe", e);
                } catch (ExecutionException e) {
                    throw new IllegalStateException("probe gradient failed", e.getCause());
                }
            }
        }
    }
}
