package dev.refusalmonitor.schemas;

import com.google.protobuf.util.JsonFormat;
import dev.refusalmonitor.contract.HalfFloats;
import dev.refusalmonitor.schemas.v1.DType;
import dev.refusalmonitor.schemas.v1.DeadLetterReason;
import dev.refusalmonitor.schemas.v1.DirectionSet;
import dev.refusalmonitor.schemas.v1.DirectionSetEnvelope;
import dev.refusalmonitor.schemas.v1.HarmLabel;
import dev.refusalmonitor.schemas.v1.Labels;
import dev.refusalmonitor.schemas.v1.LayerActivation;
import dev.refusalmonitor.schemas.v1.ResponseLabel;
import dev.refusalmonitor.schemas.v1.TokenPosition;

import java.io.IOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The golden vectors under {@code schemas/golden/}: each record is specified here by its field values and the raw
 * element bits of every layer; the {@code .bin} is encoded with the production builder and the {@code .json} is
 * rendered from the specification (not from the encoded bytes), so the test that decodes {@code .bin} and compares
 * it with {@code .json} checks the codec against an independent statement of the content.
 *
 * <p>Regenerate after an intended format change: {@code mvn -o -q -pl schemas -am test -Dtest=GoldenVectorsTest
 * -Dgolden.update=true}, then review the diff.
 */
final class GoldenVectors {
    private GoldenVectors() {
    }

    /** One layer: its index, dtype and the raw bit pattern of each element in that dtype. */
    record LayerSpec(int layer, DType dtype, int[] raw) {
        /** The values as f32 (exact widening). */
        float[] values() {
            float[] v = new float[raw.length];
            for (int i = 0; i < raw.length; i++) v[i] = widen(dtype, raw[i]);
            return v;
        }
    }

    /** One HiddenState record and what the monitor's decoder must do with it (null = accept). */
    record HiddenStateSpec(String name, String description, String requestId, String modelId, String modelRevision,
                           String tenant, String route, long eventTimeUnixMs, TokenPosition tokenPosition,
                           int promptTokens, Labels labels, List<LayerSpec> layers, DeadLetterReason rejection,
                           Integer rejectedLayer) {
    }

    static final String DIRECTION_SET_NAME = "direction_set_d4";

