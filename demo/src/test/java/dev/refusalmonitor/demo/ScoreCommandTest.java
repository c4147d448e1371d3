package dev.refusalmonitor.demo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.refusalmonitor.activations.ActivationSet;
import dev.refusalmonitor.activations.ActivationSetWriter;
import dev.refusalmonitor.activations.NpyArray;
import dev.refusalmonitor.activations.NpyDType;
import dev.refusalmonitor.activations.NpyWriter;
import dev.refusalmonitor.activations.SafetensorsDType;
import dev.refusalmonitor.contract.directions.DirectionSetModel;
import dev.refusalmonitor.math.score.DirectionSetScorer;
import dev.refusalmonitor.math.score.DirectionSetScorer.MahalanobisMode;
import dev.refusalmonitor.math.score.Scores;
import dev.refusalmonitor.schemas.DirectionSetCodec;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static dev.refusalmonitor.demo.ScoreHarness.monitorService;
import static dev.refusalmonitor.demo.ScoreHarness.ok;
import static dev.refusalmonitor.demo.ScoreHarness.probeTrainer;
import static dev.refusalmonitor.demo.ScoreHarness.usage;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code probe-trainer generate} → {@code fit} → {@code monitor-service score}: one JSON line per row with every
 * DESIGN field, numbers identical to calling {@link DirectionSetScorer} on the same rows.
 */
class ScoreCommandTest {
    static final int N_HARMFUL = 150;
    static final int N_HARMLESS = 250;
    static final int D = 64;
    static final List<String> DESIGN_FIELDS = List.of("dim", "fisher", "probe_probability", "mahalanobis_refusal",
            "mahalanobis_ood", "mahalanobis_path", "cast_similarity", "cast_fired", "angle_deg", "sector", "layer",
            "directions_version");
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path dir;
    static Path harmful;
    static Path harmless;
    /** Fitted on all three layers, exact factor stored (d ≤ --exact-max-dim). */
    static Path full;
    /** Fitted with --exact-max-dim below d: low-rank only. */
    static Path lowRank;

    @BeforeAll
    static void fit() throws Exception {
        ScoreHarness.generate(dir.resolve("g"), N_HARMFUL, N_HARMLESS, D, 3, 11);
        harmful = dir.resolve("g/harmful.npy");
        harmless = dir.resolve("g/harmless.npy");
        ok(probeTrainer("fit", "--harmful", harmful, "--harmless", harmless, "--out", dir.resolve("full"),
                "--set-version", 3, "--quiet"));
        full = dir.resolve("full/directions.pb");
        ok(probeTrainer("fit", "--harmful", harmful, "--harmless", harmless, "--out", dir.resolve("lowrank"),
                "--exact-max-dim", 32, "--low-rank-k", 8, "--quiet"));
        lowRank = dir.resolve("lowrank/directions.pb");
        ScoreHarness.numpy(dir, """
                s = np.load(p("g/harmless.npy"))
                np.save(p("harmless_f16.npy"), s.astype(np.float16))
                np.save(p("harmless_f64.npy"), s.astype(np.float64))
                """);
    }

    private static List<JsonNode> lines(String text) throws Exception {
        List<JsonNode> out = new java.util.ArrayList<>();
        for (String line : text.split("\n", -1)) if (!line.isEmpty()) out.add(JSON.readTree(line));
        assertTrue(text.endsWith("\n"), "output ends with a newline");
        return out;
    }

    private static List<JsonNode> scoreToFile(Path set, Path input, Object... more) throws Exception {
        Path out = Files.createTempFile(dir, "scores", ".jsonl");
        Object[] base = {"score", "--directions", set, "--input", input, "--out", out};
        Object[] all = java.util.Arrays.copyOf(base, base.length + more.length);
        System.arraycopy(more, 0, all, base.length, more.length);
        ScoreHarness.Run r = ok(monitorService(all));
        assertEquals("", r.out(), "with --out nothing goes to standard output");
        return lines(Files.readString(out));
    }

