package dev.refusalmonitor.math.fit;

import dev.refusalmonitor.math.FloatKernels;
import dev.refusalmonitor.math.synthetic.PlantedTruthSpec;
import dev.refusalmonitor.math.synthetic.SyntheticActivations;
import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

import java.lang.reflect.Array;
import java.lang.reflect.RecordComponent;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Pins the fit's output bit for bit: the published set, the report and the held-out rows of fixed-seed fits, as a
 * SHA-256 of a canonical dump of the records (doubles and floats by their exact decimal form). The wall-clock fields
 * (createdAtUnixMs, fitSeconds) are left out. A changed digest means the fit computes something else; if that is
 * intended, diff target/golden/NAME.txt (the dumped text) before and after to see what moved.
 *
 * <p>The probe's SIMD dot products sum in lane order, so the last bits depend on the vector width: the digests are
 * kept per lane count (1 = scalar, {@code -Drefusalmonitor.simd.disable=true}; 4, 8, 16 from
 * {@code -XX:MaxVectorSize=16/32/64}), and a width without digests skips. d is small enough that no step uses the
 * native eigensolver.
 */
class DirectionFitterGoldenTest {
    private static final int D = 12;
    private static final int[] LAYERS = {2, 5, 7, 9};
    private static final List<String> CLOCK = List.of("createdAtUnixMs", "fitSeconds");

    private static final Map<Integer, Map<String, String>> DIGESTS = Map.of(
            16, Map.of(
                    "split", "118604602c213388a205550b89eedd3df33ff478c81a67456fafd4217ab5b426",
                    "holdoutConcat", "ff18fc31638da4fe01175dbe6737079219b1a7ae02a9376f1f9692f3845b86f4",
                    "stacked", "3d181e24eb1f60262e5a6c2d4f18e26227649cbcce8c179051015a2dc163cee1",
                    "single", "463741989fd9371cf2409d508aa477c6e01f6a165fd3bdf59c97cdb10c02d0b0"),
            8, Map.of(
                    "split", "01614fb675fcabb215005221c6cc7e54a643ad5663c412a895b2e92ecdf5bb3c",
                    "holdoutConcat", "8ba8fd50520d1209b28df8dbc43f0b1f5f963fab00422cbbd59932c65843fabd",
                    "stacked", "140d855c91fe5cec75e907dc58e118f80748ae12f7174c8ba1602f769e66cb6a",
                    "single", "0c69037bc51c89b985d87c02ad4380b42312066973c3b35b8bd5df9d125454dc"),
            4, Map.of(
                    "split", "edd63779bca1653ba866bb1d320589bc9e63fcaa04c199d2e2e4a81ea35629a7",
                    "holdoutConcat", "19e68c481506714043a1f1a8b289964aca4aeebb50f2a303bd3a35335a4a7a17",
                    "stacked", "58bb5635288cce17d3b787d7e42b513e40f0076bbee7c3344c413db884b61641",
                    "single", "86a038a3df22de9d2fa8b57872c4447b6a8156ef891b8fdb0e4f217b3cd1ff88"),
            1, Map.of(
                    "split", "f747817478a5b42ddc00b3f9752a2bbf608b50c3f1f3fd3e4428797e9057ec93",
                    "holdoutConcat", "637316cbbd3dd8ae3a8caaccdd4053601404c742d7d5a8c86346000a63c9b686",
                    "stacked", "c847fbb3314d8ad52961d3dd8fce22904e33bc6867500286002b91c14d4ec203",
                    "single", "71822cf3ecc4ef65675738835c33c7971d32fe6c1bdb26dea1dc43c05c2c3730"));

    private static int lanes() {
        return FloatKernels.SIMD ? FloatVector.SPECIES_PREFERRED.length() : 1;
    }

    private static LabelledLayers[] data(int nh, int ns, int heldH, int heldS, long seed, boolean responses) {
        SyntheticActivations.Sample s = SyntheticActivations.generate(
                PlantedTruthSpec.of(nh + heldH, ns + heldS, D, LAYERS.length, seed).withSeparation(0.9));
        LabelledLayers all = new LabelledLayers(LAYERS, s.harmful(), nh + heldH, s.harmless(), ns + heldS, D,
                responses ? s.harmfulResponses() : null);
        return new LabelledLayers[]{all.rows(Rows.range(0, nh), Rows.range(0, ns)),
                all.rows(Rows.range(nh, nh + heldH), Rows.range(ns, ns + heldS))};
    }

