package dev.refusalmonitor.schemas;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.protobuf.util.JsonFormat;
import dev.refusalmonitor.schemas.v1.DirectionSet;
import dev.refusalmonitor.schemas.v1.DirectionSetEnvelope;
import dev.refusalmonitor.schemas.v1.HiddenState;
import dev.refusalmonitor.schemas.v1.LayerActivation;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The committed golden vectors are exactly what the code produces, and decoding each {@code .bin} with the
 * production codecs yields its {@code .json}. With {@code -Dgolden.update=true} the files are rewritten first.
 */
class GoldenVectorsTest {
    /** Surefire runs in the module directory. */
    static final Path GOLDEN = Path.of("golden");
    private static final String UPDATE_HINT = "; if the change is intended, regenerate with `mvn -o -q -pl schemas -am "
            + "test -Dtest=GoldenVectorsTest -Dgolden.update=true` and review the diff";

    @Test
    void committedFilesEqualWhatTheCodeProduces(@TempDir Path tmp) throws Exception {
        if (Boolean.getBoolean("golden.update")) GoldenVectors.writeAll(GOLDEN);
        GoldenVectors.writeAll(tmp);
        TreeSet<String> produced = names(tmp);
        TreeSet<String> committed = names(GOLDEN);
        committed.removeIf(n -> !(n.endsWith(".bin") || n.endsWith(".json")));
        assertEquals(produced, committed, "golden file set differs" + UPDATE_HINT);
        for (String name : produced) {
            assertArrayEquals(Files.readAllBytes(tmp.resolve(name)), Files.readAllBytes(GOLDEN.resolve(name)),
                    "golden/" + name + " differs from what the code produces" + UPDATE_HINT);
        }
    }

    @Test
    void decodingEachHiddenStateBinYieldsItsJson() throws Exception {
        HiddenStateDecoder decoder = new HiddenStateDecoder();
        for (GoldenVectors.HiddenStateSpec spec : GoldenVectors.hiddenStates()) {
            String name = spec.name();
            byte[] bin = Files.readAllBytes(GOLDEN.resolve(name + ".bin"));
            JsonObject json = JsonParser.parseString(Files.readString(GOLDEN.resolve(name + ".json"),
                    StandardCharsets.UTF_8)).getAsJsonObject();
            JsonObject f = json.getAsJsonObject("fields");
            HiddenState msg = HiddenState.parseFrom(bin);
            assertEquals(f.get("schema_version").getAsInt(), msg.getSchemaVersion(), name);
            assertEquals(f.get("request_id").getAsString(), msg.getRequestId(), name);
            assertEquals(f.get("model_id").getAsString(), msg.getModelId(), name);
            assertEquals(f.get("model_revision").getAsString(), msg.getModelRevision(), name);
            assertEquals(f.get("tenant").getAsString(), msg.getTenant(), name);
            assertEquals(f.get("route").getAsString(), msg.getRoute(), name);
            assertEquals(f.get("event_time_unix_ms").getAsLong(), msg.getEventTimeUnixMs(), name);
            assertEquals(f.get("token_position").getAsString(), msg.getTokenPosition().name(), name);
            assertEquals(f.get("prompt_tokens").getAsInt(), msg.getPromptTokens(), name);
            JsonElement labels = f.get("labels");
            assertEquals(!labels.isJsonNull(), msg.hasLabels(), name + " labels presence");
            if (msg.hasLabels()) {
                JsonObject l = labels.getAsJsonObject();
                assertEquals(l.get("harm").getAsString(), msg.getLabels().getHarm().name(), name);
                assertEquals(l.get("response").getAsString(), msg.getLabels().getResponse().name(), name);
                assertEquals(l.get("category").getAsString(), msg.getLabels().getCategory(), name);
                assertEquals(l.get("source").getAsString(), msg.getLabels().getSource(), name);
            }
            JsonArray layers = f.getAsJsonArray("layers");
            assertEquals(layers.size(), msg.getLayersCount(), name);
            for (int i = 0; i < layers.size(); i++) {
                JsonObject jl = layers.get(i).getAsJsonObject();
                LayerActivation a = msg.getLayers(i);
                String where = name + " layer " + a.getLayer();
                assertEquals(jl.get("layer").getAsInt(), a.getLayer(), where);
                assertEquals(jl.get("dtype").getAsString(), a.getDtype().name(), where);
                assertEquals(jl.get("dim").getAsInt(), a.getDim(), where);
                assertEquals(jl.get("data_hex").getAsString(), GoldenVectors.hex(a.getData().toByteArray()), where);
                float[] decoded = TensorCodec.decode(a);
                JsonArray values = jl.getAsJsonArray("values");
                assertEquals(values.size(), decoded.length, where);
                for (int k = 0; k < decoded.length; k++) {
                    JsonObject v = values.get(k).getAsJsonObject();
                    int bits = Integer.parseUnsignedInt(v.get("f32").getAsString().substring(2), 16);
                    assertEquals(bits, Float.floatToRawIntBits(decoded[k]), where + " element " + k);
                    String dec = v.get("decimal").getAsString();
                    if (!Float.isNaN(decoded[k])) {
                        float parsed = dec.equals("-0") ? -0f : dec.endsWith("Infinity")
                                ? Float.parseFloat(dec) : new java.math.BigDecimal(dec).floatValue();
                        assertEquals(bits, Float.floatToRawIntBits(parsed), where + " decimal of element " + k);
                    } else {
                        assertEquals("NaN", dec, where);
                    }
                }
            }
            JsonObject monitor = json.getAsJsonObject("monitor");
            HiddenStateDecoder.Result r = decoder.decode(bin);
            if (monitor.get("accepted").getAsBoolean()) {
                DecodedHiddenState s = assertInstanceOf(HiddenStateDecoder.Decoded.class, r, name).state();
                assertEquals(msg.getLayersCount(), s.layerCount(), name);
            } else {
                HiddenStateDecoder.Rejected rej = assertInstanceOf(HiddenStateDecoder.Rejected.class, r, name);
                assertEquals(monitor.get("reason").getAsString(), rej.reason().name(), name);
                assertTrue(rej.detail().contains("layer " + monitor.get("layer").getAsInt()), rej.detail());
            }
        }
    }

