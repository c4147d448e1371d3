package dev.refusalmonitor.math.score;

import dev.refusalmonitor.contract.directions.DirectionSetModel;
import dev.refusalmonitor.contract.directions.LayerDirections;
import dev.refusalmonitor.contract.directions.MultiLayerProbe;
import dev.refusalmonitor.contract.directions.Standardisation;

import java.util.Arrays;
import java.util.TreeSet;

/**
 * Scores one request with every scorer of a {@link DirectionSetModel}: the code path shared by the stream and the
 * offline {@code score} command. Immutable and thread-safe; each thread passes its own {@link Scratch} and
 * {@link Scores}, so a record allocates nothing.
 *
 * <p>Per-layer scores (DIM, Fisher, probe, Mahalanobis) are at the set's scoring layer; CAST at its CAST layer; the
 * angle at the refusal plane's layer; the ensemble is the mean over its layers of the standardised d_S − d_H.
 * When the set carries a {@link MultiLayerProbe}, it is the headline: its probability is {@code probeProbability}
 * and its threshold decides {@code flagged}; {@code layerProbeProbability} is always the scoring layer's probe.
 */
public final class DirectionSetScorer {

    /** Which Mahalanobis form to use. */
    public enum MahalanobisMode {
        /** Exact when the set stores the exact factor, otherwise low-rank. */
        AUTO,
        /** Exact; a set without the exact factor is an error. */
        EXACT,
        /** Always the low-rank path. */
        LOW_RANK
    }

    private final DirectionSetModel set;
    private final int d;
    private final int scoringLayer;
    private final ProjectionScorer dim;
    private final ProjectionScorer fisher;
    private final ProbeScorer probe;
    private final int[] multiLayers;
    private final ProbeScorer multiProbe;
    private final MahalanobisScorer mahalanobis;
    private final int castLayer;
    private final CastScorer cast;
    private final int planeLayer;
    private final RefusalPlaneScorer plane;
    private final int[] ensembleLayers;
    private final MahalanobisScorer[] ensemble;
    private final Standardisation[] ensembleStandardisation;
    private final int[] requiredLayers;

    public DirectionSetScorer(DirectionSetModel set) {
        this.set = set;
        this.d = set.d();
        this.scoringLayer = set.scoringLayer();
        LayerDirections main = require(set, scoringLayer, "scoring");
        this.dim = new ProjectionScorer("DIM", main.dimDirection(), main.dimProjection());
        this.fisher = new ProjectionScorer("Fisher", main.fisherDirection(), main.fisherProjection());
        this.probe = new ProbeScorer(main.probe());
        MultiLayerProbe mp = set.multiLayerProbe();
        if (mp != null) {
            this.multiLayers = mp.layers().clone();
            for (int l : multiLayers) require(set, l, "multi-layer probe");
            this.multiProbe = new ProbeScorer(mp.probe());
            if (multiProbe.d() != multiLayers.length * d)
                throw new IllegalArgumentException("multi-layer probe has " + multiProbe.d() + " coefficients for "
                        + multiLayers.length + " layers of d = " + d);
        } else {
            this.multiLayers = new int[0];
            this.multiProbe = null;
        }
        this.mahalanobis = new MahalanobisScorer(main.meanHarmful(), main.meanHarmless(), main.mahalanobis());
        this.castLayer = set.castLayer();
        this.cast = new CastScorer(require(set, castLayer, "CAST").cast());
        if (set.refusalPlane() != null) {
            this.planeLayer = set.refusalPlane().layer();
            require(set, planeLayer, "refusal plane");
            this.plane = new RefusalPlaneScorer(set.refusalPlane());
        } else {
            this.planeLayer = -1;
            this.plane = null;
        }
        this.ensembleLayers = set.ensembleLayers() == null ? new int[0] : set.ensembleLayers().clone();
        this.ensemble = new MahalanobisScorer[ensembleLayers.length];
        this.ensembleStandardisation = new Standardisation[ensembleLayers.length];
        for (int i = 0; i < ensembleLayers.length; i++) {
            LayerDirections l = require(set, ensembleLayers[i], "ensemble");
            ensemble[i] = ensembleLayers[i] == scoringLayer ? mahalanobis
                    : new MahalanobisScorer(l.meanHarmful(), l.meanHarmless(), l.mahalanobis());
            ensembleStandardisation[i] = l.mahalanobisRefusalProjection();
        }
        TreeSet<Integer> needed = new TreeSet<>();
        needed.add(scoringLayer);
        needed.add(castLayer);
        if (plane != null) needed.add(planeLayer);
        for (int l : ensembleLayers) needed.add(l);
        for (int l : multiLayers) needed.add(l);
        this.requiredLayers = needed.stream().mapToInt(Integer::intValue).toArray();
    }

    private static LayerDirections require(DirectionSetModel set, int layer, String role) {
        LayerDirections l = set.layer(layer);
        if (l == null) throw new IllegalArgumentException("direction set has no layer " + layer + " for its " + role + " layer");
        return l;
    }

    public DirectionSetModel set() {
        return set;
    }