    private static DirectionFitter.Options options(DirectionFitter.MultiLayer multi, boolean l2, int exactMaxDim,
                                                   int[] ensemble, double confidence, List<String> progress) {
        DirectionFitter.Options o = DirectionFitter.Options.defaults("golden");
        return new DirectionFitter.Options(o.modelId(), "rev", 3, 0.3, 11, o.probe(), 4, exactMaxDim, l2,
                o.castStep(), ensemble, o.minPerClass(), msg -> progress.add(msg.substring(msg.indexOf(']') + 2)),
                0.05, confidence, 4, multi, 3);
    }

    private static String digest(String name, LabelledLayers fit, LabelledLayers holdout, DirectionFitter.Options o,
                                 List<String> progress) throws Exception {
        DirectionFitter.Result r = DirectionFitter.fit(fit, holdout, o);
        StringBuilder sb = new StringBuilder();
        dump(r.set(), sb);
        sb.append('\n');
        dump(r.report(), sb);
        sb.append('\n');
        dump(r.heldOut(), sb);
        sb.append('\n').append(progress);
        Path out = Path.of("target", "golden", name + ".txt");
        Files.createDirectories(out.getParent());
        Files.writeString(out, sb);
        byte[] h = MessageDigest.getInstance("SHA-256").digest(sb.toString().getBytes(StandardCharsets.UTF_8));
        return HexFormat.of().formatHex(h);
    }

    /** A canonical text form of records, arrays, lists and scalars (record components in declaration order). */
    static void dump(Object v, StringBuilder sb) {
        if (v == null) {
            sb.append("null");
        } else if (v.getClass().isRecord()) {
            sb.append(v.getClass().getSimpleName()).append('{');
            for (RecordComponent c : v.getClass().getRecordComponents()) {
                if (CLOCK.contains(c.getName())) continue;
                sb.append(c.getName()).append('=');
                try {
                    dump(c.getAccessor().invoke(v), sb);
                } catch (ReflectiveOperationException e) {
                    throw new IllegalStateException(e);
                }
                sb.append(';');
            }
            sb.append('}');
        } else if (v.getClass().isArray()) {
            sb.append('[');
            for (int i = 0; i < Array.getLength(v); i++) {
                dump(Array.get(v, i), sb);
                sb.append(',');
            }
            sb.append(']');
        } else if (v instanceof List<?> l) {
            dump(l.toArray(), sb);
        } else if (v instanceof Map<?, ?>) {
            throw new IllegalStateException("maps have no canonical order here");
        } else {
            sb.append(v);
        }
    }

    private static void check(String name, LabelledLayers fit, LabelledLayers holdout,
                              DirectionFitter.MultiLayer multi, boolean l2, int exactMaxDim, int[] ensemble,
                              double confidence) throws Exception {
        Map<String, String> digests = DIGESTS.get(lanes());
        assumeTrue(digests != null, "no digests recorded for " + lanes() + " SIMD lanes");
        List<String> progress = new ArrayList<>();
        assertEquals(digests.get(name), digest(name, fit, holdout, options(multi, l2, exactMaxDim, ensemble, confidence, progress),
                progress));
    }

    @Test
    void splitFitWithAutomaticMultiLayerChoice() throws Exception {
        LabelledLayers[] d = data(50, 70, 0, 0, 31, true);
        check("split", d[0], null, DirectionFitter.MultiLayer.AUTO, true, 4096, null, 0);
    }

    @Test
    void holdoutFilesWithConcatenatedProbeLowRankOnly() throws Exception {
        LabelledLayers[] d = data(40, 60, 20, 30, 32, false);
        check("holdoutConcat", d[0], d[1], DirectionFitter.MultiLayer.CONCAT, false, 4, new int[]{5, 9}, 0.9);
    }

    @Test
    void stackedProbeWithoutEnsemble() throws Exception {
        LabelledLayers[] d = data(45, 55, 15, 25, 33, true);
        check("stacked", d[0], d[1], DirectionFitter.MultiLayer.STACKED, true, 4096, new int[0], 0);
    }

    @Test
    void singleLayerProbeOnly() throws Exception {
        LabelledLayers[] d = data(30, 80, 0, 0, 34, false);
        check("single", d[0], null, DirectionFitter.MultiLayer.OFF, true, 4096, new int[]{2}, 0.5);
    }
}