    @Test
    void directionSetGoldenOpensAndMatchesItsJson() throws Exception {
        String name = GoldenVectors.DIRECTION_SET_NAME;
        byte[] bin = Files.readAllBytes(GOLDEN.resolve(name + ".bin"));
        JsonObject json = JsonParser.parseString(Files.readString(GOLDEN.resolve(name + ".json"),
                StandardCharsets.UTF_8)).getAsJsonObject();
        DirectionSetEnvelope e = DirectionSetEnvelope.parseFrom(bin);
        JsonObject env = json.getAsJsonObject("envelope");
        assertEquals(env.get("schema_version").getAsInt(), e.getSchemaVersion());
        assertEquals(env.get("model_id").getAsString(), e.getModelId());
        assertEquals(env.get("version").getAsLong(), e.getVersion());
        assertEquals(env.get("sha256").getAsString(), e.getSha256());
        assertEquals(env.get("payload_size").getAsInt(), e.getPayload().size());
        DirectionSet.Builder fromJson = DirectionSet.newBuilder();
        JsonFormat.parser().merge(json.get("payload").toString(), fromJson);
        assertEquals(fromJson.build(), DirectionSet.parseFrom(e.getPayload()), "payload JSON vs payload bytes");
        TestModels.assertDeepEquals(GoldenVectors.directionSet(), DirectionSetCodec.open(bin), "golden model");
    }

    private static TreeSet<String> names(Path dir) throws Exception {
        List<String> out = new ArrayList<>();
        if (!Files.isDirectory(dir)) fail("no directory " + dir.toAbsolutePath() + UPDATE_HINT);
        try (Stream<Path> s = Files.list(dir)) {
            s.forEach(p -> out.add(p.getFileName().toString()));
        }
        return new TreeSet<>(out);
    }
}
