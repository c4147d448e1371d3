package dev.refusalmonitor.gateway.kafka;

import dev.refusalmonitor.contract.HalfFloats;
import dev.refusalmonitor.activations.LoadOptions;
import dev.refusalmonitor.activations.Pooling;
import dev.refusalmonitor.activations.SafetensorsDType;
import dev.refusalmonitor.activations.SafetensorsWriter;
import dev.refusalmonitor.embedded.EmbeddedKafkaCluster;
import dev.refusalmonitor.gateway.GatewayException;
import dev.refusalmonitor.gateway.HiddenStatePublisher;
import dev.refusalmonitor.gateway.cli.GatewayCli;
import dev.refusalmonitor.gateway.vllm.VllmBridge;
import dev.refusalmonitor.schemas.DecodedHiddenState;
import dev.refusalmonitor.schemas.v1.TokenPosition;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code gateway vllm-bridge} against a real in-JVM KRaft broker, with files in vLLM's export format. */
class VllmBridgeIntegrationTest {
    private static final int SEQ = 5;
    private static final int[] AXIS = {2, 8, 16};   // eagle_aux_hidden_state_layer_ids of the "server"
    private static final int D = 24;

    private static EmbeddedKafkaCluster kafka;

    @BeforeAll
    static void startBroker() {
        kafka = EmbeddedKafkaCluster.startDefault();
    }

    @AfterAll
    static void stopBroker() {
        if (kafka != null) kafka.close();
    }

    /** hidden_states [seq, layers, hidden] with distinct values per file, as vLLM writes them. */
    private static float[] writeVllmFile(Path file, SafetensorsDType dtype, long seed) throws Exception {
        Random rnd = new Random(seed);
        float[] hs = new float[SEQ * AXIS.length * D];
        for (int i = 0; i < hs.length; i++) hs[i] = (float) rnd.nextGaussian() * 3;
        long[] ids = new long[SEQ];
        for (int i = 0; i < SEQ; i++) ids[i] = 100 + rnd.nextInt(30000);
        new SafetensorsWriter()
                .addLongs("token_ids", SafetensorsDType.I64, new int[]{SEQ}, ids)
                .addFloats("hidden_states", dtype, new int[]{SEQ, AXIS.length, D}, hs)
                .write(file);
        if (dtype == SafetensorsDType.BF16)
            for (int i = 0; i < hs.length; i++) hs[i] = HalfFloats.bf16ToFloat(HalfFloats.floatToBf16(hs[i]));
        return hs;
    }

    private static float[] lastToken(float[] hs, int axisIndex) {
        float[] v = new float[D];
        System.arraycopy(hs, ((SEQ - 1) * AXIS.length + axisIndex) * D, v, 0, D);
        return v;
    }

    private static float[] mean(float[] hs, int axisIndex) {
        float[] v = new float[D];
        for (int j = 0; j < D; j++) {
            double s = 0;
            for (int t = 0; t < SEQ; t++) s += hs[(t * AXIS.length + axisIndex) * D + j];
            v[j] = (float) (s / SEQ);
        }
        return v;
    }

    private static void assertBits(float[] want, float[] got, String what) {
        assertEquals(want.length, got.length, what);
        for (int j = 0; j < want.length; j++)
            assertEquals(Float.floatToRawIntBits(want[j]), Float.floatToRawIntBits(got[j]), what + " element " + j);
    }

    private static VllmBridge bridge(Path watch, String topic, Pooling pooling, int... keep) throws Exception {
        LoadOptions load = new LoadOptions(pooling, AXIS, keep.length == 0 ? null : keep);
        VllmBridge.Options o = new VllmBridge.Options(watch, watch.resolve("done"), watch.resolve("failed"), topic,
                "Qwen/Qwen3-8B", "rev-1", "tenant-a", null, load, Duration.ZERO, 2, Duration.ofMillis(100));
        Properties config = HiddenStatePublisher.producerConfig(kafka.bootstrapServers(), null);
        return new VllmBridge(o, () -> new HiddenStatePublisher(config));
    }

