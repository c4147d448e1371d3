package dev.refusalmonitor.trainer.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.refusalmonitor.activations.ActivationSet;
import dev.refusalmonitor.activations.ActivationSetWriter;
import dev.refusalmonitor.activations.NpyDType;
import dev.refusalmonitor.activations.SafetensorsDType;
import dev.refusalmonitor.contract.directions.DirectionSetModel;
import dev.refusalmonitor.contract.directions.LayerDirections;
import dev.refusalmonitor.schemas.DirectionSetCodec;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import static dev.refusalmonitor.trainer.cli.CliHarness.ok;
import static dev.refusalmonitor.trainer.cli.CliHarness.probeTrainer;
import static dev.refusalmonitor.trainer.cli.CliHarness.usage;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code probe-trainer generate} then {@code fit} through the real command line, on every input form DESIGN names. */
class FitCommandTest {
    static final int N_HARMFUL = 150;
    static final int N_HARMLESS = 250;
    static final int D = 64;
    static final int LAYERS = 3;

    @TempDir
    static Path dir;
    static Path harmful;
    static Path harmless;
    /** The f32 .npy fit: the reference the other input forms must reproduce. */
    static Path reference;

    @BeforeAll
    static void generateAndFit() throws Exception {
        CliHarness.generate(dir.resolve("g"), N_HARMFUL, N_HARMLESS, D, LAYERS, 11);
        harmful = dir.resolve("g/harmful.npy");
        harmless = dir.resolve("g/harmless.npy");
        reference = dir.resolve("ref");
        ok(probeTrainer("fit", "--harmful", harmful, "--harmless", harmless, "--out", reference, "--quiet"));
        // Files as numpy itself writes them.
        CliHarness.numpy(dir, """
                for cls in ("harmful", "harmless"):
                    a = np.load(p("g/" + cls + ".npy"))
                    np.save(p(cls + "_f16.npy"), a.astype(np.float16))
                    np.save(p(cls + "_f64.npy"), a.astype(np.float64))
                """);
    }

    private static DirectionSetModel set(Path out) throws Exception {
        return DirectionSetCodec.open(Files.readAllBytes(out.resolve("directions.pb")));
    }

    private static JsonNode report(Path out) throws Exception {
        return new ObjectMapper().readTree(out.resolve("report.json").toFile());
    }

    /** Every published vector of two sets is the same, bit for bit (same rows in, same seed). */
    private static void assertSameDirections(DirectionSetModel expected, DirectionSetModel actual) {
        assertEquals(expected.scoringLayer(), actual.scoringLayer());
        assertEquals(expected.castLayer(), actual.castLayer());
        assertEquals(expected.layers().size(), actual.layers().size());
        for (int i = 0; i < expected.layers().size(); i++) {
            LayerDirections e = expected.layers().get(i);
            LayerDirections a = actual.layers().get(i);
            assertEquals(e.layer(), a.layer());
            assertArrayEquals(e.dimDirection(), a.dimDirection(), "DIM direction, layer " + e.layer());
            assertArrayEquals(e.fisherDirection(), a.fisherDirection(), "Fisher direction, layer " + e.layer());
            assertArrayEquals(e.probe().coefficients(), a.probe().coefficients(), "probe weights, layer " + e.layer());
            assertArrayEquals(e.cast().conditionVector(), a.cast().conditionVector(), "CAST vector, layer " + e.layer());
        }
    }

