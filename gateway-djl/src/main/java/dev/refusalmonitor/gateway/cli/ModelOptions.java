package dev.refusalmonitor.gateway.cli;

import dev.refusalmonitor.cli.CliException;

import dev.refusalmonitor.gateway.GatewayException;
import dev.refusalmonitor.gateway.ModelSpec;
import dev.refusalmonitor.gateway.Prompt;
import dev.refusalmonitor.gateway.PromptReader;
import dev.refusalmonitor.gateway.TokenPooling;
import dev.refusalmonitor.schemas.v1.HarmLabel;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** Options shared by {@code embed} and {@code publish}: model, layers, pooling, prompts, label. */
public final class ModelOptions {

    @Option(names = "--prompts", required = true, paramLabel = "FILE",
            description = "Prompts: a JSON array of {\"instruction\": ..., \"category\": ...}, JSONL of such objects, "
                    + "or '-' for stdin with one prompt per line.")
    String prompts;

    @Option(names = "--label", paramLabel = "harmful|harmless", converter = LabelConverter.class,
            description = "Label every prompt as harmful or harmless (training samples).")
    HarmLabel label;

    @Option(names = "--layers", split = ",", paramLabel = "L",
            description = "Layers to export (Hugging Face index, 0 = embeddings output); default: all the model exposes.")
    int[] layers;

    @Option(names = "--pooling", defaultValue = "mean", paramLabel = "mean|last", converter = PoolingConverter.class,
            description = "Pool over the prompt's tokens (mean) or take the last token (last); default: ${DEFAULT-VALUE}.")
    TokenPooling pooling;

    @Option(names = "--model", paramLabel = "FILE",
            description = "An .onnx model (needs --layer-name) or a TorchScript file (.pt/.pth/.torchscript) whose "
                    + "forward(input_ids, attention_mask) returns the hidden states (a tuple of L+1 [batch, seq, d] "
                    + "tensors or one [L+1, batch, seq, d] tensor; entry i = layer i). Default: bundled all-MiniLM-L6-v2.")
    Path model;

    @Option(names = "--tokenizer", paramLabel = "FILE", description = "The model's Hugging Face tokenizer.json (with --model).")
    Path tokenizer;

    @Option(names = "--layer-name", paramLabel = "L=TENSOR",
            description = "ONNX tensor holding layer L's hidden states [batch, seq, d], e.g. "
                    + "3=/encoder/layer.2/output/LayerNorm/Add_1_output_0 (repeatable; replaces the default map).")
    Map<Integer, String> layerNames;

    @Option(names = "--model-id", paramLabel = "ID", description = "Model id for records (default: the file name, or "
            + ModelSpec.MINILM_ID + ").")
    String modelId;

    @Option(names = "--max-length", defaultValue = "512", paramLabel = "N",
            description = "Tokens kept per prompt (default: ${DEFAULT-VALUE}).")
    int maxLength;

    @Option(names = "--batch-size", defaultValue = "16", paramLabel = "N",
            description = "Prompts per forward pass (default: ${DEFAULT-VALUE}).")
    int batchSize;

    ModelSpec spec() {
        if (model == null && tokenizer != null) throw CliException.usage("--tokenizer needs --model");
        if (model != null && tokenizer == null) throw CliException.usage("--model needs --tokenizer (the model's tokenizer.json)");
        TreeMap<Integer, String> names = layerNames == null ? null : new TreeMap<>(layerNames);
        String id = modelId;
        if (model == null) {
            if (id == null) id = ModelSpec.MINILM_ID;
            if (names == null) names = new TreeMap<>(ModelSpec.miniLmLayerNames());
        } else {
            if (id == null) id = model.getFileName().toString();
            boolean torch = new ModelSpec(id, model, tokenizer, new TreeMap<>(), maxLength, batchSize).isTorchScript();
            if (torch && names != null) throw CliException.usage("--layer-name applies to ONNX models only");
            if (!torch && names == null)
                throw CliException.usage("--model " + model + " needs --layer-name entries (e.g. --layer-name "
                        + "1=/encoder/layer.0/output/LayerNorm/Add_1_output_0)");
            if (names == null) names = new TreeMap<>();
        }
        return new ModelSpec(id, model, tokenizer, names, maxLength, batchSize);
    }

    List<Prompt> readPrompts() throws GatewayException {
        if ("-".equals(prompts)) return PromptReader.readLines(System.in, "stdin");
        return PromptReader.read(Path.of(prompts));
    }

    static final class LabelConverter implements ITypeConverter<HarmLabel> {
        @Override
        public HarmLabel convert(String value) {
            return switch (value.toLowerCase(java.util.Locale.ROOT)) {
                case "harmful" -> HarmLabel.HARM_LABEL_HARMFUL;
                case "harmless" -> HarmLabel.HARM_LABEL_HARMLESS;
                default -> throw new picocli.CommandLine.TypeConversionException("expected harmful or harmless, got '" + value + "'");
            };
        }
    }

    static final class PoolingConverter implements ITypeConverter<TokenPooling> {
        @Override
        public TokenPooling convert(String value) {
            return switch (value.toLowerCase(java.util.Locale.ROOT)) {
                case "mean" -> TokenPooling.MEAN;
                case "last", "last-token", "last_token" -> TokenPooling.LAST_TOKEN;
                default -> throw new picocli.CommandLine.TypeConversionException("expected mean or last, got '" + value + "'");
            };
        }
    }
}