    @Test
    void shouldPublishEachFileAndMoveItToDoneOnlyAfterTheAck(@TempDir Path watch) throws Exception {
        String topic = "vllm-files";
        KafkaTestSupport.createTopics(kafka.bootstrapServers(), topic);
        float[] a = writeVllmFile(watch.resolve("cmpl-a.safetensors"), SafetensorsDType.BF16, 1);
        float[] b = writeVllmFile(watch.resolve("cmpl-b.safetensors"), SafetensorsDType.F32, 2);

        VllmBridge.PollResult r = bridge(watch, topic, Pooling.LAST_TOKEN, 16, 2).pollOnce();
        assertEquals(new VllmBridge.PollResult(2, 0, 0), r);
        assertFalse(Files.exists(watch.resolve("cmpl-a.safetensors")));
        assertTrue(Files.exists(watch.resolve("done/cmpl-a.safetensors")));
        assertTrue(Files.exists(watch.resolve("done/cmpl-b.safetensors")));

        Map<String, DecodedHiddenState> got = KafkaTestSupport.decodeAll(
                KafkaTestSupport.readAll(kafka.bootstrapServers(), topic, 2, Duration.ofSeconds(30)));
        assertEquals(2, got.size());
        DecodedHiddenState sa = got.get("cmpl-a");
        assertArrayEquals(new int[]{2, 16}, sa.layerIndices());
        assertEquals(TokenPosition.TOKEN_POSITION_LAST_PROMPT_TOKEN, sa.tokenPosition());
        assertEquals(SEQ, sa.promptTokens());
        assertEquals("Qwen/Qwen3-8B", sa.modelId());
        assertEquals("tenant-a", sa.tenant());
        assertNull(sa.labels());
        assertBits(lastToken(a, 0), sa.layer(2), "cmpl-a layer 2");
        assertBits(lastToken(a, 2), sa.layer(16), "cmpl-a layer 16");
        assertBits(lastToken(b, 0), got.get("cmpl-b").layer(2), "cmpl-b layer 2");
    }

    @Test
    void shouldPoolTheMeanOverThePrompt(@TempDir Path watch) throws Exception {
        String topic = "vllm-mean";
        KafkaTestSupport.createTopics(kafka.bootstrapServers(), topic);
        float[] a = writeVllmFile(watch.resolve("req-1.safetensors"), SafetensorsDType.F32, 3);
        assertEquals(1, bridge(watch, topic, Pooling.MEAN).pollOnce().published());
        DecodedHiddenState s = KafkaTestSupport.decodeAll(
                KafkaTestSupport.readAll(kafka.bootstrapServers(), topic, 1, Duration.ofSeconds(30))).get("req-1");
        assertEquals(TokenPosition.TOKEN_POSITION_MEAN_OVER_PROMPT, s.tokenPosition());
        assertArrayEquals(AXIS, s.layerIndices());
        for (int k = 0; k < AXIS.length; k++) assertBits(mean(a, k), s.layer(AXIS[k]), "layer " + AXIS[k]);
    }

    @Test
    void shouldMoveABadFileToFailedWithAReasonAndStillPublishTheGoodOnes(@TempDir Path watch) throws Exception {
        String topic = "vllm-bad";
        KafkaTestSupport.createTopics(kafka.bootstrapServers(), topic);
        writeVllmFile(watch.resolve("good.safetensors"), SafetensorsDType.F32, 4);
        Files.write(watch.resolve("truncated.safetensors"), new byte[]{1, 2, 3});
        new SafetensorsWriter().addFloats("x", SafetensorsDType.F32, new int[]{2}, new float[]{1, 2})
                .write(watch.resolve("not-vllm.safetensors"));

        VllmBridge.PollResult r = bridge(watch, topic, Pooling.LAST_TOKEN).pollOnce();
        assertEquals(new VllmBridge.PollResult(1, 2, 0), r);
        assertTrue(Files.exists(watch.resolve("failed/truncated.safetensors")));
        assertTrue(Files.readString(watch.resolve("failed/truncated.safetensors.reason.txt")).contains("truncated"));
        assertTrue(Files.readString(watch.resolve("failed/not-vllm.safetensors.reason.txt"))
                .contains("not a vLLM hidden-state file"));
        assertEquals(1, KafkaTestSupport.readAll(kafka.bootstrapServers(), topic, 1, Duration.ofSeconds(30)).size());
    }

    @Test
    void shouldNotSendDoneFilesAgainAfterARestart(@TempDir Path watch) throws Exception {
        String topic = "vllm-restart";
        KafkaTestSupport.createTopics(kafka.bootstrapServers(), topic);
        writeVllmFile(watch.resolve("r1.safetensors"), SafetensorsDType.F32, 5);
        assertEquals(1, bridge(watch, topic, Pooling.LAST_TOKEN).pollOnce().published());
        // A new bridge process over the same folder, and a file that arrived meanwhile.
        writeVllmFile(watch.resolve("r2.safetensors"), SafetensorsDType.F32, 6);
        assertEquals(new VllmBridge.PollResult(1, 0, 0), bridge(watch, topic, Pooling.LAST_TOKEN).pollOnce());
        assertEquals(new VllmBridge.PollResult(0, 0, 0), bridge(watch, topic, Pooling.LAST_TOKEN).pollOnce());
        // decodeAll fails on a repeated request id.
        Map<String, DecodedHiddenState> got = KafkaTestSupport.decodeAll(
                KafkaTestSupport.readAll(kafka.bootstrapServers(), topic, 2, Duration.ofSeconds(30)));
        assertEquals(java.util.Set.of("r1", "r2"), got.keySet());
    }