    static List<HiddenStateSpec> hiddenStates() {
        List<HiddenStateSpec> out = new ArrayList<>();
        out.add(new HiddenStateSpec("f32_basic", "One f32 layer with ordinary values; every optional slicing field set.",
                "golden-f32-basic", "meta-llama/Llama-3.1-8B-Instruct", "0e9e39f", "acme", "/v1/chat/completions",
                1_717_171_717_171L, TokenPosition.TOKEN_POSITION_LAST_PROMPT_TOKEN, 23, null,
                List.of(new LayerSpec(14, DType.D_TYPE_F32, f32Bits(1.0f, -2.5f, 0.1f, 3.14159f, 1e-3f, -1e6f, 0f,
                        42f))), null, null));
        out.add(new HiddenStateSpec("f16_special_values",
                "One f16 layer with ±0, the smallest and largest subnormals, the smallest normal, ±65504, ordinary "
                        + "values, ±infinity and NaN. The codec decodes every element exactly; the monitor rejects "
                        + "the record (non-finite values).",
                "golden-f16-specials", "Qwen/Qwen2.5-7B-Instruct", "", "", "", 1_717_171_717_172L,
                TokenPosition.TOKEN_POSITION_LAST_PROMPT_TOKEN, 9, null,
                List.of(new LayerSpec(10, DType.D_TYPE_F16, new int[] {0x0000, 0x8000, 0x0001, 0x03ff, 0x0400, 0x7bff,
                        0xfbff, 0x3c00, 0xc000, 0x3555, 0x7c00, 0xfc00, 0x7e00})),
                DeadLetterReason.DEAD_LETTER_REASON_NON_FINITE, 10));
        out.add(new HiddenStateSpec("bf16_values",
                "One bf16 layer: ordinary values, the smallest and largest subnormals, the smallest normal, the "
                        + "largest finite value, -0.",
                "golden-bf16", "google/gemma-2-9b-it", "main", "tenant-b", "", 1_717_171_717_173L,
                TokenPosition.TOKEN_POSITION_LAST_PROMPT_TOKEN, 31, null,
                List.of(new LayerSpec(20, DType.D_TYPE_BF16, new int[] {0x3f80, 0xc020, 0x4049, 0x0001, 0x007f,
                        0x0080, 0x7f7f, 0x8000, 0x3dcd})), null, null));
        out.add(new HiddenStateSpec("bf16_special_values",
                "One bf16 layer with ±infinity and NaNs (one negative, with a payload). Decoded exactly; the monitor "
                        + "rejects the record (non-finite values).",
                "golden-bf16-specials", "google/gemma-2-9b-it", "main", "", "", 1_717_171_717_174L,
                TokenPosition.TOKEN_POSITION_LAST_PROMPT_TOKEN, 4, null,
                List.of(new LayerSpec(3, DType.D_TYPE_BF16, new int[] {0x3f80, 0x7f80, 0xff80, 0x7fc0, 0xffc1})),
                DeadLetterReason.DEAD_LETTER_REASON_NON_FINITE, 3));
        out.add(new HiddenStateSpec("multi_layer_mixed",
                "Three layers in three dtypes (layer 0 = embeddings output, f32; layer 4 f16; layer 8 bf16), mean "
                        + "over the prompt, no tenant or route.",
                "golden-multi", "sentence-transformers/all-MiniLM-L6-v2", "c9745ed", "", "", 1_717_171_717_175L,
                TokenPosition.TOKEN_POSITION_MEAN_OVER_PROMPT, 12, null,
                List.of(new LayerSpec(0, DType.D_TYPE_F32, f32Bits(0.5f, -0.25f, 2f, -8f, 0.0625f, 1e-8f)),
                        new LayerSpec(4, DType.D_TYPE_F16, new int[] {0x3800, 0xb400, 0x4000, 0xc800, 0x2c00, 0x0200}),
                        new LayerSpec(8, DType.D_TYPE_BF16, new int[] {0x3f00, 0xbe80, 0x4000, 0xc100, 0x3d80, 0x3200})),
                null, null));
        out.add(new HiddenStateSpec("training_sample",
                "A labelled training sample (topic training-samples): harmful, refused, with category and source.",
                "golden-train-0001", "meta-llama/Llama-3.1-8B-Instruct", "0e9e39f", "eval", "/harness",
                1_717_171_717_176L, TokenPosition.TOKEN_POSITION_LAST_PROMPT_TOKEN, 40,
                Labels.newBuilder().setHarm(HarmLabel.HARM_LABEL_HARMFUL).setResponse(ResponseLabel.RESPONSE_LABEL_REFUSED)
                        .setCategory("weapons").setSource("eval-harness").build(),
                List.of(new LayerSpec(12, DType.D_TYPE_F32, f32Bits(0.75f, -1.5f, 3.25f, -0.125f)),
                        new LayerSpec(16, DType.D_TYPE_F32, f32Bits(-2f, 0.375f, 1.75f, 6.5f))),
                null, null));
        return out;
    }

    /** The tiny direction set of the golden envelope: d = 4, layers 1 and 2, dyadic values (exact decimals). */
    static dev.refusalmonitor.contract.directions.DirectionSetModel directionSet() {
        return TestModels.model(42, 4, new int[] {1, 2}, true);
    }

    // ---------------------------------------------------------------- writing

    /** Writes every golden file into {@code dir} (created if needed). */
    static void writeAll(Path dir) throws IOException, InvalidDirectionSetException {
        Files.createDirectories(dir);
        for (HiddenStateSpec s : hiddenStates()) {
            Files.write(dir.resolve(s.name() + ".bin"), encode(s));
            Files.writeString(dir.resolve(s.name() + ".json"), json(s), StandardCharsets.UTF_8);
        }
        byte[] envelope = DirectionSetCodec.seal(directionSet());
        Files.write(dir.resolve(DIRECTION_SET_NAME + ".bin"), envelope);
        Files.writeString(dir.resolve(DIRECTION_SET_NAME + ".json"), directionSetJson(envelope), StandardCharsets.UTF_8);
    }

