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

    /** Per-thread work space for {@link #score}. */
    public Scratch newScratch() {
        return newBatchScratch(1);
    }

    /** Per-thread work space for {@link #scoreBatch} of up to {@code capacity} requests. */
    public Scratch newBatchScratch(int capacity) {
        return new Scratch(this, capacity);
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
        scratch.oneIndices[0] = layerIndices;
        scratch.oneValues[0] = layerValues;
        scratch.oneOut[0] = out;
        try {
            scoreBatch(1, scratch.oneIndices, scratch.oneValues, mode, scratch, scratch.oneOut);
        } finally {
            scratch.oneIndices[0] = null;
            scratch.oneValues[0] = null;
            scratch.oneOut[0] = null;
        }
        return out;
    }

    /**
     * Scores requests 0..n) of the arrays, each with the same bits {@link #score} gives it alone: one scorer at a
     * time over all n, so each parameter vector is read from memory once per batch and from cache for the other
     * requests (at d = 4096 a request reads about 0.5 MiB of parameters). Throws as {@link #score} for the first
     * failing request (in scorer order, so not necessarily the first request); out[0..n) is then incomplete, and a
     * caller that needs each request's own outcome scores them one by one.
     */
    public void scoreBatch(int n, int[][] layerIndices, float[][][] layerValues, MahalanobisMode mode, Scratch scratch,
                           Scores[] out) {
        if (n > scratch.capacity) throw new IllegalArgumentException(n + " requests for a scratch of " + scratch.capacity);
        if (scratch.owner != this) throw new IllegalArgumentException("scratch belongs to another scorer");
        try {
            scoreAll(n, layerIndices, layerValues, mode, scratch, out);
        } finally {
            Arrays.fill(scratch.rows, 0, n, null); // holds no request's vectors past the call
        }
    }

    private void scoreAll(int n, int[][] layerIndices, float[][][] layerValues, MahalanobisMode mode, Scratch scratch,
                          Scores[] out) {
        boolean exact = switch (mode) {
            case AUTO -> mahalanobis.hasExact();
            case EXACT -> true;
            case LOW_RANK -> false;
        };
        float[][] x = scratch.rows;
        for (int b = 0; b < n; b++) {
            x[b] = vector(layerIndices[b], layerValues[b], scoringLayer);
            out[b].layer = scoringLayer;
            out[b].directionsVersion = set.version();
        }
        for (int b = 0; b < n; b++) {
            out[b].dim = dim.score(x[b], 0);
            out[b].dimStandardized = dim.standardise(out[b].dim);
        }
        for (int b = 0; b < n; b++) out[b].fisher = fisher.score(x[b], 0);
        for (int b = 0; b < n; b++) out[b].layerProbeProbability = probe.probability(x[b], 0);
        for (int b = 0; b < n; b++) {
            Scores o = out[b];
            if (multiProbe == null) {
                o.probeProbability = o.layerProbeProbability;
                o.flagged = probe.flagged(o.probeProbability);
            } else {
                float[] concat = scratch.concat;
                for (int i = 0; i < multiLayers.length; i++)
                    System.arraycopy(vector(layerIndices[b], layerValues[b], multiLayers[i]), 0, concat, i * d, d);
                o.probeProbability = multiProbe.probability(concat, 0);
                o.flagged = multiProbe.flagged(o.probeProbability);
            }
        }
        MahalanobisScorer.Result[] m = scratch.results;
        mahalanobis.scoreBatch(x, n, exact, scratch.mahalanobis, m);
        for (int b = 0; b < n; b++) {
            out[b].mahalanobisRefusal = m[b].refusal();
            out[b].mahalanobisOod = m[b].ood();
            out[b].oodTailProbability = m[b].oodTailProbability();
            out[b].mahalanobisExact = m[b].exact();
        }
        for (int b = 0; b < n; b++) {
            float[] xc = castLayer == scoringLayer ? x[b] : vector(layerIndices[b], layerValues[b], castLayer);
            out[b].castSimilarity = cast.similarity(xc, 0);
            out[b].castFired = cast.fires(out[b].castSimilarity);
        }
        for (int b = 0; b < n; b++) {
            Scores o = out[b];
            if (plane != null) {
                float[] xp = planeLayer == scoringLayer ? x[b] : vector(layerIndices[b], layerValues[b], planeLayer);
                o.angleDeg = plane.angleDeg(xp, 0, scratch.planeProjections);
                String s = plane.sector(o.angleDeg);
                o.sector = s == null ? "" : s;
            } else {
                o.angleDeg = Double.NaN;
                o.sector = "";
            }
        }
        scoreEnsemble(n, layerIndices, layerValues, mode, scratch, out);
    }

    /** The mean of the ensemble layers' standardised d_S − d_H, each request summing the layers in set order. */
    private void scoreEnsemble(int n, int[][] layerIndices, float[][][] layerValues, MahalanobisMode mode,
                               Scratch scratch, Scores[] out) {
        if (ensemble.length == 0) {
            for (int b = 0; b < n; b++) out[b].mahalanobisEnsemble = Double.NaN;
            return;
        }
        double[] sum = scratch.ensembleSums;
        Arrays.fill(sum, 0, n, 0.0);
        float[][] xe = scratch.rows;
        MahalanobisScorer.Result[] r = scratch.results;
        for (int i = 0; i < ensemble.length; i++) {
            if (ensembleLayers[i] == scoringLayer) {
                for (int b = 0; b < n; b++) sum[b] += ensembleStandardisation[i].apply(out[b].mahalanobisRefusal);
                continue;
            }
            for (int b = 0; b < n; b++) xe[b] = vector(layerIndices[b], layerValues[b], ensembleLayers[i]);
            boolean ex = mode == MahalanobisMode.EXACT || (mode == MahalanobisMode.AUTO && ensemble[i].hasExact());
            ensemble[i].scoreBatch(xe, n, ex, scratch.ensemble[i], r);
            for (int b = 0; b < n; b++) sum[b] += ensembleStandardisation[i].apply(r[b].refusal());
        }
        for (int b = 0; b < n; b++) out[b].mahalanobisEnsemble = sum[b] / ensemble.length;
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

    /** Per-thread work space for up to {@code capacity} requests at a time. Not thread-safe. */
    public static final class Scratch {
        final DirectionSetScorer owner;
        final int capacity;
        final MahalanobisScorer.BatchScratch mahalanobis;
        final MahalanobisScorer.BatchScratch[] ensemble;
        final MahalanobisScorer.Result[] results;
        final float[][] rows;
        final double[] ensembleSums;
        final double[] planeProjections = new double[2];
        final float[] concat;
        final int[][] oneIndices = new int[1][];
        final float[][][] oneValues = new float[1][][];
        final Scores[] oneOut = new Scores[1];

        Scratch(DirectionSetScorer owner, int capacity) {
            if (capacity < 1) throw new IllegalArgumentException("capacity must be ≥ 1, got " + capacity);
            this.owner = owner;
            this.capacity = capacity;
            this.mahalanobis = owner.mahalanobis.newBatchScratch(capacity);
            this.ensemble = new MahalanobisScorer.BatchScratch[owner.ensemble.length];
            for (int i = 0; i < ensemble.length; i++)
                ensemble[i] = owner.ensemble[i].canUse(mahalanobis) ? mahalanobis : owner.ensemble[i].newBatchScratch(capacity);
            this.results = new MahalanobisScorer.Result[capacity];
            for (int b = 0; b < capacity; b++) results[b] = new MahalanobisScorer.Result();
            this.rows = new float[capacity][];
            this.ensembleSums = new double[capacity];
            this.concat = new float[owner.multiProbe == null ? 0 : owner.multiProbe.d()];
        }
    }
}
