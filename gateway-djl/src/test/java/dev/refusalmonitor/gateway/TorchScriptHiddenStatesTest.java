package dev.refusalmonitor.gateway;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.TreeMap;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The TorchScript path with a tiny model written here by hand (no PyTorch in Python is available to script one): a
 * TorchScript archive is a zip of pickled module state plus the module's TorchScript source. Its forward returns
 * three "layers" per token: h0 = input_id · 1⁴, h1 = h0 + mask, h2 = 2 · h1, so every value is known.
 */
class TorchScriptHiddenStatesTest {
    private static final String CODE = """
            class Model(Module):
              __parameters__ = []
              __buffers__ = []
              training : bool
              def forward(self: __torch__.Model,
                input_ids: Tensor,
                attention_mask: Tensor) -> Tuple[Tensor, Tensor, Tensor]:
                x = torch.unsqueeze(torch.to(input_ids, 6), -1)
                m = torch.unsqueeze(torch.to(attention_mask, 6), -1)
                h0 = torch.mul(x, torch.ones([1, 1, 4]))
                h1 = torch.add(h0, m)
                h2 = torch.mul(h1, 2.)
                return (h0, h1, h2)
            """;

    static Path writeTinyModel(Path file) throws IOException {
        // Pickle protocol 2: __torch__.Model() with state {"training": False}; constants = ().
        byte[] data = concat(new byte[]{(byte) 0x80, 2}, ascii("c__torch__\nModel\n"), new byte[]{')', (byte) 0x81, '}', '(', 'X', 8, 0, 0, 0},
                ascii("training"), new byte[]{(byte) 0x89, 'u', 'b', '.'});
        try (OutputStream os = Files.newOutputStream(file); ZipOutputStream z = new ZipOutputStream(os)) {
            entry(z, "archive/data.pkl", data);
            entry(z, "archive/constants.pkl", new byte[]{(byte) 0x80, 2, ')', '.'});
            entry(z, "archive/code/__torch__.py", ascii(CODE));
            entry(z, "archive/version", ascii("3\n"));
        }
        return file;
    }

    @Test
    void shouldReturnEveryOutputOfATorchScriptModelAsALayer(@TempDir Path dir) throws Exception {
        Path model = writeTinyModel(dir.resolve("tiny.pt"));
        Path tokenizer = dir.resolve("tokenizer.json");
        try (InputStream in = getClass().getClassLoader().getResourceAsStream(ModelSpec.MINILM_TOKENIZER_RESOURCE)) {
            Files.copy(in, tokenizer);
        }
        try (TransformerHiddenStates m = TransformerHiddenStates.open(new ModelSpec("tiny", model, tokenizer, new TreeMap<>(), 512, 4))) {
            assertArrayEquals(new int[]{0, 1, 2}, m.layers());
            assertEquals(4, m.hiddenSize());
            TokenHiddenStates raw = m.tokenStates("hello world");
            // [CLS] hello world [SEP] = 101, 7592, 2088, 102 in the MiniLM vocabulary.
            double meanId = (101 + 7592 + 2088 + 102) / 4.0;
            PooledHiddenStates s = m.embed(List.of("hello world", "a much longer prompt than the first one"), TokenPooling.MEAN);
            assertEquals(4, raw.tokens());
            assertEquals(meanId, s.vector(0, 0)[0], 1e-3);
            // Padding in the batch must not leak into the mean: h1 = h0 + 1 over real tokens only.
            assertEquals(meanId + 1, s.vector(0, 1)[3], 1e-3);
            assertEquals(2 * (meanId + 1), s.vector(0, 2)[2], 1e-3);
            PooledHiddenStates last = m.embed(List.of("hello world"), TokenPooling.LAST_TOKEN);
            assertEquals(102f, last.vector(0, 0)[1], 0f);
        }
    }

    private static void entry(ZipOutputStream z, String name, byte[] bytes) throws IOException {
        z.putNextEntry(new ZipEntry(name));
        z.write(bytes);
        z.closeEntry();
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    private static byte[] concat(byte[]... parts) {
        int n = 0;
        for (byte[] p : parts) n += p.length;
        byte[] out = new byte[n];
        int off = 0;
        for (byte[] p : parts) {
            System.arraycopy(p, 0, out, off, p.length);
            off += p.length;
        }
        return out;
    }
}