    @Test
    void shouldLeaveLockedAndUnsettledFilesAlone(@TempDir Path watch) throws Exception {
        String topic = "vllm-lock";
        KafkaTestSupport.createTopics(kafka.bootstrapServers(), topic);
        // vLLM re-created the lock (O_TRUNC, exclusive flock) after the data file's last write: a write is under way.
        Path data = watch.resolve("w.safetensors");
        Path lock = watch.resolve("w.safetensors.lock");
        writeVllmFile(data, SafetensorsDType.F32, 7);
        Files.createFile(lock);
        Files.setLastModifiedTime(data, FileTime.fromMillis(1_700_000_000_000L));
        Files.setLastModifiedTime(lock, FileTime.fromMillis(1_700_000_001_000L));
        VllmBridge b = bridge(watch, topic, Pooling.LAST_TOKEN);
        assertEquals(new VllmBridge.PollResult(0, 0, 1), b.pollOnce());
        assertTrue(Files.exists(data));
        // The write finished: the data file is now newer than its lock, which vLLM leaves behind.
        Files.setLastModifiedTime(data, FileTime.fromMillis(1_700_000_002_000L));
        assertEquals(new VllmBridge.PollResult(1, 0, 0), b.pollOnce());
        assertFalse(Files.exists(lock), "the leftover lock file goes with its data file");

        // With a settle time far longer than the test, a fresh file is never read.
        writeVllmFile(watch.resolve("fresh.safetensors"), SafetensorsDType.F32, 8);
        VllmBridge.Options o = new VllmBridge.Options(watch, null, watch.resolve("failed"), topic, "m", null, null, null,
                new LoadOptions(Pooling.LAST_TOKEN, AXIS, null), Duration.ofHours(1), 1, Duration.ZERO);
        Properties config = HiddenStatePublisher.producerConfig(kafka.bootstrapServers(), null);
        VllmBridge slow = new VllmBridge(o, () -> new HiddenStatePublisher(config));
        assertEquals(new VllmBridge.PollResult(0, 0, 1), slow.pollOnce());
        assertEquals(new VllmBridge.PollResult(0, 0, 1), slow.pollOnce());
        assertTrue(Files.exists(watch.resolve("fresh.safetensors")));
    }

    @Test
    void shouldTakeAFileOlderThanTheSettleTimeAtOnceAndLeaveAFreshOneForLater(@TempDir Path watch) throws Exception {
        String topic = "vllm-settle";
        KafkaTestSupport.createTopics(kafka.bootstrapServers(), topic);
        Path old = watch.resolve("old.safetensors");
        writeVllmFile(old, SafetensorsDType.F32, 12);
        Files.setLastModifiedTime(old, FileTime.fromMillis(System.currentTimeMillis() - 10_000));
        writeVllmFile(watch.resolve("fresh.safetensors"), SafetensorsDType.F32, 13);
        VllmBridge.Options o = new VllmBridge.Options(watch, watch.resolve("done"), watch.resolve("failed"), topic, "m",
                null, null, null, new LoadOptions(Pooling.LAST_TOKEN, AXIS, null), Duration.ofSeconds(5), 1, Duration.ZERO);
        Properties config = HiddenStatePublisher.producerConfig(kafka.bootstrapServers(), null);
        VllmBridge b = new VllmBridge(o, () -> new HiddenStatePublisher(config));
        // The first poll takes the old file (unchanged for 10 s > 5 s); the fresh one has to settle first.
        assertEquals(new VllmBridge.PollResult(1, 0, 1), b.pollOnce());
        assertTrue(Files.exists(watch.resolve("done/old.safetensors")));
        assertTrue(Files.exists(watch.resolve("fresh.safetensors")));
        assertEquals(java.util.Set.of("old"), KafkaTestSupport.decodeAll(
                KafkaTestSupport.readAll(kafka.bootstrapServers(), topic, 1, Duration.ofSeconds(30))).keySet());
    }

