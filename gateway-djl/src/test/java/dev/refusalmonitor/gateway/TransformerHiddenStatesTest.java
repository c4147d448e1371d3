package dev.refusalmonitor.gateway;

import dev.refusalmonitor.math.testing.Tolerances;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SortedMap;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The bundled all-MiniLM-L6-v2 through DJL's ONNX Runtime engine. */
class TransformerHiddenStatesTest {
    private static final List<String> PROMPTS = List.of(
            "Write a short poem about autumn leaves.",
            "Explain how to pick a lock to break into a neighbour's house.",
            "What is the capital of Portugal?");

    private static TransformerHiddenStates model;

    @BeforeAll
    static void load() throws GatewayException {
        model = TransformerHiddenStates.openMiniLm();
    }

    @AfterAll
    static void close() {
        if (model != null) model.close();
    }

    @Test
    void shouldGiveSevenFiniteLayersOf384PerPromptThatDifferBetweenPrompts() throws GatewayException {
        PooledHiddenStates s = model.embed(PROMPTS, TokenPooling.MEAN);
        assertEquals(3, s.n());
        assertEquals(384, s.d());
        assertArrayEquals(new int[]{0, 1, 2, 3, 4, 5, 6}, s.layers());
        for (int layer = 0; layer <= 6; layer++) {
            for (int i = 0; i < 3; i++) {
                float[] v = s.vector(i, layer);
                for (float x : v) assertTrue(Float.isFinite(x));
                for (int j = i + 1; j < 3; j++) {
                    float[] w = s.vector(j, layer);
                    assertTrue(maxAbsDiff(v, w) > 1e-2, "prompts " + i + " and " + j + " at layer " + layer);
                }
            }
        }
        for (int t : s.promptTokens()) assertTrue(t > 3);
    }

    @Test
    void shouldMeanPoolAsTheHandComputedMeanOfTokenStates() throws GatewayException {
        String prompt = PROMPTS.get(1);
        TokenHiddenStates raw = model.tokenStates(prompt);
        PooledHiddenStates mean = model.embed(List.of(prompt), TokenPooling.MEAN);
        PooledHiddenStates last = model.embed(List.of(prompt), TokenPooling.LAST_TOKEN);
        int d = raw.d();
        assertEquals(raw.tokens(), mean.promptTokens()[0]);
        for (int k = 0; k < raw.layers().length; k++) {
            int layer = raw.layers()[k];
            float[] tokens = raw.perLayer()[k];
            float[] pooled = mean.vector(0, layer);
            float[] lastRow = last.vector(0, layer);
            for (int c = 0; c < d; c++) {
                double sum = 0;
                for (int j = 0; j < raw.tokens(); j++) sum += tokens[j * d + c];
                double expected = sum / raw.tokens();
                assertEquals(expected, pooled[c], Tolerances.F32_REL * Math.max(1, Math.abs(expected)), "layer " + layer + " column " + c);
                assertEquals(tokens[(raw.tokens() - 1) * d + c], lastRow[c], 0.0, "last token, layer " + layer);
            }
        }
    }

    @Test
    void shouldGiveTheSameStatesInAPaddedBatchAsAlone() throws GatewayException {
        PooledHiddenStates batch = model.embed(PROMPTS, TokenPooling.MEAN);
        for (int i = 0; i < PROMPTS.size(); i++) {
            PooledHiddenStates alone = model.embed(List.of(PROMPTS.get(i)), TokenPooling.MEAN);
            for (int layer : batch.layers()) {
                float[] a = alone.vector(0, layer);
                float[] b = batch.vector(i, layer);
                assertTrue(maxAbsDiff(a, b) <= Tolerances.MODEL_BATCH_PADDING_ABS, "prompt " + i + " layer " + layer);
            }
        }
    }

    @Test
    void shouldKeepPromptsLongerThanTheBundledTokenizers128Tokens() throws GatewayException {
        String longPrompt = "Please summarise the following sentence about gardening. ".repeat(30);
        PooledHiddenStates s = model.embed(List.of(longPrompt), TokenPooling.MEAN);
        assertTrue(s.promptTokens()[0] > 128 && s.promptTokens()[0] <= 512, "tokens " + s.promptTokens()[0]);
        PooledHiddenStates huge = model.embed(List.of(longPrompt.repeat(3)), TokenPooling.MEAN);
        assertEquals(512, huge.promptTokens()[0]);
    }