    /**
     * Every line equals what {@link DirectionSetScorer} gives for the same row of {@code input} (loaded the way the
     * command loads it), field by field and exactly.
     */
    private static void assertMatchesScorer(List<JsonNode> lines, Path setFile, Path input, MahalanobisMode mode,
                                            int... inputLayers) throws Exception {
        DirectionSetModel set = DirectionSetCodec.open(Files.readAllBytes(setFile));
        DirectionSetScorer scorer = new DirectionSetScorer(set);
        ActivationSet x = ActivationSet.load(input);
        if (inputLayers.length > 0) x = x.select(inputLayers);
        assertEquals(x.n(), lines.size(), "one line per row");
        int[] needed = scorer.requiredLayers();
        float[][] rows = new float[needed.length][];
        Scores s = new Scores();
        DirectionSetScorer.Scratch scratch = scorer.newScratch();
        for (int r = 0; r < x.n(); r++) {
            for (int i = 0; i < needed.length; i++)
                rows[i] = java.util.Arrays.copyOfRange(x.layer(needed[i]), r * x.d(), (r + 1) * x.d());
            scorer.score(needed, rows, mode, scratch, s);
            JsonNode j = lines.get(r);
            String at = "row " + r + ": ";
            for (String f : DESIGN_FIELDS) assertTrue(j.has(f), at + "missing field " + f + " in " + j);
            assertEquals(r, j.get("row").asInt(), at + "row");
            assertEquals(s.dim, j.get("dim").asDouble(), 0.0, at + "dim");
            assertEquals(s.fisher, j.get("fisher").asDouble(), 0.0, at + "fisher");
            assertEquals(s.probeProbability, j.get("probe_probability").asDouble(), 0.0, at + "probe_probability");
            assertEquals(s.mahalanobisRefusal, j.get("mahalanobis_refusal").asDouble(), 0.0, at + "mahalanobis_refusal");
            assertEquals(s.mahalanobisOod, j.get("mahalanobis_ood").asDouble(), 0.0, at + "mahalanobis_ood");
            assertEquals(s.mahalanobisPath(), j.get("mahalanobis_path").asText(), at + "mahalanobis_path");
            assertEquals(s.castSimilarity, j.get("cast_similarity").asDouble(), 0.0, at + "cast_similarity");
            assertEquals(s.castFired, j.get("cast_fired").asBoolean(), at + "cast_fired");
            assertTrue(j.get("cast_fired").isBoolean(), at + "cast_fired is a boolean");
            assertEquals(s.angleDeg, j.get("angle_deg").asDouble(), 0.0, at + "angle_deg");
            assertEquals(s.sector, j.get("sector").asText(), at + "sector");
            assertEquals(s.layer, j.get("layer").asInt(), at + "layer");
            assertEquals(s.directionsVersion, j.get("directions_version").asLong(), at + "directions_version");
            if (s.hasEnsemble())
                assertEquals(s.mahalanobisEnsemble, j.get("mahalanobis_ensemble").asDouble(), 0.0, at + "ensemble");
            else
                assertFalse(j.has("mahalanobis_ensemble"), at + "no ensemble field without an ensemble");
        }
    }

    @Test
    void scoresEveryRowWithTheStreamScorer() throws Exception {
        List<JsonNode> lines = scoreToFile(full, harmless);
        assertMatchesScorer(lines, full, harmless, MahalanobisMode.AUTO);
        DirectionSetModel set = DirectionSetCodec.open(Files.readAllBytes(full));
        for (JsonNode j : lines) {
            assertEquals("exact", j.get("mahalanobis_path").asText(), "a set with the exact factor scores exactly");
            assertEquals(3, j.get("directions_version").asLong());
            assertEquals(set.scoringLayer(), j.get("layer").asInt());
            assertTrue(j.has("mahalanobis_ensemble"), "every fitted layer is in the default ensemble");
        }
        // Harmful rows score higher than harmless ones (sign convention), on average by a wide margin.
        List<JsonNode> h = scoreToFile(full, harmful);
        assertEquals(N_HARMFUL, h.size());
        double meanH = h.stream().mapToDouble(j -> j.get("probe_probability").asDouble()).average().orElseThrow();
        double meanS = lines.stream().mapToDouble(j -> j.get("probe_probability").asDouble()).average().orElseThrow();
        assertTrue(meanH > 0.8 && meanS < 0.2, "mean probe probability harmful " + meanH + ", harmless " + meanS);
    }

    @Test
    void writesToStandardOutputWithoutOut() throws Exception {
        ScoreHarness.Run r = ok(monitorService("score", "--directions", full, "--input", harmful));
        List<JsonNode> lines = lines(r.out());
        assertEquals(N_HARMFUL, lines.size());
        assertEquals("", r.err());
        assertMatchesScorer(lines, full, harmful, MahalanobisMode.AUTO);
    }