    /** The record's bytes, built with the production builder; fails if the encoder changed any element's bits. */
    static byte[] encode(HiddenStateSpec s) {
        HiddenStateBuilder b = HiddenStateBuilder.create(s.requestId(), s.modelId()).modelRevision(s.modelRevision())
                .tenant(s.tenant()).route(s.route()).eventTimeUnixMs(s.eventTimeUnixMs())
                .tokenPosition(s.tokenPosition()).promptTokens(s.promptTokens());
        for (LayerSpec l : s.layers()) b.layer(l.layer(), l.values(), l.dtype());
        if (s.labels() != null) b.labels(s.labels());
        var msg = b.build();
        for (int i = 0; i < s.layers().size(); i++) {
            LayerActivation a = msg.getLayers(i);
            if (!a.getData().equals(com.google.protobuf.ByteString.copyFrom(rawBytes(s.layers().get(i))))) {
                throw new IllegalStateException(s.name() + " layer " + a.getLayer() + ": encoder changed element bits");
            }
        }
        return msg.toByteArray();
    }

    static String json(HiddenStateSpec s) {
        Json j = new Json();
        j.open();
        j.field("name", s.name());
        j.field("description", s.description());
        j.field("message", "refusalmonitor.v1.HiddenState");
        j.key("fields").open();
        j.field("schema_version", 1);
        j.field("request_id", s.requestId());
        j.field("model_id", s.modelId());
        j.field("model_revision", s.modelRevision());
        j.field("tenant", s.tenant());
        j.field("route", s.route());
        j.field("event_time_unix_ms", s.eventTimeUnixMs());
        j.field("token_position", s.tokenPosition().name());
        j.field("prompt_tokens", s.promptTokens());
        if (s.labels() == null) {
            j.key("labels").raw("null");
        } else {
            j.key("labels").open();
            j.field("harm", s.labels().getHarm().name());
            j.field("response", s.labels().getResponse().name());
            j.field("category", s.labels().getCategory());
            j.field("source", s.labels().getSource());
            j.close();
        }
        j.key("layers").openArray();
        for (LayerSpec l : s.layers()) {
            j.open();
            j.field("layer", l.layer());
            j.field("dtype", l.dtype().name());
            j.field("dim", l.raw().length);
            j.field("data_hex", hex(rawBytes(l)));
            j.key("values").openArray();
            float[] v = l.values();
            int digits = l.dtype() == DType.D_TYPE_F32 ? 8 : 4;
            for (int i = 0; i < v.length; i++) {
                j.inline("{\"raw\": \"" + bitsHex(l.raw()[i], digits) + "\", \"f32\": \""
                        + bitsHex(Float.floatToRawIntBits(v[i]), 8) + "\", \"decimal\": \"" + exactDecimal(v[i]) + "\"}");
            }
            j.closeArray();
            j.close();
        }
        j.closeArray();
        j.close();
        j.key("monitor").open();
        j.field("accepted", s.rejection() == null);
        if (s.rejection() != null) {
            j.field("reason", s.rejection().name());
            j.field("layer", s.rejectedLayer());
        }
        j.close();
        j.close();
        return j.toString();
    }

    static String directionSetJson(byte[] envelopeBytes) throws IOException {
        DirectionSetEnvelope e = DirectionSetEnvelope.parseFrom(envelopeBytes);
        DirectionSet payload = DirectionSet.parseFrom(e.getPayload());
        Json j = new Json();
        j.open();
        j.field("name", DIRECTION_SET_NAME);
        j.field("description", "A sealed DirectionSetEnvelope holding a tiny DirectionSet (dim 4, layers 1 and 2, "
                + "every field set, exact whitening on layer 1 only). `payload` is the DirectionSet in the "
                + "standard proto3 JSON mapping (int64 as strings, tensor bytes as base64 of little-endian f32).");
        j.field("message", "refusalmonitor.v1.DirectionSetEnvelope");
        j.key("envelope").open();
        j.field("schema_version", e.getSchemaVersion());
        j.field("model_id", e.getModelId());
        j.field("version", e.getVersion());
        j.field("sha256", e.getSha256());
        j.field("payload_size", e.getPayload().size());
        j.close();
        j.key("payload").raw(JsonFormat.printer().print(payload));
        j.close();
        return j.toString();
    }

    // ---------------------------------------------------------------- value formatting

    static float widen(DType dtype, int raw) {
        return switch (dtype) {
            case D_TYPE_F32 -> Float.intBitsToFloat(raw);
            case D_TYPE_F16 -> HalfFloats.f16ToFloat((short) raw);
            case D_TYPE_BF16 -> HalfFloats.bf16ToFloat((short) raw);
            default -> throw new IllegalArgumentException(dtype.name());
        };
    }