    @Test
    void writesDirectionsAndAFullReport() throws Exception {
        DirectionSetModel set = set(reference);
        JsonNode report = report(reference);
        assertEquals(D, set.d());
        assertEquals(N_HARMFUL, set.harmfulCount());
        assertEquals(N_HARMLESS, set.harmlessCount());
        assertEquals(List.of(0, 1, 2), set.layers().stream().map(LayerDirections::layer).toList());
        // The set carries the report it was published with.
        assertEquals(Files.readString(reference.resolve("report.json")).strip(), set.reportJson().strip());

        assertEquals(N_HARMFUL, report.get("harmfulCount").asLong());
        assertEquals(N_HARMLESS, report.get("harmlessCount").asLong());
        assertEquals(D, report.get("dim").asInt());
        assertTrue(report.get("evaluation").asText().startsWith("holdout-split"), report.get("evaluation").asText());
        assertEquals("exact+low_rank", report.get("mahalanobisPath").asText());
        JsonNode layers = report.get("layers");
        assertEquals(LAYERS, layers.size());
        for (JsonNode l : layers) {
            String at = "layer " + l.get("layer").asInt() + ": ";
            assertEquals(N_HARMFUL, l.get("trainHarmful").asInt() + l.get("holdoutHarmful").asInt(), at + "harmful rows");
            assertEquals(N_HARMLESS, l.get("trainHarmless").asInt() + l.get("holdoutHarmless").asInt(), at + "harmless rows");
            assertTrue(l.get("holdoutHarmful").asInt() >= 2 && l.get("holdoutHarmless").asInt() >= 2, at + "held-out rows");
            for (String auc : List.of("dimAuc", "fisherAuc", "probeAuc", "mahalanobisAuc", "castF1")) {
                double v = l.get(auc).asDouble(Double.NaN);
                assertTrue(v >= 0 && v <= 1, at + auc + " = " + v);
            }
            assertTrue(Double.isFinite(l.get("selectivity").asDouble(Double.NaN)), at + "selectivity");
            double shrinkage = l.get("ledoitWolfShrinkage").asDouble(Double.NaN);
            assertTrue(shrinkage >= 0 && shrinkage <= 1, at + "shrinkage " + shrinkage);
            assertTrue(l.get("conditionNumber").asDouble(Double.NaN) >= 1, at + "condition number");
            assertTrue(Double.isFinite(l.get("castThreshold").asDouble(Double.NaN)), at + "CAST threshold");
            assertTrue(Set.of("greater", "less").contains(l.get("castComparator").asText()), at + "CAST comparator");
        }
        int scoring = report.get("scoringLayer").asInt();
        assertEquals(set.scoringLayer(), scoring);
        assertEquals(set.castLayer(), report.get("castLayer").asInt());
        // Planted data separates well: the chosen layer's held-out probe AUC is high.
        assertTrue(layers.get(scoring).get("probeAuc").asDouble() > 0.95, layers.get(scoring).toString());
        JsonNode sectors = report.get("sectors");
        assertTrue(sectors.size() >= 2, sectors.toString());
        for (JsonNode s : sectors) {
            assertTrue(!s.get("name").asText().isEmpty(), s.toString());
            assertTrue(s.get("startDeg").isNumber() && s.get("endDeg").isNumber(), s.toString());
        }
    }

    @Test
    void fitsASingleLayerArray() throws Exception {
        Path h = dir.resolve("h_layer2.npy");
        Path s = dir.resolve("s_layer2.npy");
        CliHarness.writeLayer(h, ActivationSet.load(harmful), 2);
        CliHarness.writeLayer(s, ActivationSet.load(harmless), 2);
        Path out = dir.resolve("single");
        ok(probeTrainer("fit", "--harmful", h, "--harmless", s, "--out", out, "--quiet"));
        // An [n, d] array is layer 0 unless --axis-layers names it.
        assertEquals(List.of(0), set(out).layers().stream().map(LayerDirections::layer).toList());
        assertEquals(1, report(out).get("layers").size());

        Path named = dir.resolve("single-named");
        ok(probeTrainer("fit", "--harmful", h, "--harmless", s, "--axis-layers", "2", "--out", named, "--quiet"));
        DirectionSetModel m = set(named);
        assertEquals(2, m.scoringLayer());
        // Same rows as layer 2 of the full fit: the same direction (the evaluation split is per class, so equal too).
        assertArrayEquals(set(reference).layer(2).dimDirection(), m.layer(2).dimDirection());
    }

    @Test
    void fitsALayerSubset() throws Exception {
        Path out = dir.resolve("subset");
        CliHarness.Run r = ok(probeTrainer("fit", "--harmful", harmful, "--harmless", harmless, "--layers", "1,2",
                "--out", out));
        assertTrue(r.out().contains("wrote"), r::toString);
        assertTrue(r.err().contains("fit: "), "progress lines without --quiet:\n" + r);
        DirectionSetModel m = set(out);
        assertEquals(List.of(1, 2), m.layers().stream().map(LayerDirections::layer).toList());
        List<Integer> reported = new ArrayList<>();
        report(out).get("layers").forEach(l -> reported.add(l.get("layer").asInt()));
        assertEquals(List.of(1, 2), reported);
        assertArrayEquals(set(reference).layer(2).dimDirection(), m.layer(2).dimDirection());
    }