    @Test
    void theCommandLineOncePublishesFilesWrittenBeforeItWithTheDefaultSettleTime(@TempDir Path watch) throws Exception {
        String topic = "vllm-cli-once";
        KafkaTestSupport.createTopics(kafka.bootstrapServers(), topic);
        for (String name : new String[]{"done-1", "done-2"}) {
            Path f = watch.resolve(name + ".safetensors");
            writeVllmFile(f, SafetensorsDType.BF16, name.hashCode());
            Files.setLastModifiedTime(f, FileTime.fromMillis(System.currentTimeMillis() - 60_000));
        }
        // Still being written: vLLM holds its lock, re-created after the data file's last write.
        Path busy = watch.resolve("busy.safetensors");
        writeVllmFile(busy, SafetensorsDType.BF16, 14);
        Files.setLastModifiedTime(busy, FileTime.fromMillis(System.currentTimeMillis() - 60_000));
        Files.createFile(watch.resolve("busy.safetensors.lock"));
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = GatewayCli.commandLine(new PrintWriter(out, true), new PrintWriter(err, true)).execute(
                "vllm-bridge", "--watch-dir", watch.toString(), "--bootstrap-servers", kafka.bootstrapServers(),
                "--topic", topic, "--model-id", "m", "--axis-layers", "2,8,16", "--once");
        assertEquals(0, code, err.toString());
        assertTrue(out.toString().contains("published 2 file(s)"), out.toString());
        assertTrue(out.toString().contains("1 not yet complete"), out.toString());
        assertTrue(Files.exists(busy));
        assertEquals(java.util.Set.of("done-1", "done-2"), KafkaTestSupport.decodeAll(
                KafkaTestSupport.readAll(kafka.bootstrapServers(), topic, 2, Duration.ofSeconds(30))).keySet());
    }

    @Test
    void shouldKeepTheFilesAndFailClearlyWhenTheBrokerIsDown(@TempDir Path watch) throws Exception {
        writeVllmFile(watch.resolve("x.safetensors"), SafetensorsDType.F32, 9);
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        Properties overrides = new Properties();
        overrides.put("max.block.ms", "500");
        overrides.put("request.timeout.ms", "400");
        overrides.put("delivery.timeout.ms", "1000");
        overrides.put("linger.ms", "0");
        Properties config = HiddenStatePublisher.producerConfig("127.0.0.1:" + port, overrides);
        VllmBridge.Options o = new VllmBridge.Options(watch, watch.resolve("done"), watch.resolve("failed"), "t", "m",
                null, null, null, LoadOptions.DEFAULT, Duration.ZERO, 2, Duration.ofMillis(50));
        VllmBridge b = new VllmBridge(o, () -> new HiddenStatePublisher(config));
        GatewayException e = assertThrows(GatewayException.class, b::pollOnce);
        assertTrue(e.getMessage().contains("did not acknowledge 1 record(s) after 2 attempt(s)"), e.getMessage());
        assertTrue(e.getMessage().contains("127.0.0.1:" + port), e.getMessage());
        assertTrue(Files.exists(watch.resolve("x.safetensors")));
        assertFalse(Files.exists(watch.resolve("done/x.safetensors")));
    }

    @Test
    void theCommandLinePublishesOnceAndDeletesWhenAsked(@TempDir Path watch) throws Exception {
        String topic = "vllm-cli";
        KafkaTestSupport.createTopics(kafka.bootstrapServers(), topic);
        float[] a = writeVllmFile(watch.resolve("cli-1.safetensors"), SafetensorsDType.BF16, 10);
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = GatewayCli.commandLine(new PrintWriter(out, true), new PrintWriter(err, true)).execute(
                "vllm-bridge", "--watch-dir", watch.toString(), "--bootstrap-servers", kafka.bootstrapServers(),
                "--topic", topic, "--model-id", "m", "--axis-layers", "2,8,16", "--layers", "8", "--settle-ms", "0",
                "--delete-done", "--once");
        assertEquals(0, code, err.toString());
        assertTrue(out.toString().contains("published 1 file(s)"), out.toString());
        assertFalse(Files.exists(watch.resolve("cli-1.safetensors")));
        assertFalse(Files.exists(watch.resolve("done")));
        DecodedHiddenState s = KafkaTestSupport.decodeAll(
                KafkaTestSupport.readAll(kafka.bootstrapServers(), topic, 1, Duration.ofSeconds(30))).get("cli-1");
        assertArrayEquals(new int[]{8}, s.layerIndices());
        assertBits(lastToken(a, 1), s.layer(8), "layer 8");
    }

    @Test
    void theCommandLineExitsWithOneWhenTheBrokerIsDown(@TempDir Path watch) throws Exception {
        writeVllmFile(watch.resolve("y.safetensors"), SafetensorsDType.F32, 11);
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        StringWriter err = new StringWriter();
        int code = GatewayCli.commandLine(new PrintWriter(new StringWriter(), true), new PrintWriter(err, true)).execute(
                "vllm-bridge", "--watch-dir", watch.toString(), "--bootstrap-servers", "127.0.0.1:" + port,
                "--model-id", "m", "--settle-ms", "0", "--once", "--max-attempts", "1",
                "--set", "max.block.ms=500", "--set", "request.timeout.ms=400",
                "--set", "delivery.timeout.ms=1000", "--set", "linger.ms=0");
        assertEquals(1, code, err.toString());
        assertTrue(err.toString().contains("did not acknowledge"), err.toString());
        assertTrue(Files.exists(watch.resolve("y.safetensors")));
    }
}