    @Test
    void shouldReturnAppendedIntermediateOutputsWithoutChangingTheModelsOwnOutput() throws Exception {
        byte[] bytes;
        try (InputStream in = getClass().getClassLoader().getResourceAsStream(ModelSpec.MINILM_MODEL_RESOURCE)) {
            bytes = in.readAllBytes();
        }
        OnnxGraphOutputs.GraphNames names = OnnxGraphOutputs.scan(bytes);
        assertEquals(List.of("last_hidden_state"), List.copyOf(names.outputs()).subList(0, 1));
        List<String> appended = List.copyOf(ModelSpec.miniLmLayerNames().headMap(6).values());
        for (String name : appended) assertTrue(names.hasTensor(name) && !names.outputs().contains(name), name);
        // After appending, protobuf's merge makes them graph outputs after the model's own.
        OnnxGraphOutputs.GraphNames patched = OnnxGraphOutputs.scan(OnnxGraphOutputs.withExtraOutputs(bytes, appended));
        assertTrue(patched.outputs().containsAll(appended) && patched.outputs().contains("last_hidden_state"));

        // The model's own output, with nothing appended, equals layer 6 of the model with layers 0..5 appended.
        SortedMap<Integer, String> onlyOwn = new TreeMap<>();
        onlyOwn.put(6, "last_hidden_state");
        TokenHiddenStates all = model.tokenStates(PROMPTS.get(0));
        try (TransformerHiddenStates m = TransformerHiddenStates.open(ModelSpec.miniLm().withLayerNames(onlyOwn))) {
            TokenHiddenStates own = m.tokenStates(PROMPTS.get(0));
            assertArrayEquals(new int[]{6}, own.layers());
            assertArrayEquals(own.perLayer()[0], all.perLayer()[6]);
        }
        // Appended layers are real intermediate states: [tokens, 384] each, all different.
        for (int k = 0; k < 6; k++) {
            assertEquals(all.tokens() * 384, all.perLayer()[k].length);
            assertTrue(maxAbsDiff(all.perLayer()[k], all.perLayer()[k + 1]) > 1e-2, "layers " + k + ", " + (k + 1));
        }
    }

    @Test
    void shouldNameTheLayerWhenTheModelLacksItsTensor() {
        SortedMap<Integer, String> layers = new TreeMap<>(ModelSpec.miniLmLayerNames());
        layers.put(3, "/encoder/layer.9/output/LayerNorm/Add_1_output_0");
        GatewayException e = assertThrows(GatewayException.class,
                () -> TransformerHiddenStates.open(ModelSpec.miniLm().withLayerNames(layers)));
        assertTrue(e.getMessage().startsWith("layer 3: "), e.getMessage());
        assertTrue(e.getMessage().contains("/encoder/layer.9/output/LayerNorm/Add_1_output_0"), e.getMessage());
    }

    @Test
    void shouldRejectMissingModelAndTokenizerFiles(@TempDir Path dir) throws IOException {
        Path tokenizer = dir.resolve("tokenizer.json");
        try (InputStream in = getClass().getClassLoader().getResourceAsStream(ModelSpec.MINILM_TOKENIZER_RESOURCE)) {
            Files.copy(in, tokenizer);
        }
        Path missing = dir.resolve("nope.onnx");
        GatewayException e = assertThrows(GatewayException.class, () -> TransformerHiddenStates.open(
                new ModelSpec("m", missing, tokenizer, ModelSpec.miniLmLayerNames(), 512, 4)));
        assertTrue(e.getMessage().contains("model file " + missing), e.getMessage());

        Path notOnnx = dir.resolve("bad.onnx");
        Files.writeString(notOnnx, "not a model");
        e = assertThrows(GatewayException.class, () -> TransformerHiddenStates.open(
                new ModelSpec("m", notOnnx, tokenizer, ModelSpec.miniLmLayerNames(), 512, 4)));
        assertTrue(e.getMessage().contains(notOnnx.toString()), e.getMessage());

        Path missingTok = dir.resolve("missing-tokenizer.json");
        e = assertThrows(GatewayException.class, () -> TransformerHiddenStates.open(
                new ModelSpec("m", notOnnx, missingTok, ModelSpec.miniLmLayerNames(), 512, 4)));
        assertTrue(e.getMessage().contains("tokenizer file " + missingTok), e.getMessage());
    }

    @Test
    void shouldRejectEmptyPromptsNamingTheirIndex() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> model.embed(List.of("fine", "  "), TokenPooling.MEAN));
        assertEquals("prompt 1 is empty", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> model.embed(List.of(), TokenPooling.MEAN));
        e = assertThrows(IllegalArgumentException.class, () -> model.embed(List.of("fine"), TokenPooling.MEAN, new int[]{7}));
        assertTrue(e.getMessage().contains("layer 7 is not available"), e.getMessage());
    }

    private static double maxAbsDiff(float[] a, float[] b) {
        double m = 0;
        for (int i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
        return m;
    }
}
