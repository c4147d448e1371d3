package dev.refusalmonitor.gateway.cli;

import dev.refusalmonitor.activations.ActivationSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class GatewayCliTest {
    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int run(String... args) {
        return GatewayCli.commandLine(new PrintWriter(out, true), new PrintWriter(err, true)).execute(args);
    }

    @Test
    void shouldPrintHelpForEveryCommand() {
        assertEquals(0, run("--help"));
        assertTrue(out.toString().contains("embed") && out.toString().contains("publish"));
        assertEquals(0, run("embed", "--help"));
        assertTrue(out.toString().contains("--layer-name"));
        assertEquals(0, run("publish", "--help"));
        assertTrue(out.toString().contains("--bootstrap-servers"));
        assertEquals(0, run("vllm-bridge", "--help"));
        assertTrue(out.toString().contains("--watch-dir") && out.toString().contains("--axis-layers"));
    }

    @Test
    void shouldEmbedPromptsToAnNpyOfSelectedLayers(@TempDir Path dir) throws IOException {
        Path prompts = dir.resolve("p.json");
        Files.writeString(prompts, "[{\"instruction\": \"Bake a cake\", \"category\": null},"
                + " {\"instruction\": \"Fix a bike\", \"category\": null}]");
        Path npy = dir.resolve("harmless.npy");
        assertEquals(0, run("embed", "--prompts", prompts.toString(), "--label", "harmless", "--layers", "0,2,6",
                "--pooling", "last", "--out", npy.toString()), err.toString());
        ActivationSet set = ActivationSet.load(npy);
        assertEquals(2, set.n());
        assertEquals(384, set.d());
        // The .npy has no layer indices: its layer axis reads back as 0..L-1.
        assertArrayEquals(new int[]{0, 1, 2}, set.layers());
        assertTrue(out.toString().contains("layers [0, 2, 6]"), out.toString());
    }

    @Test
    void shouldRejectBadInputWithAOneLineMessage(@TempDir Path dir) throws IOException {
        Path prompts = dir.resolve("p.json");
        Files.writeString(prompts, "[{\"instruction\": \"ok\"}, {\"instruction\": \"\"}]");
        Path npy = dir.resolve("x.npy");
        assertEquals(2, run("embed", "--prompts", prompts.toString(), "--out", npy.toString()));
        assertTrue(err.toString().contains("prompt 1 is empty"), err.toString());
        assertFalse(Files.exists(npy));

        Path good = dir.resolve("good.json");
        Files.writeString(good, "[{\"instruction\": \"ok\"}]");
        assertEquals(2, run("embed", "--prompts", good.toString(), "--out", npy.toString(),
                "--layer-name", "3=/encoder/layer.7/output/LayerNorm/Add_1_output_0"));
        assertTrue(err.toString().contains("layer 3: "), err.toString());

        assertEquals(2, run("embed", "--prompts", good.toString(), "--out", npy.toString(),
                "--model", dir.resolve("missing.onnx").toString(), "--tokenizer", dir.resolve("t.json").toString(),
                "--layer-name", "1=x"));
        assertTrue(err.toString().contains("does not exist"), err.toString());

        assertEquals(2, run("embed", "--prompts", good.toString(), "--out", npy.toString(), "--pooling", "max"));
        assertEquals(2, run("embed", "--prompts", dir.resolve("none.json").toString(), "--out", npy.toString()));
        assertTrue(err.toString().contains("none.json does not exist"), err.toString());
        assertFalse(Files.exists(npy));
    }
}
