package dev.refusalmonitor.math.synthetic;

import java.util.SplittableRandom;

/**
 * Seedable generator of realistic residual-stream activations with a known ground truth.
 *
 * <p>Per layer ℓ, a harmless row is x = μ₀ + A z + s ⊙ ε with z ~ N(0, I_q), ε ~ N(0, I_d): per-dimension scales s
 * are log-normal (anisotropic), a few "rogue" dimensions are {@code rogueScale} times larger, and the d × q loading
 * A correlates dimensions. A harmful row adds sep_ℓ · r_ℓ, where r_ℓ is the planted unit direction of layer ℓ
 * (rotating slowly across layers, so per-layer directions differ but agree) and sep_ℓ is {@code separation}
 * within-class standard deviations along r_ℓ, strongest at the middle layer. "Complied with warning" harmful rows get
 * half the shift plus the same amount along a second planted direction orthogonal to r_ℓ.
 */
public final class SyntheticActivations {
    private SyntheticActivations() {
    }

    /** Response labels carried per row (the Protobuf ResponseLabel numbering). */
    public static final int RESPONSE_REFUSED = 1;
    public static final int RESPONSE_COMPLIED = 2;
    public static final int RESPONSE_COMPLIED_WITH_WARNING = 3;

    /**
     * Generated activations. Arrays are row-major [n, d] per layer.
     *
     * @param harmful per layer, [nHarmful, d]
     * @param harmless per layer, [nHarmless, d]
     * @param plantedDirections per layer, the unit direction r_ℓ [d]
     * @param separations per layer, the planted shift in units of the within-class sd along r_ℓ
     * @param harmfulResponses per harmful row, a response label (refused or complied with warning)
     */
    public record Sample(PlantedTruthSpec spec, float[][] harmful, float[][] harmless,
                         float[][] plantedDirections, double[] separations, int[] harmfulResponses) {
        public int d() {
            return spec.d();
        }

        public int layers() {
            return spec.layers();
        }
    }

    public static Sample generate(PlantedTruthSpec spec) {
        int d = spec.d(), q = spec.factors(), layers = spec.layers();
        SplittableRandom root = new SplittableRandom(spec.seed());

        // Shared geometry: scales, rogue dimensions, loadings, two orthonormal bases for the rotating direction.
        SplittableRandom geo = root.split();
        double[] scale = new double[d];
        for (int j = 0; j < d; j++) scale[j] = Math.exp(0.5 * geo.nextGaussian());
        for (int k = 0; k < spec.rogueDims(); k++) scale[geo.nextInt(d)] *= spec.rogueScale();
        double[] loading = new double[d * Math.max(q, 1)];
        for (int j = 0; j < d; j++)
            for (int f = 0; f < q; f++) loading[j * q + f] = geo.nextGaussian() * scale[j] / Math.sqrt(Math.max(q, 1));
        double[] mu0 = new double[d];
        for (int j = 0; j < d; j++) mu0[j] = 0.5 * geo.nextGaussian() * scale[j];
        double[] u = randomUnit(geo, d);
        double[] v = orthogonalUnit(geo, u);
        double[] w = orthogonalUnit(geo, u, v);

        float[][] harmful = new float[layers][];
        float[][] harmless = new float[layers][];
        float[][] planted = new float[layers][];
        double[] separations = new double[layers];
        int[] responses = new int[spec.nHarmful()];
        SplittableRandom labels = root.split();
        for (int i = 0; i < responses.length; i++)
            responses[i] = labels.nextDouble() < spec.warningShare() ? RESPONSE_COMPLIED_WITH_WARNING : RESPONSE_REFUSED;

        for (int l = 0; l < layers; l++) {
            // Direction rotates by up to ~40 degrees from the first to the last layer.
            double angle = layers == 1 ? 0 : 0.7 * l / (layers - 1);
            double[] r = new double[d];
            for (int j = 0; j < d; j++) r[j] = Math.cos(angle) * u[j] + Math.sin(angle) * (d > 1 ? v[j] : 0);
            normalise(r);
            double[] second = d > 2 ? w : new double[d];
            // Within-class sd along r: sqrt(rᵀ (A Aᵀ + diag(s²)) r).
            double varAlong = 0;
            for (int f = 0; f < q; f++) {
                double p = 0;
                for (int j = 0; j < d; j++) p += loading[j * q + f] * r[j];
                varAlong += p * p;
            }
            for (int j = 0; j < d; j++) varAlong += scale[j] * scale[j] * r[j] * r[j];
            double mid = (layers - 1) / 2.0;
            double profile = layers == 1 ? 1.0 : 1.0 - 0.6 * Math.abs(l - mid) / Math.max(mid, 1e-9);
            double sep = spec.separation() * profile;
            separations[l] = sep;
            double shift = sep * Math.sqrt(varAlong);

            SplittableRandom noise = root.split();
            harmless[l] = rows(noise, spec.nHarmless(), d, q, mu0, loading, scale);
            harmful[l] = rows(noise, spec.nHarmful(), d, q, mu0, loading, scale);
            float[] h = harmful[l];
            for (int i = 0; i < spec.nHarmful(); i++) {
                boolean warning = responses[i] == RESPONSE_COMPLIED_WITH_WARNING;
                double a = warning ? 0.5 * shift : shift;
                double b = warning ? 0.5 * shift : 0;
                int off = i * d;
                for (int j = 0; j < d; j++) h[off + j] += (float) (a * r[j] + b * second[j]);
            }
            planted[l] = new float[d];
            for (int j = 0; j < d; j++) planted[l][j] = (float) r[j];
        }
        return new Sample(spec, harmful, harmless, planted, separations, responses);
    }

    private static float[] rows(SplittableRandom rnd, int n, int d, int q, double[] mu0, double[] loading, double[] scale) {
        float[] out = new float[n * d];
        double[] z = new double[q];
        for (int i = 0; i < n; i++) {
            for (int f = 0; f < q; f++) z[f] = rnd.nextGaussian();
            int off = i * d;
            for (int j = 0; j < d; j++) {
                double x = mu0[j] + scale[j] * rnd.nextGaussian();
                int lo = j * q;
                for (int f = 0; f < q; f++) x += loading[lo + f] * z[f];
                out[off + j] = (float) x;
            }
        }
        return out;
    }

    private static double[] randomUnit(SplittableRandom rnd, int d) {
        double[] x = new double[d];
        for (int j = 0; j < d; j++) x[j] = rnd.nextGaussian();
        normalise(x);
        return x;
    }

    /** A random unit vector orthogonal to the given unit vectors (zero when d is too small). */
    private static double[] orthogonalUnit(SplittableRandom rnd, double[]... basis) {
        int d = basis[0].length;
        double[] x = randomUnit(rnd, d);
        if (d <= basis.length) return new double[d];
        for (double[] b : basis) {
            double p = 0;
            for (int j = 0; j < d; j++) p += x[j] * b[j];
            for (int j = 0; j < d; j++) x[j] -= p * b[j];
        }
        normalise(x);
        return x;
    }

    private static void normalise(double[] x) {
        double n = 0;
        for (double v : x) n += v * v;
        n = Math.sqrt(n);
        if (n > 0) for (int j = 0; j < x.length; j++) x[j] /= n;
    }
}
