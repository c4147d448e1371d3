package dev.refusalmonitor.gateway;

import java.nio.file.Path;
import java.util.Collections;
import java.util.Objects;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Which model to run and where its hidden states are.
 *
 * @param modelId    model id carried by every record (e.g. {@code sentence-transformers/all-MiniLM-L6-v2})
 * @param model      an {@code .onnx} file, a TorchScript file ({@code .pt}, {@code .pth}, {@code .torchscript}), or
 *                   null for the bundled all-MiniLM-L6-v2 ONNX model
 * @param tokenizer  a Hugging Face {@code tokenizer.json}, or null for the bundled MiniLM tokenizer (only with the
 *                   bundled model)
 * @param layerNames ONNX only: Hugging Face layer index (0 = embeddings output) to the name of the graph tensor
 *                   holding that layer's hidden states [batch, seq, d]; empty for TorchScript (see
 *                   {@link TransformerHiddenStates} for its output convention)
 * @param maxLength  tokens kept per prompt (longer prompts are truncated)
 * @param batchSize  prompts per forward pass
 */
public record ModelSpec(String modelId, Path model, Path tokenizer, SortedMap<Integer, String> layerNames,
                        int maxLength, int batchSize) {
    /** The bundled model's id. */
    public static final String MINILM_ID = "sentence-transformers/all-MiniLM-L6-v2";
    /** Class-path resources of the langchain4j jar. */
    static final String MINILM_MODEL_RESOURCE = "all-minilm-l6-v2.onnx";
    static final String MINILM_TOKENIZER_RESOURCE = "all-minilm-l6-v2-tokenizer.json";
    /** BERT's position-embedding limit. */
    public static final int MINILM_MAX_LENGTH = 512;
    public static final int DEFAULT_BATCH_SIZE = 16;

    public ModelSpec {
        Objects.requireNonNull(modelId, "modelId");
        Objects.requireNonNull(layerNames, "layerNames");
        if (model == null && tokenizer != null)
            throw new IllegalArgumentException("a tokenizer was given without a model: give --model too, or neither");
        if (model != null && tokenizer == null)
            throw new IllegalArgumentException("model " + model + " needs its tokenizer.json (--tokenizer)");
        if (maxLength < 2) throw new IllegalArgumentException("maxLength must be >= 2, got " + maxLength);
        if (batchSize < 1) throw new IllegalArgumentException("batchSize must be >= 1, got " + batchSize);
        for (var e : layerNames.entrySet()) {
            if (e.getKey() < 0) throw new IllegalArgumentException("layer indices must be >= 0, got " + e.getKey());
            if (e.getValue() == null || e.getValue().isBlank())
                throw new IllegalArgumentException("layer " + e.getKey() + " has an empty tensor name");
        }
        layerNames = Collections.unmodifiableSortedMap(new TreeMap<>(layerNames));
    }

    /** The bundled all-MiniLM-L6-v2 (6 layers, d = 384) with all 7 hidden states (layers 0..6). */
    public static ModelSpec miniLm() {
        return new ModelSpec(MINILM_ID, null, null, miniLmLayerNames(), MINILM_MAX_LENGTH, DEFAULT_BATCH_SIZE);
    }

    /**
     * Tensor names of the bundled MiniLM export (torch.onnx naming of BERT): layer 0 =
     * {@code /embeddings/LayerNorm/Add_1_output_0}, layer i + 1 = {@code /encoder/layer.{i}/output/LayerNorm/Add_1_output_0}
     * for i &lt; 5; the last block's LayerNorm writes straight into the graph output, so layer 6 is
     * {@code last_hidden_state} (there is no {@code /encoder/layer.5/output/LayerNorm/Add_1_output_0} tensor).
     */
    public static SortedMap<Integer, String> miniLmLayerNames() {
        return bertLayerNames(6, "last_hidden_state");
    }

    /**
     * The same naming for a BERT-style ONNX export with {@code blocks} encoder blocks whose last block's output is
     * the graph output {@code lastOutput}.
     */
    public static SortedMap<Integer, String> bertLayerNames(int blocks, String lastOutput) {
        SortedMap<Integer, String> m = new TreeMap<>();
        m.put(0, "/embeddings/LayerNorm/Add_1_output_0");
        for (int i = 0; i < blocks - 1; i++) m.put(i + 1, "/encoder/layer." + i + "/output/LayerNorm/Add_1_output_0");
        m.put(blocks, lastOutput);
        return m;
    }

    public ModelSpec withBatchSize(int size) {
        return new ModelSpec(modelId, model, tokenizer, layerNames, maxLength, size);
    }

    public ModelSpec withLayerNames(SortedMap<Integer, String> names) {
        return new ModelSpec(modelId, model, tokenizer, names, maxLength, batchSize);
    }

    /** True for a TorchScript file (by extension); otherwise the model is ONNX. */
    public boolean isTorchScript() {
        if (model == null) return false;
        String f = model.getFileName().toString().toLowerCase(java.util.Locale.ROOT);
        return f.endsWith(".pt") || f.endsWith(".pth") || f.endsWith(".torchscript");
    }
}
