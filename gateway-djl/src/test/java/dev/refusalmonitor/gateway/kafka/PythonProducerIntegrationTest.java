package dev.refusalmonitor.gateway.kafka;

import dev.refusalmonitor.activations.NpyArray;
import dev.refusalmonitor.activations.NpyDType;
import dev.refusalmonitor.activations.NpyReader;
import dev.refusalmonitor.activations.NpyWriter;
import dev.refusalmonitor.embedded.EmbeddedKafkaCluster;
import dev.refusalmonitor.schemas.DecodedHiddenState;
import dev.refusalmonitor.schemas.TensorCodec;
import dev.refusalmonitor.schemas.v1.DType;
import dev.refusalmonitor.schemas.v1.HarmLabel;
import dev.refusalmonitor.schemas.v1.HiddenState;
import dev.refusalmonitor.schemas.v1.LayerActivation;
import dev.refusalmonitor.schemas.v1.TokenPosition;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The Python producer (clients/python, kafka-python 2.0.2 from Debian) publishes to a real Kafka 4.3 broker; the
 * Java side consumes, decodes with the monitor's decoder and compares every float bit for bit with what Python says
 * it sent (its --sent-npy) and with Java's own narrowing of the same input.
 */
class PythonProducerIntegrationTest {
    static final String PYTHON = System.getProperty("oracle.python", "/usr/bin/python3");
    static final String INSTALL_HINT = "the Python producer test needs Debian's " + PYTHON
            + " with numpy and kafka-python: apt-get install -y python3-numpy python3-kafka";
    private static final int N = 6;
    private static final int[] LAYERS = {0, 12, 31};
    private static final int D = 64;

    private static EmbeddedKafkaCluster kafka;

    @BeforeAll
    static void startBroker() {
        kafka = EmbeddedKafkaCluster.startDefault();
    }

    @AfterAll
    static void stopBroker() {
        if (kafka != null) kafka.close();
    }

    /** clients/python, found from the module directory Surefire runs in. */
    static Path clientDir() {
        Path here = Path.of("").toAbsolutePath();
        for (Path p = here; p != null; p = p.getParent()) {
            Path c = p.resolve("clients/python/refusal_monitor_producer");
            if (Files.isDirectory(c)) return c.getParent();
        }
        throw new IllegalStateException("clients/python not found above " + here);
    }

    private static String run(Path work, List<String> args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(PYTHON);
        cmd.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(work.toFile()).redirectErrorStream(true);
        pb.environment().put("PYTHONPATH", clientDir().toString());
        pb.environment().put("PYTHONDONTWRITEBYTECODE", "1");
        Process proc;
        try {
            proc = pb.start();
        } catch (IOException e) {
            fail(PYTHON + " cannot be started (" + e.getMessage() + "): " + INSTALL_HINT);
            throw e;
        }
        proc.getOutputStream().close();
        byte[] out = proc.getInputStream().readAllBytes();
        if (!proc.waitFor(2, TimeUnit.MINUTES)) {
            proc.destroyForcibly();
            fail("python producer did not finish within 2 minutes");
        }
        String text = new String(out, StandardCharsets.UTF_8);
        if (proc.exitValue() != 0) fail("python exited with " + proc.exitValue() + ":\n" + text);
        return text;
    }