    static byte[] rawBytes(LayerSpec l) {
        int size = TensorCodec.elementSize(l.dtype());
        byte[] out = new byte[l.raw().length * size];
        for (int i = 0; i < l.raw().length; i++) {
            for (int b = 0; b < size; b++) out[i * size + b] = (byte) (l.raw()[i] >>> (8 * b));
        }
        return out;
    }

    /**
     * The exact decimal value of {@code f} (every binary float has a finite decimal expansion), so that the text
     * is the same on every JDK and parses back to the same float in any language; "NaN", "Infinity", "-Infinity",
     * "-0" for the special values.
     */
    static String exactDecimal(float f) {
        if (Float.isNaN(f)) return "NaN";
        if (Float.isInfinite(f)) return f > 0 ? "Infinity" : "-Infinity";
        if (f == 0) return Float.floatToRawIntBits(f) == 0 ? "0" : "-0";
        return new BigDecimal(f).stripTrailingZeros().toString();
    }

    static String bitsHex(int bits, int digits) {
        String h = Integer.toHexString(bits);
        if (digits == 4) h = Integer.toHexString(bits & 0xffff);
        return "0x" + "0".repeat(Math.max(0, digits - h.length())) + h;
    }

    static String hex(byte[] bytes) {
        StringBuilder sb = new StringBuilder(bytes.length * 2);
        for (byte b : bytes) sb.append(String.format(Locale.ROOT, "%02x", b & 0xff));
        return sb.toString();
    }

    private static int[] f32Bits(float... v) {
        int[] out = new int[v.length];
        for (int i = 0; i < v.length; i++) out[i] = Float.floatToRawIntBits(v[i]);
        return out;
    }

    /** Writes the golden files into the directory given as the only argument (default: schemas/golden). */
    public static void main(String[] args) throws Exception {
        writeAll(Path.of(args.length > 0 ? args[0] : "golden"));
    }

    /** A tiny deterministic JSON writer: 2-space indentation, one value per line, fixed key order. */
    private static final class Json {
        private final StringBuilder sb = new StringBuilder();
        private final List<Boolean> firstInScope = new ArrayList<>();
        private int depth;
        private boolean afterKey;

        Json open() {
            begin();
            sb.append('{');
            push();
            return this;
        }

        Json openArray() {
            begin();
            sb.append('[');
            push();
            return this;
        }

        Json close() {
            return end('}');
        }

        Json closeArray() {
            return end(']');
        }

        Json key(String k) {
            begin();
            sb.append(quote(k)).append(": ");
            afterKey = true;
            return this;
        }

        void field(String k, String v) {
            key(k).value(quote(v));
        }

        void field(String k, long v) {
            key(k).value(Long.toString(v));
        }

        void field(String k, boolean v) {
            key(k).value(Boolean.toString(v));
        }

        /** A value (after a key) or an array element, written as given. */
        Json raw(String text) {
            if (afterKey) {
                // Re-indent a multi-line value (JsonFormat's output) to the current depth.
                sb.append(text.replace("\n", "\n" + "  ".repeat(depth)));
                afterKey = false;
            } else {
                begin();
                sb.append(text);
            }
            return this;
        }

        void inline(String element) {
            raw(element);
        }

        private void value(String text) {
            sb.append(text);
            afterKey = false;
        }

        private void begin() {
            if (afterKey) {
                afterKey = false;
                return;
            }
            if (!firstInScope.isEmpty()) {
                int top = firstInScope.size() - 1;
                if (!firstInScope.get(top)) sb.append(',');
                firstInScope.set(top, false);
                sb.append('\n').append("  ".repeat(depth));
            }
        }

        private void push() {
            firstInScope.add(true);
            depth++;
        }

        private Json end(char c) {
            boolean empty = firstInScope.remove(firstInScope.size() - 1);
            depth--;
            if (!empty) sb.append('\n').append("  ".repeat(depth));
            sb.append(c);
            return this;
        }

        private static String quote(String s) {
            StringBuilder q = new StringBuilder("\"");
            for (char ch : s.toCharArray()) {
                switch (ch) {
                    case '"' -> q.append("\\\"");
                    case '\\' -> q.append("\\\\");
                    case '\n' -> q.append("\\n");
                    default -> {
                        if (ch < 0x20) q.append(String.format(Locale.ROOT, "\\u%04x", (int) ch));
                        else q.append(ch);
                    }
                }
            }
            return q.append('"').toString();
        }

        @Override
        public String toString() {
            return sb + "\n";
        }
    }
}
