package dev.refusalmonitor.monitor.testing;

import dev.refusalmonitor.contract.directions.DirectionSetModel;
import dev.refusalmonitor.math.fit.DirectionFitter;
import dev.refusalmonitor.math.fit.LabelledLayers;
import dev.refusalmonitor.math.score.DirectionSetScorer;
import dev.refusalmonitor.math.score.Scores;
import dev.refusalmonitor.math.synthetic.PlantedTruthSpec;
import dev.refusalmonitor.math.synthetic.SyntheticActivations;
import dev.refusalmonitor.schemas.DirectionSetCodec;
import dev.refusalmonitor.schemas.HiddenStateBuilder;
import dev.refusalmonitor.schemas.InvalidDirectionSetException;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Small direction sets and hidden-state records for the monitor's integration tests: d = {@value #D}, layers
 * {@link #LAYERS}, fitted on planted-truth synthetic activations. Fits are cached per (model, version, seed) so
 * several tests share them.
 */
public final class ScoringFixtures {
    /** Hidden size of every fixture. */
    public static final int D = 32;
    /** Hugging Face layer indices of every fixture (not 0-based on purpose, so layer mapping is exercised). */
    private static final int[] LAYERS = {3, 5};
    private static final Map<String, DirectionSetModel> FITS = new ConcurrentHashMap<>();

    private ScoringFixtures() {
    }

    public static int[] layers() {
        return LAYERS.clone();
    }

    /**
     * A direction set for {@code modelId} at {@code version}, fitted on synthetic data drawn with {@code dataSeed},
     * as the monitor sees it after sealing and opening (so offline scoring uses exactly the floats the stream uses).
     */
    public static DirectionSetModel directions(String modelId, long version, long dataSeed) {
        return FITS.computeIfAbsent(modelId + "/" + version + "/" + dataSeed, k -> {
            PlantedTruthSpec spec = PlantedTruthSpec.of(120, 120, D, LAYERS.length, dataSeed);
            SyntheticActivations.Sample s = SyntheticActivations.generate(spec);
            LabelledLayers data = new LabelledLayers(LAYERS, s.harmful(), spec.nHarmful(), s.harmless(),
                    spec.nHarmless(), D, s.harmfulResponses());
            DirectionFitter.Options o = DirectionFitter.Options.defaults(modelId);
            o = new DirectionFitter.Options(o.modelId(), "rev-1", version, o.holdoutFraction(), o.seed(), o.probe(),
                    o.lowRankK(), o.exactMaxDim(), o.mahalanobisL2Normalize(), o.castStep(), o.ensembleLayers(),
                    o.minPerClass(), null);
            return open(seal(DirectionFitter.fit(data, null, o).set()));
        });
    }

    /** The sealed envelope bytes, signed by {@link TestKeys} (the value on the directions topic, keyed by the model id). */
    public static byte[] seal(DirectionSetModel set) {
        try {
            return DirectionSetCodec.seal(set, TestKeys.signer());
        } catch (InvalidDirectionSetException e) {
            throw new AssertionError("fixture direction set does not seal: " + e.getMessage(), e);
        }
    }

    public static DirectionSetModel open(byte[] sealed) {
        try {
            return DirectionSetCodec.open(sealed);
        } catch (InvalidDirectionSetException e) {
            throw new AssertionError("fixture direction set does not open: " + e.getMessage(), e);
        }
    }

    /**
     * {@code n} requests of synthetic activations (half harmful, half harmless, interleaved), each as
     * [layer][d] in {@link #layers()} order.
     */
    public static float[][][] requests(int n, long seed) {
        int nh = n / 2;
        SyntheticActivations.Sample s = SyntheticActivations.generate(PlantedTruthSpec.of(nh, n - nh, D, LAYERS.length, seed));
        float[][][] out = new float[n][LAYERS.length][D];
        int hi = 0, si = 0;
        for (int r = 0; r < n; r++) {
            boolean harmful = r % 2 == 0 && hi < nh || si == n - nh;
            int row = harmful ? hi++ : si++;
            for (int l = 0; l < LAYERS.length; l++) {
                float[] src = harmful ? s.harmful()[l] : s.harmless()[l];
                System.arraycopy(src, row * D, out[r][l], 0, D);
            }
        }
        return out;
    }

    /** A valid wire-format HiddenState for {@code modelId} carrying {@code rows} ([layer][d], {@link #layers()} order). */
    public static byte[] hiddenState(String requestId, String modelId, float[][] rows) {
        HiddenStateBuilder b = HiddenStateBuilder.create(requestId, modelId)
                .modelRevision("rev-1").tenant("tenant-a").route("/v1/chat").eventTimeUnixMs(1_700_000_000_000L);
        for (int l = 0; l < LAYERS.length; l++) b.layer(LAYERS[l], rows[l]);
        return b.toByteArray();
    }

    /** The offline result: {@link DirectionSetScorer} on the same floats, with the stream's AUTO Mahalanobis mode. */
    public static Scores scoreOffline(DirectionSetModel set, float[][] rows) {
        DirectionSetScorer scorer = new DirectionSetScorer(set);
        return scorer.score(LAYERS, rows, DirectionSetScorer.MahalanobisMode.AUTO, scorer.newScratch(), new Scores());
    }
}
