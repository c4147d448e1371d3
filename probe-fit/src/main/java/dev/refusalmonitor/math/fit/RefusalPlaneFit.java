package dev.refusalmonitor.math.fit;

import dev.refusalmonitor.contract.directions.RefusalPlaneParams;
import dev.refusalmonitor.contract.directions.Sector;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The refusal plane of DESIGN score 6 (seed refusal-plane-rotation-notes.txt).
 *
 * <p><b>Basis.</b> b₁ = the best layer's unit DIM direction. b₂: as the notes say, "fit a PCA on the candidates":
 * the per-layer DIM directions (an L × d matrix) are CENTRED on their mean (PCA centres) and b₂ is their first
 * principal component, Gram–Schmidt-orthogonalised against b₁ and normalised; its sign makes the mean candidate
 * project non-negatively (so b₂ points the way the layers' directions drift). Fallbacks, so the result is never
 * NaN: when the centred candidates have no spread (one layer, identical candidates) or their first component lies
 * in span(b₁) (residual norm &lt; 1e-6), the given fallback direction (e.g. the Fisher direction) is orthogonalised
 * instead; if that is also degenerate, the coordinate axis e_j with the smallest |b₁_j| is.
 *
 * <p><b>Angle.</b> θ(x) = atan2((x − m)·b₂, (x − m)·b₁) in degrees, in (−180, 180], m = the harmless mean.
 *
 * <p><b>Sectors.</b> For the response labels present (1 refused → "refuse", 2 complied → "comply",
 * 3 complied with warning → "comply_with_warning", 4 redirected → "redirect"), the circular mean angle of each
 * label orders the labels around the circle. Between two labels A → B adjacent counter-clockwise, the boundary
 * is placed inside the arc from mean(A) to mean(B) where it classifies the most of that arc's rows correctly
 * (rows of A before it, rows of B after it); among equally good positions the one nearest the arc's middle wins,
 * and the boundary sits halfway between the two rows it separates. Each label owns the contiguous sector from
 * its incoming boundary to its outgoing one. One label owns the whole circle.
 */
public final class RefusalPlaneFit {
    private static final double DEGENERATE = 1e-6;

    private RefusalPlaneFit() {
    }

    /**
     * @param b1 unit first basis vector [d]
     * @param b2 unit second basis vector [d], orthogonal to b1
     * @param b2Source "candidates_pc", "fallback" or "axis": which rule produced b₂
     */
    public record Basis(float[] b1, float[] b2, String b2Source) {
    }

    /**
     * The plane's basis.
     *
     * @param bestDimDirection b₁ before normalisation (the best layer's DIM direction) [d], not modified
     * @param candidates per-layer DIM directions, row-major [nLayers, d], not modified
     * @param fallback a direction to use when the candidates are degenerate (e.g. Fisher), or null; not modified
     */
    public static Basis basis(float[] bestDimDirection, float[] candidates, int nLayers, int d, float[] fallback) {
        Inputs.vector("bestDimDirection", bestDimDirection, d);
        Inputs.matrix("candidates", candidates, nLayers, d, 1);
        if (fallback != null) Inputs.vector("fallback", fallback, d);
        double[] b1 = new double[d];
        for (int j = 0; j < d; j++) b1[j] = bestDimDirection[j];
        double n1 = Math.sqrt(FirstPrincipalComponent.dot(b1, b1));
        if (!(n1 > 0)) throw new IllegalArgumentException("refusal plane: the best layer's DIM direction is zero");
        for (int j = 0; j < d; j++) b1[j] /= n1;

        double[] mean = new double[d];
        for (int i = 0; i < nLayers; i++) for (int j = 0; j < d; j++) mean[j] += candidates[i * d + j];
        for (int j = 0; j < d; j++) mean[j] /= nLayers;
        double[] b2 = null;
        String source = "candidates_pc";
        if (nLayers >= 2) {
            FirstPrincipalComponent.Result pc = FirstPrincipalComponent.compute(candidates, nLayers, d, mean, 11L);
            if (pc.eigenvalue() > 0) {
                double[] v = pc.vector();
                if (FirstPrincipalComponent.dot(mean, v) < 0) for (int j = 0; j < d; j++) v[j] = -v[j];
                b2 = orthogonalised(v, b1);
            }
        }
        if (b2 == null && fallback != null) {
            double[] f = new double[d];
            for (int j = 0; j < d; j++) f[j] = fallback[j];
            double nf = Math.sqrt(FirstPrincipalComponent.dot(f, f));
            if (nf > 0) {
                for (int j = 0; j < d; j++) f[j] /= nf;
                b2 = orthogonalised(f, b1);
                source = "fallback";
            }
        }
        if (b2 == null) {
            if (d < 2) throw new IllegalArgumentException("refusal plane: needs d >= 2, got " + d);
            int axis = 0;
            for (int j = 1; j < d; j++) if (Math.abs(b1[j]) < Math.abs(b1[axis])) axis = j;
            double[] e = new double[d];
            e[axis] = 1;
            b2 = orthogonalised(e, b1);
            source = "axis";
            if (b2 == null) throw new IllegalStateException("refusal plane: no axis orthogonal to b1"); // unreachable for d >= 2
        }
        float[] f1 = new float[d], f2 = new float[d];
        for (int j = 0; j < d; j++) {
            f1[j] = (float) b1[j];
            f2[j] = (float) b2[j];
        }
        return new Basis(f1, f2, source);
    }

    /** v − (v·b)b, normalised; null when the residual is shorter than 1e-6 (v ∈ span(b) to rounding). */
    private static double[] orthogonalised(double[] v, double[] b) {
        double[] r = v.clone();
        for (int pass = 0; pass < 2; pass++) {
            double p = FirstPrincipalComponent.dot(r, b);
            for (int j = 0; j < r.length; j++) r[j] -= p * b[j];
        }
        double n = Math.sqrt(FirstPrincipalComponent.dot(r, r));
        if (!(n > DEGENERATE)) return null;
        for (int j = 0; j < r.length; j++) r[j] /= n;
        return r;
    }

    /** θ(x) = atan2((x − m)·b₂, (x − m)·b₁) in degrees for the row x[off..off+d); all arguments not modified. */
    public static double angleDeg(float[] x, int off, float[] b1, float[] b2, float[] origin) {
        int d = b1.length;
        double p1 = 0, p2 = 0;
        for (int j = 0; j < d; j++) {
            double e = (double) x[off + j] - origin[j];
            p1 += e * b1[j];
            p2 += e * b2[j];
        }
        return Math.toDegrees(Math.atan2(p2, p1));
    }

    /** Sector name of a ResponseLabel number (1..4). */
    public static String sectorName(int responseLabel) {
        return switch (responseLabel) {
            case 1 -> "refuse";
            case 2 -> "comply";
            case 3 -> "comply_with_warning";
            case 4 -> "redirect";
            default -> throw new IllegalArgumentException("unknown response label " + responseLabel
                    + " (expected 1 refused, 2 complied, 3 complied with warning, 4 redirected)");
        };
    }

    /**
     * Learns contiguous sectors from labelled angles (see class Javadoc).
     *
     * @param anglesDeg per row, degrees; not modified
     * @param responseLabels per row, ResponseLabel numbers 1..4; not modified
     * @return sectors in counter-clockwise order, covering the circle
     */
    public static List<Sector> sectors(double[] anglesDeg, int[] responseLabels) {
        if (anglesDeg == null || responseLabels == null || anglesDeg.length != responseLabels.length)
            throw new IllegalArgumentException("need one response label per angle");
        if (anglesDeg.length == 0) throw new IllegalArgumentException("no labelled angles to learn sectors from");
        double[] sx = new double[5], sy = new double[5];
        int[] count = new int[5];
        for (int i = 0; i < anglesDeg.length; i++) {
            sectorName(responseLabels[i]); // validates
            if (!Double.isFinite(anglesDeg[i])) throw new IllegalArgumentException("angle " + i + " is not finite");
            double a = Math.toRadians(anglesDeg[i]);
            sx[responseLabels[i]] += Math.cos(a);
            sy[responseLabels[i]] += Math.sin(a);
            count[responseLabels[i]]++;
        }
        List<Integer> present = new ArrayList<>();
        for (int l = 1; l <= 4; l++) if (count[l] > 0) present.add(l);
        if (present.size() == 1) return List.of(new Sector(sectorName(present.get(0)), -180.0, 180.0));
        double[] meanDeg = new double[5];
        for (int l : present) meanDeg[l] = Math.toDegrees(Math.atan2(sy[l], sx[l]));
        Integer[] order = present.toArray(new Integer[0]);
        Arrays.sort(order, (a, b) -> a.equals(b) ? 0
                : meanDeg[a] != meanDeg[b] ? Double.compare(meanDeg[a], meanDeg[b]) : Integer.compare(a, b));
        int k = order.length;
        double[] boundary = new double[k]; // boundary[i]: between order[i] and order[i+1]
        for (int i = 0; i < k; i++) {
            int a = order[i], b = order[(i + 1) % k];
            double start = meanDeg[a];
            double width = ccw(start, meanDeg[b]);
            if (width == 0) width = 360; // two labels with one mean: the arc is the whole circle
            boundary[i] = normalise(start + bestSplit(anglesDeg, responseLabels, a, b, start, width));
        }
        List<Sector> sectors = new ArrayList<>();
        for (int i = 0; i < k; i++) {
            double from = boundary[Math.floorMod(i - 1, k)], to = boundary[i];
            sectors.add(new Sector(sectorName(order[i]), from, to));
        }
        return List.copyOf(sectors);
    }

    /** Offset (degrees into the arc) of the best boundary between label a (before it) and b (after it). */
    private static double bestSplit(double[] angles, int[] labels, int a, int b, double start, double width) {
        int m = 0;
        double[] off = new double[angles.length];
        int[] lab = new int[angles.length];
        for (int i = 0; i < angles.length; i++) {
            double o = ccw(start, angles[i]);
            if (o < width) {
                off[m] = o;
                lab[m] = labels[i];
                m++;
            }
        }
        Integer[] idx = new Integer[m];
        for (int i = 0; i < m; i++) idx[i] = i;
        Arrays.sort(idx, (p, q) -> Double.compare(off[p], off[q]));
        int bCount = 0;
        for (int i = 0; i < m; i++) if (lab[i] == b) bCount++;
        // split after position s (0..m): rows idx[0..s) go to a, the rest to b.
        int correct = bCount, bestCorrect = -1;
        double bestPos = width / 2, bestDist = Double.POSITIVE_INFINITY;
        for (int s = 0; s <= m; s++) {
            if (s > 0) {
                int l = lab[idx[s - 1]];
                if (l == a) correct++;
                if (l == b) correct--;
            }
            // only split between distinct offsets
            if (s > 0 && s < m && off[idx[s - 1]] == off[idx[s]]) continue;
            double left = s == 0 ? 0 : off[idx[s - 1]];
            double right = s == m ? width : off[idx[s]];
            double pos = 0.5 * (left + right);
            double dist = Math.abs(pos - width / 2);
            if (correct > bestCorrect || (correct == bestCorrect && dist < bestDist)) {
                bestCorrect = correct;
                bestPos = pos;
                bestDist = dist;
            }
        }
        return bestPos;
    }

    /** Counter-clockwise distance from angle a to angle b, in [0, 360). */
    private static double ccw(double a, double b) {
        double d = (b - a) % 360.0;
        if (d < 0) d += 360.0;
        return d >= 360.0 ? 0 : d;
    }

    /** Angle mapped to (−180, 180]. */
    private static double normalise(double deg) {
        double r = deg % 360.0;
        if (r <= -180) r += 360;
        if (r > 180) r -= 360;
        return r;
    }

    /**
     * Fits the whole plane: basis, the harmless mean as origin, and sectors learned from the labelled rows.
     *
     * @param labelled rows with response labels, row-major [nLabelled, d]; not modified
     * @param harmlessMean m [d], not modified (copied)
     */
    public static RefusalPlaneParams fit(int layer, float[] bestDimDirection, float[] candidates, int nLayers,
                                         float[] fallback, float[] harmlessMean, float[] labelled, int nLabelled,
                                         int[] responseLabels, int d) {
        Basis basis = basis(bestDimDirection, candidates, nLayers, d, fallback);
        Inputs.vector("harmlessMean", harmlessMean, d);
        Inputs.matrix("labelled", labelled, nLabelled, d, 1);
        double[] angles = new double[nLabelled];
        for (int i = 0; i < nLabelled; i++) angles[i] = angleDeg(labelled, i * d, basis.b1(), basis.b2(), harmlessMean);
        return new RefusalPlaneParams(layer, basis.b1(), basis.b2(), harmlessMean.clone(),
                sectors(angles, responseLabels));
    }
}