    /** Fails (never skips) with an install hint when the interpreter lacks numpy or kafka-python. */
    private static void requirePythonPackages(Path work) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(PYTHON, "-c", "import numpy, kafka").directory(work.toFile())
                .redirectErrorStream(true);
        Process proc;
        try {
            proc = pb.start();
        } catch (IOException e) {
            fail(PYTHON + " cannot be started (" + e.getMessage() + "): " + INSTALL_HINT);
            return;
        }
        String out = new String(proc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!proc.waitFor(1, TimeUnit.MINUTES)) {
            proc.destroyForcibly();
            fail(PYTHON + " did not start within a minute");
        }
        if (proc.exitValue() != 0) fail(INSTALL_HINT + "\n" + out);
    }

    /** Random values plus ones that sit exactly on bf16/f16 rounding ties, and values past the f16 range. */
    private static float[] input() {
        Random rnd = new Random(42);
        float[] x = new float[N * LAYERS.length * D];
        for (int i = 0; i < x.length; i++) x[i] = (float) (rnd.nextGaussian() * Math.pow(10, rnd.nextInt(7) - 3));
        x[0] = Float.intBitsToFloat(0x3F808000);   // bf16 tie, rounds down to even
        x[1] = Float.intBitsToFloat(0x3F818000);   // bf16 tie, rounds up to even
        x[2] = Float.intBitsToFloat(0x3F801000);   // f16 tie
        x[3] = 1e-7f;                              // f16 subnormal
        x[4] = -70000f;                            // beyond f16: -inf in f16 (the monitor would dead-letter it)
        return x;
    }

    @ParameterizedTest
    @ValueSource(strings = {"f32", "f16", "bf16"})
    void recordsPublishedFromPythonDecodeBitExactInJava(String dtype, @TempDir Path work) throws Exception {
        requirePythonPackages(work);
        String topic = "python-" + dtype;
        KafkaTestSupport.createTopics(kafka.bootstrapServers(), topic);
        float[] x = input();
        if (dtype.equals("f16")) x[4] = -7000f;      // keep every record finite, or the decoder refuses it
        Path in = work.resolve("in.npy");
        Path sent = work.resolve("sent.npy");
        NpyWriter.write(in, new NpyArray(new int[]{N, LAYERS.length, D}, x, NpyDType.F32));
        String bootstrap = kafka.bootstrapServers().replace("localhost", "127.0.0.1");
        String out = run(work, List.of("-m", "refusal_monitor_producer", "--bootstrap-servers", bootstrap,
                "--topic", topic, "--input", in.toString(), "--layers", "0,12,31", "--dtype", dtype,
                "--model-id", "meta-llama/Llama-3.1-8B-Instruct", "--model-revision", "0e9e39f",
                "--request-id-prefix", "py-", "--label", "harmful", "--category", "weapons",
                "--sent-npy", sent.toString()));
        assertTrue(out.contains("published " + N + " records"), out);

        List<ConsumerRecord<String, byte[]>> records = KafkaTestSupport.readAll(kafka.bootstrapServers(), topic, N,
                Duration.ofSeconds(30));
        Map<String, DecodedHiddenState> got = KafkaTestSupport.decodeAll(records);
        assertEquals(N, got.size());
        NpyArray sentValues = NpyReader.read(sent);
        assertArrayEquals(new int[]{N, LAYERS.length, D}, sentValues.shape());
        DType wire = switch (dtype) {
            case "f16" -> DType.D_TYPE_F16;
            case "bf16" -> DType.D_TYPE_BF16;
            default -> DType.D_TYPE_F32;
        };
        for (ConsumerRecord<String, byte[]> r : records) {
            HiddenState msg = HiddenState.parseFrom(r.value());
            for (LayerActivation la : msg.getLayersList()) assertEquals(wire, la.getDtype(), r.key());
        }
        for (int i = 0; i < N; i++) {
            DecodedHiddenState s = got.get("py-" + i);
            assertEquals("meta-llama/Llama-3.1-8B-Instruct", s.modelId());
            assertEquals("0e9e39f", s.modelRevision());
            assertEquals(TokenPosition.TOKEN_POSITION_LAST_PROMPT_TOKEN, s.tokenPosition());
            assertEquals(HarmLabel.HARM_LABEL_HARMFUL, s.labels().getHarm());
            assertEquals("weapons", s.labels().getCategory());
            assertArrayEquals(LAYERS, s.layerIndices());
            for (int k = 0; k < LAYERS.length; k++) {
                int off = (i * LAYERS.length + k) * D;
                // Java's own narrowing of the same float32 input, widened back.
                float[] javaNarrowed = TensorCodec.decode(TensorCodec.layerActivation(LAYERS[k],
                        java.util.Arrays.copyOfRange(x, off, off + D), wire));
                float[] decoded = s.layer(LAYERS[k]);
                for (int j = 0; j < D; j++) {
                    int bits = Float.floatToRawIntBits(decoded[j]);
                    String where = "request py-" + i + " layer " + LAYERS[k] + " element " + j;
                    assertEquals(Float.floatToRawIntBits(sentValues.data()[off + j]), bits, where + " vs Python's sent values");
                    assertEquals(Float.floatToRawIntBits(javaNarrowed[j]), bits, where + " vs Java's narrowing");
                }
            }
        }
    }
}