    @Test
    void exactAndLowRankFlagsChooseTheMahalanobisPath() throws Exception {
        List<JsonNode> exact = scoreToFile(full, harmless, "--exact");
        exact.forEach(j -> assertEquals("exact", j.get("mahalanobis_path").asText()));
        assertMatchesScorer(exact, full, harmless, MahalanobisMode.EXACT);
        List<JsonNode> low = scoreToFile(full, harmless, "--low-rank");
        low.forEach(j -> assertEquals("low_rank", j.get("mahalanobis_path").asText()));
        assertMatchesScorer(low, full, harmless, MahalanobisMode.LOW_RANK);
    }

    @Test
    void aLowRankOnlySetRefusesExact() throws Exception {
        List<JsonNode> lines = scoreToFile(lowRank, harmless);
        lines.forEach(j -> assertEquals("low_rank", j.get("mahalanobis_path").asText()));
        assertMatchesScorer(lines, lowRank, harmless, MahalanobisMode.AUTO);
        assertEquals("low_rank", JSON.readTree(dir.resolve("lowrank/report.json").toFile()).get("mahalanobisPath").asText());

        Path out = dir.resolve("refused.jsonl");
        usage(monitorService("score", "--directions", lowRank, "--input", harmless, "--exact", "--out", out),
                lowRank, "no exact Mahalanobis factor", "d = 64", "--exact-max-dim");
        assertFalse(Files.exists(out), "no output file when the command is refused");
    }

    @Test
    void scoresSingleLayerArrays() throws Exception {
        ActivationSet h = ActivationSet.load(harmful);
        ActivationSet s = ActivationSet.load(harmless);
        Path h1 = dir.resolve("h_layer1.npy");
        Path s1 = dir.resolve("s_layer1.npy");
        NpyWriter.write(h1, new NpyArray(new int[]{h.n(), D}, h.layer(1), NpyDType.F32));
        NpyWriter.write(s1, new NpyArray(new int[]{s.n(), D}, s.layer(1), NpyDType.F32));
        ok(probeTrainer("fit", "--harmful", h1, "--harmless", s1, "--out", dir.resolve("single"), "--quiet"));
        Path set = dir.resolve("single/directions.pb");
        List<JsonNode> lines = scoreToFile(set, s1);
        assertMatchesScorer(lines, set, s1, MahalanobisMode.AUTO);
        lines.forEach(j -> assertEquals(0, j.get("layer").asInt(), "an [n, d] array is layer 0"));
    }

    @Test
    void scoresASetFittedOnALayerSubset() throws Exception {
        ok(probeTrainer("fit", "--harmful", harmful, "--harmless", harmless, "--layers", "2", "--out",
                dir.resolve("layer2"), "--quiet"));
        Path set = dir.resolve("layer2/directions.pb");
        // The full [n, L, d] input: the command takes the layer the set needs.
        List<JsonNode> lines = scoreToFile(set, harmless);
        assertMatchesScorer(lines, set, harmless, MahalanobisMode.AUTO);
        lines.forEach(j -> assertEquals(2, j.get("layer").asInt()));
        // Reading only that layer gives the same lines.
        assertEquals(lines, scoreToFile(set, harmless, "--layers", "2"));
    }

    @Test
    void float64InputScoresLikeFloat32AndFloat16IsRead() throws Exception {
        List<JsonNode> f32 = scoreToFile(full, harmless);
        assertEquals(f32, scoreToFile(full, dir.resolve("harmless_f64.npy")));
        Path f16 = dir.resolve("harmless_f16.npy");
        List<JsonNode> half = scoreToFile(full, f16);
        assertMatchesScorer(half, full, f16, MahalanobisMode.AUTO);
        long agree = 0;
        for (int r = 0; r < half.size(); r++)
            if (half.get(r).get("flagged").asBoolean() == f32.get(r).get("flagged").asBoolean()) agree++;
        assertTrue(agree >= 0.95 * half.size(), "f16 rounding flips the probe decision of " + (half.size() - agree) + " rows");
    }

    @Test
    void scoresSafetensorsInput() throws Exception {
        Path st = dir.resolve("harmless.safetensors");
        ActivationSetWriter.writeSafetensors(st, ActivationSet.load(harmless), SafetensorsDType.F32);
        assertEquals(scoreToFile(full, harmless), scoreToFile(full, st));
    }
}