    @Test
    void usesHoldoutFilesForTheReport() throws Exception {
        ActivationSet h = ActivationSet.load(harmful);
        ActivationSet s = ActivationSet.load(harmless);
        Path trainH = dir.resolve("train_h.npy");
        Path trainS = dir.resolve("train_s.npy");
        Path testH = dir.resolve("test_h.npy");
        Path testS = dir.resolve("test_s.npy");
        ActivationSetWriter.writeNpy(trainH, CliHarness.rows(h, 0, 110), NpyDType.F32);
        ActivationSetWriter.writeNpy(testH, CliHarness.rows(h, 110, N_HARMFUL), NpyDType.F32);
        ActivationSetWriter.writeNpy(trainS, CliHarness.rows(s, 0, 190), NpyDType.F32);
        ActivationSetWriter.writeNpy(testS, CliHarness.rows(s, 190, N_HARMLESS), NpyDType.F32);
        Path out = dir.resolve("holdout");
        ok(probeTrainer("fit", "--harmful", trainH, "--harmless", trainS, "--holdout-harmful", testH,
                "--holdout-harmless", testS, "--out", out, "--quiet"));
        JsonNode report = report(out);
        assertEquals("holdout-files", report.get("evaluation").asText());
        for (JsonNode l : report.get("layers")) {
            assertEquals(110, l.get("trainHarmful").asInt());
            assertEquals(190, l.get("trainHarmless").asInt());
            assertEquals(N_HARMFUL - 110, l.get("holdoutHarmful").asInt());
            assertEquals(N_HARMLESS - 190, l.get("holdoutHarmless").asInt());
        }
        assertTrue(report.get("layers").get(report.get("scoringLayer").asInt()).get("probeAuc").asDouble() > 0.95);
        // Published on the training files only.
        assertEquals(110, set(out).harmfulCount());

        usage(probeTrainer("fit", "--harmful", trainH, "--harmless", trainS, "--holdout-harmful", testH,
                "--out", dir.resolve("holdout-half")), "--holdout-harmful and --holdout-harmless go together");
    }

    @Test
    void readsFloat64NpyExactlyLikeFloat32() throws Exception {
        Path out = dir.resolve("f64");
        ok(probeTrainer("fit", "--harmful", dir.resolve("harmful_f64.npy"), "--harmless", dir.resolve("harmless_f64.npy"),
                "--out", out, "--quiet"));
        // numpy widened f32 to f64 exactly, so the fit sees the same values.
        assertSameDirections(set(reference), set(out));
    }

    @Test
    void readsFloat16Npy() throws Exception {
        Path out = dir.resolve("f16");
        ok(probeTrainer("fit", "--harmful", dir.resolve("harmful_f16.npy"), "--harmless", dir.resolve("harmless_f16.npy"),
                "--out", out, "--quiet"));
        DirectionSetModel m = set(out);
        assertEquals(D, m.d());
        JsonNode report = report(out);
        assertTrue(report.get("layers").get(report.get("scoringLayer").asInt()).get("probeAuc").asDouble() > 0.95);
        // Half precision moves the direction only slightly.
        float[] a = set(reference).layer(2).dimDirection();
        float[] b = m.layer(2).dimDirection();
        double cos = 0;
        for (int j = 0; j < D; j++) cos += (double) a[j] * b[j];
        assertTrue(cos > 0.99, "cosine of f16 and f32 DIM directions " + cos);
    }

    @Test
    void readsSafetensors() throws Exception {
        Path h = dir.resolve("harmful.safetensors");
        Path s = dir.resolve("harmless.safetensors");
        ActivationSetWriter.writeSafetensors(h, ActivationSet.load(harmful), SafetensorsDType.F32);
        ActivationSetWriter.writeSafetensors(s, ActivationSet.load(harmless), SafetensorsDType.F32);
        Path out = dir.resolve("safetensors");
        ok(probeTrainer("fit", "--harmful", h, "--harmless", s, "--out", out, "--quiet"));
        assertSameDirections(set(reference), set(out));
    }
}
