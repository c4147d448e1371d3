package dev.refusalmonitor.bench;

import dev.refusalmonitor.math.fit.DirectionFitter;
import dev.refusalmonitor.math.fit.LabelledLayers;
import dev.refusalmonitor.math.fit.MahalanobisFit;
import dev.refusalmonitor.contract.directions.LayerDirections;
import dev.refusalmonitor.math.synthetic.PlantedTruthSpec;
import dev.refusalmonitor.math.synthetic.SyntheticActivations;
import dev.refusalmonitor.contract.directions.DirectionSetModel;
import dev.refusalmonitor.schemas.DirectionSetCodec;
import dev.refusalmonitor.schemas.InvalidDirectionSetException;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Direction sets for the benchmarks: fitted by the product's {@link DirectionFitter} on planted-truth synthetic
 * activations, so every scorer (DIM, Fisher, probe, Mahalanobis, CAST, refusal plane) has real parameters.
 */
public final class FittedSets {
    /** The model id used by every benchmark set and record. */
    public static final String MODEL_ID = "bench-model";
    /**
     * Rank of the benchmark sets' low-rank Mahalanobis: 64 (the earlier default, so the JMH and end-to-end figures
     * stay comparable and lower ranks can be cut from it with {@link #withLowRankK}).
     */
    public static final int FIT_K = 64;

    private FittedSets() {
    }

    /**
     * Fits one-layer-or-more directions at dimension {@code d} from {@code perClass} rows per class.
     *
     * @param exactMaxDim the exact Mahalanobis factor is stored when d ≤ this (DirectionFitter's default is 1024)
     */
    public static DirectionFitter.Result fit(int d, int layers, int perClass, int exactMaxDim, long seed) {
        SyntheticActivations.Sample s = SyntheticActivations.generate(PlantedTruthSpec.of(perClass, perClass, d, layers, seed));
        int[] layerIndices = new int[layers];
        for (int i = 0; i < layers; i++) layerIndices[i] = i;
        LabelledLayers data = new LabelledLayers(layerIndices, s.harmful(), perClass, s.harmless(), perClass, d,
                s.harmfulResponses());
        DirectionFitter.Options o = DirectionFitter.Options.defaults(MODEL_ID);
        o = new DirectionFitter.Options(o.modelId(), o.modelRevision(), o.version(), o.holdoutFraction(), o.seed(),
                o.probe(), FIT_K, exactMaxDim, o.mahalanobisL2Normalize(), o.castStep(), o.ensembleLayers(),
                o.minPerClass(), o.progress());
        return DirectionFitter.fit(data, null, o);
    }

    /** Held-out-like rows from the same planted model (another seed): [n, d] row-major, layer 0. */
    public static float[] rows(int d, int n, long seed) {
        SyntheticActivations.Sample s = SyntheticActivations.generate(PlantedTruthSpec.of(n / 2, n - n / 2, d, 1, seed));
        float[] out = new float[n * d];
        System.arraycopy(s.harmful()[0], 0, out, 0, (n / 2) * d);
        System.arraycopy(s.harmless()[0], 0, out, (n / 2) * d, (n - n / 2) * d);
        return out;
    }

    /** Held-out-like rows of {@code layers} layers from the same planted model (another seed): [layer][n * d]. */
    public static float[][] rows(int d, int layers, int n, long seed) {
        SyntheticActivations.Sample s = SyntheticActivations.generate(PlantedTruthSpec.of(n / 2, n - n / 2, d, layers, seed));
        float[][] out = new float[layers][n * d];
        for (int l = 0; l < layers; l++) {
            System.arraycopy(s.harmful()[l], 0, out[l], 0, (n / 2) * d);
            System.arraycopy(s.harmless()[l], 0, out[l], (n / 2) * d, (n - n / 2) * d);
        }
        return out;
    }

    /**
     * {@link #fit} for one layer, cached as a sealed envelope under {@code java.io.tmpdir}/refusal-bench-sets so that
     * each JMH fork does not refit (the fit at d = 4096 takes tens of seconds).
     */
    public static DirectionSetModel cachedOneLayer(int d, int perClass, int exactMaxDim) {
        return cached(d, 1, perClass, exactMaxDim);
    }

    /** {@link #fit} for {@code layers} layers (0..layers-1), cached like {@link #cachedOneLayer}. */
    public static DirectionSetModel cached(int d, int layers, int perClass, int exactMaxDim) {
        Path file = Path.of(System.getProperty("java.io.tmpdir"), "refusal-bench-sets",
                "set-d" + d + (layers == 1 ? "" : "-l" + layers) + "-n" + perClass + "-x" + exactMaxDim + ".pb");
        try {
            if (Files.exists(file)) return DirectionSetCodec.open(Files.readAllBytes(file));
            DirectionSetModel set = fit(d, layers, perClass, exactMaxDim, 11).set();
            Files.createDirectories(file.getParent());
            Path tmp = Files.createTempFile(file.getParent(), "set", ".tmp");
            Files.write(tmp, DirectionSetCodec.seal(set));
            Files.move(tmp, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            return set;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot cache the benchmark direction set at " + file, e);
        } catch (InvalidDirectionSetException e) {
            throw new IllegalStateException("the benchmark direction set is invalid: " + e.getMessage(), e);
        }
    }

    /**
     * The set with every layer's low-rank Mahalanobis cut to its first k eigenpairs ({@link MahalanobisFit#truncate}):
     * the set a fit with lowRankK = k would give on the same data, apart from the OOD calibration and the ensemble's
     * standardisation (both fitted at the original k; they change values, not the work per record).
     */
    public static DirectionSetModel withLowRankK(DirectionSetModel set, int k) {
        if (k == set.layer(set.scoringLayer()).mahalanobis().k()) return set;
        java.util.List<LayerDirections> layers = new java.util.ArrayList<>();
        for (LayerDirections l : set.layers())
            layers.add(new LayerDirections(l.layer(), l.meanHarmful(), l.meanHarmless(), l.dimDirection(),
                    l.dimProjection(), l.fisherDirection(), l.fisherProjection(), l.probe(),
                    MahalanobisFit.truncate(l.mahalanobis(), set.d(), k), l.cast(), l.pcaReadingVector(),
                    l.mahalanobisRefusalProjection()));
        return new DirectionSetModel(set.modelId(), set.modelRevision(), set.version(), set.createdAtUnixMs(), set.d(),
                set.scoringLayer(), set.castLayer(), layers, set.refusalPlane(), set.ensembleLayers(),
                set.harmfulCount(), set.harmlessCount(), set.reportJson(), set.multiLayerProbe(), set.targetFpr());
    }
}