    public long version() {
        return set.version();
    }

    /** The layers a request must carry to be scored, ascending. */
    public int[] requiredLayers() {
        return requiredLayers.clone();
    }

    /** Whether the set carries the exact Mahalanobis factor. */
    public boolean hasExact() {
        return mahalanobis.hasExact();
    }

    /** Per-thread work space. */
    public Scratch newScratch() {
        return new Scratch(mahalanobis.newScratch(), multiProbe == null ? 0 : multiProbe.d());
    }

    /**
     * Scores one request. Nothing is modified but {@code scratch} and {@code out}.
     *
     * @param layerIndices the request's layer indices
     * @param layerValues the request's vectors, parallel to {@code layerIndices}
     * @return out
     * @throws ScoringInputException when a needed layer is absent or not of length d
     * @throws IllegalStateException when EXACT is requested and the set has no exact factor
     */
    public Scores score(int[] layerIndices, float[][] layerValues, MahalanobisMode mode, Scratch scratch, Scores out) {
        boolean exact = switch (mode) {
            case AUTO -> mahalanobis.hasExact();
            case EXACT -> true;
            case LOW_RANK -> false;
        };
        float[] x = vector(layerIndices, layerValues, scoringLayer);
        out.layer = scoringLayer;
        out.directionsVersion = set.version();
        out.dim = dim.score(x, 0);
        out.dimStandardized = dim.standardised(x, 0);
        out.fisher = fisher.score(x, 0);
        out.layerProbeProbability = probe.probability(x, 0);
        if (multiProbe == null) {
            out.probeProbability = out.layerProbeProbability;
            out.flagged = probe.flagged(out.probeProbability);
        } else {
            float[] concat = scratch.concat;
            for (int i = 0; i < multiLayers.length; i++)
                System.arraycopy(vector(layerIndices, layerValues, multiLayers[i]), 0, concat, i * d, d);
            out.probeProbability = multiProbe.probability(concat, 0);
            out.flagged = multiProbe.flagged(out.probeProbability);
        }
        MahalanobisScorer.Result m = mahalanobis.score(x, 0, exact, scratch.mahalanobis, scratch.result);
        out.mahalanobisRefusal = m.refusal();
        out.mahalanobisOod = m.ood();
        out.oodTailProbability = m.oodTailProbability();
        out.mahalanobisExact = m.exact();
        double refusalAtScoringLayer = m.refusal();

        float[] xc = castLayer == scoringLayer ? x : vector(layerIndices, layerValues, castLayer);
        out.castSimilarity = cast.similarity(xc, 0);
        out.castFired = cast.fires(out.castSimilarity);

        if (plane != null) {
            float[] xp = planeLayer == scoringLayer ? x : vector(layerIndices, layerValues, planeLayer);
            out.angleDeg = plane.angleDeg(xp, 0, scratch.planeProjections);
            String s = plane.sector(out.angleDeg);
            out.sector = s == null ? "" : s;
        } else {
            out.angleDeg = Double.NaN;
            out.sector = "";
        }

        if (ensemble.length == 0) {
            out.mahalanobisEnsemble = Double.NaN;
        } else {
            double sum = 0;
            for (int i = 0; i < ensemble.length; i++) {
                double r;
                if (ensembleLayers[i] == scoringLayer) {
                    r = refusalAtScoringLayer;
                } else {
                    float[] xe = vector(layerIndices, layerValues, ensembleLayers[i]);
                    boolean ex = mode == MahalanobisMode.EXACT || (mode == MahalanobisMode.AUTO && ensemble[i].hasExact());
                    r = ensemble[i].score(xe, 0, ex, scratch.mahalanobis, scratch.result).refusal();
                }
                sum += ensembleStandardisation[i].apply(r);
            }
            out.mahalanobisEnsemble = sum / ensemble.length;
        }
        return out;
    }

    private float[] vector(int[] layerIndices, float[][] layerValues, int layer) {
        for (int i = 0; i < layerIndices.length; i++) {
            if (layerIndices[i] == layer) {
                float[] v = layerValues[i];
                if (v.length != d)
                    throw new ScoringInputException(ScoringInputException.Kind.DIMENSION_MISMATCH,
                            "layer " + layer + " has dim " + v.length + " but direction set v" + set.version()
                                    + " for model " + set.modelId() + " has d = " + d);
                return v;
            }
        }
        throw new ScoringInputException(ScoringInputException.Kind.MISSING_LAYER,
                "layer " + layer + " is needed by direction set v" + set.version() + " for model " + set.modelId()
                        + " but the request has layers " + Arrays.toString(layerIndices));
    }

    /** Per-thread scratch space. Not thread-safe. */
    public static final class Scratch {
        final MahalanobisScorer.Scratch mahalanobis;
        final MahalanobisScorer.Result result = new MahalanobisScorer.Result();
        final double[] planeProjections = new double[2];
        final float[] concat;

        Scratch(MahalanobisScorer.Scratch mahalanobis, int concatLength) {
            this.mahalanobis = mahalanobis;
            this.concat = new float[concatLength];
        }
    }
}
