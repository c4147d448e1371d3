package dev.refusalmonitor.trainer.service;

import dev.refusalmonitor.contract.SizeLimits;

import dev.refusalmonitor.embedded.EmbeddedKafkaCluster;
import dev.refusalmonitor.contract.directions.DirectionSetModel;
import dev.refusalmonitor.math.fit.RocAuc;
import dev.refusalmonitor.math.score.DirectionSetScorer;
import dev.refusalmonitor.math.score.Scores;
import dev.refusalmonitor.math.synthetic.PlantedTruthSpec;
import dev.refusalmonitor.math.synthetic.SyntheticActivations;
import dev.refusalmonitor.schemas.DirectionSetCodec;
import dev.refusalmonitor.schemas.HiddenStateBuilder;
import dev.refusalmonitor.schemas.v1.HarmLabel;
import dev.refusalmonitor.schemas.v1.ResponseLabel;
import dev.refusalmonitor.trainer.publish.DirectionsCatalog;
import dev.refusalmonitor.trainer.publish.PublishedSet;
import dev.refusalmonitor.trainer.publish.SetTooLargeException;
import dev.refusalmonitor.trainer.publish.VersionedPublisher;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The trainer against a real in-JVM KRaft broker: samples in, gated versioned sets out. */
@Timeout(300)
class TrainerServiceIntegrationTest {
    static final int D = 32;
    static final int N = 120;
    private static EmbeddedKafkaCluster kafka;

    @TempDir
    Path tmp;

    @BeforeAll
    static void startBroker() {
        kafka = EmbeddedKafkaCluster.builder().brokerProperty("message.max.bytes", 64 * 1024 * 1024 + 1024).build();
        kafka.start();
    }

    @AfterAll
    static void stopBroker() {
        if (kafka != null) kafka.close();
    }

    static Properties client() {
        Properties p = new Properties();
        p.put("bootstrap.servers", kafka.bootstrapServers());
        return p;
    }

    static void createTopic(String name) throws Exception {
        try (Admin a = Admin.create(client())) {
            a.createTopics(List.of(new NewTopic(name, 1, (short) 1))).all().get(30, java.util.concurrent.TimeUnit.SECONDS);
        }
    }

    /** Labelled samples of a planted-truth model (3 layers), in a fixed order: harmful and harmless alternate. */
    static List<byte[]> samples(String model, int n, long seed) {
        SyntheticActivations.Sample s = SyntheticActivations.generate(PlantedTruthSpec.of(n, n, D, 3, seed));
        List<byte[]> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(record(model, "h" + seed + "-" + i, s.harmful(), i, HarmLabel.HARM_LABEL_HARMFUL));
            out.add(record(model, "s" + seed + "-" + i, s.harmless(), i, HarmLabel.HARM_LABEL_HARMLESS));
        }
        return out;
    }

    private static byte[] record(String model, String id, float[][] perLayer, int row, HarmLabel harm) {
        HiddenStateBuilder b = HiddenStateBuilder.create(id, model);
        for (int l = 0; l < perLayer.length; l++)
            b.layer(l, java.util.Arrays.copyOfRange(perLayer[l], row * D, (row + 1) * D));
        return b.labels(harm, ResponseLabel.RESPONSE_LABEL_UNSPECIFIED, "", "test").toByteArray();
    }

    static void produce(String topic, List<byte[]> values) throws Exception {
        try (KafkaProducer<String, byte[]> p = new KafkaProducer<>(client(), new StringSerializer(), new ByteArraySerializer())) {
            for (byte[] v : values) p.send(new ProducerRecord<>(topic, null, v)).get();
        }
    }

    /** Every record on {@code topic}, read by a plain consumer. */
    static List<ConsumerRecord<String, byte[]>> readAll(String topic) {
        Properties p = client();
        p.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, "70000000");
        List<ConsumerRecord<String, byte[]>> out = new ArrayList<>();
        try (KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(p, new StringDeserializer(), new ByteArrayDeserializer())) {
            TopicPartition tp = new TopicPartition(topic, 0);
            c.assign(List.of(tp));
            c.seekToBeginning(List.of(tp));
            long end = c.endOffsets(List.of(tp)).get(tp);
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (c.position(tp) < end && System.nanoTime() < deadline)
                c.poll(Duration.ofMillis(200)).forEach(out::add);
        }
        return out;
    }

    static void await(String what, Duration limit, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + limit.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) throw new AssertionError("timed out waiting for " + what);
            Thread.sleep(50); // a poll interval, not a wait for an outcome
        }
    }

    private TrainerSettings settings(String prefix, long refitAfter) {
        return TrainerSettings.defaults(kafka.bootstrapServers())
                .withTopics(prefix + ".samples", prefix + ".directions", prefix + ".history", prefix + "-trainer")
                .withRefit(1000, refitAfter, Duration.ZERO)
                .withOutput(tmp.resolve("reports"), 0, SizeLimits.DEFAULT_MAX_SET_BYTES);
    }

    /**
     * Probe AUC of {@code set} on fresh rows of the same planted model: the same seed gives the same geometry; rows
     * past the first N of each class were never produced to the topic.
     */
    static double probeAuc(DirectionSetModel set, long seed) {
        SyntheticActivations.Sample s = SyntheticActivations.generate(PlantedTruthSpec.of(400 + N, 400 + N, D, 3, seed));
        DirectionSetScorer scorer = new DirectionSetScorer(set);
        DirectionSetScorer.Scratch scratch = scorer.newScratch();
        Scores out = new Scores();
        double[] p = new double[800];
        boolean[] y = new boolean[800];
        for (int i = 0; i < 800; i++) {
            boolean h = i < 400;
            int r = N + (h ? i : i - 400);
            float[][] x = new float[3][];
            for (int l = 0; l < 3; l++) x[l] = java.util.Arrays.copyOfRange(h ? s.harmful()[l] : s.harmless()[l], r * D, (r + 1) * D);
            scorer.score(new int[]{0, 1, 2}, x, DirectionSetScorer.MahalanobisMode.AUTO, scratch, out);
            p[i] = out.probeProbability;
            y[i] = h;
        }
        return RocAuc.auc(p, y);
    }

    @Test
    void shouldPublishAValidatedSetFromLabelledSamplesAndSkipMalformedOnes() throws Exception {
        String prefix = "pub";
        createTopic(prefix + ".samples");
        List<byte[]> values = new ArrayList<>(samples("llama", N, 42));
        float[] nan = new float[D];
        nan[0] = Float.NaN;
        List<byte[]> bad = List.of(new byte[]{9, 9, 9},
                HiddenStateBuilder.create("u", "llama").layer(0, new float[D]).layer(1, new float[D]).layer(2, new float[D]).toByteArray(),
                HiddenStateBuilder.create("n", "llama").layer(0, nan).layer(1, new float[D]).layer(2, new float[D])
                        .labels(HarmLabel.HARM_LABEL_HARMFUL, ResponseLabel.RESPONSE_LABEL_REFUSED, "", "").toByteArray(),
                HiddenStateBuilder.create("w", "llama").layer(0, new float[D + 3]).layer(1, new float[D + 3]).layer(2, new float[D + 3])
                        .labels(HarmLabel.HARM_LABEL_HARMLESS, ResponseLabel.RESPONSE_LABEL_COMPLIED, "", "").toByteArray());
        // Malformed samples after the first valid one (which fixes the reservoir's d) and at the end.
        values.addAll(1, bad);
        values.addAll(bad);
        produce(prefix + ".samples", values);
        try (TrainerService t = new TrainerService(settings(prefix, 2L * N))) {
            t.start();
            await("a refit", Duration.ofSeconds(120), () -> t.lastRefit("llama") != null);
            assertEquals(N, t.intake().reservoir("llama").stats().harmful());
            assertEquals(N, t.intake().reservoir("llama").stats().harmless());
            TrainerMetrics m = t.metrics();
            assertEquals(2 * N, m.samples("accepted", "none"), 0);
            assertEquals(2, m.samples("skipped", "malformed"), 0);
            assertEquals(2, m.samples("skipped", "missing_label"), 0);
            assertEquals(2, m.samples("skipped", "non_finite"), 0);
            assertEquals(2, m.samples("skipped", "wrong_dim"), 0);
            RefitResult r = t.lastRefit("llama");
            assertEquals(RefitResult.Outcome.PUBLISHED, r.outcome(), r::message);
            assertEquals(1, r.version());
            assertTrue(Files.readString(r.reportFile()).contains("\"gate\""));

            String metrics = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + t.httpPort() + "/metrics")).build(), HttpResponse.BodyHandlers.ofString()).body();
            assertTrue(metrics.contains("refusal_trainer_samples_total{outcome=\"skipped\",reason=\"non_finite\"} 2.0"), metrics);
            assertTrue(metrics.contains("refusal_trainer_reservoir_memory_bytes{model=\"llama\"}"), metrics);
            assertEquals(200, HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + t.httpPort() + "/healthz")).build(), HttpResponse.BodyHandlers.ofString()).statusCode());
        }
        List<ConsumerRecord<String, byte[]>> onTopic = readAll(prefix + ".directions");
        assertEquals(1, onTopic.size());
        assertEquals("llama", onTopic.get(0).key());
        DirectionSetModel set = DirectionSetCodec.open(onTopic.get(0).value());
        assertEquals(1, set.version());
        assertEquals(D, set.d());
        assertEquals(N, set.harmfulCount());
        assertTrue(set.reportJson().contains("\"gate\"") && set.reportJson().contains("\"passed\" : true"), set.reportJson());
        double auc = probeAuc(set, 42);
        assertTrue(auc > 0.9, "probe AUC on fresh planted rows: " + auc);
        assertEquals(1, readAll(prefix + ".history").size());
        assertEquals("llama:1", readAll(prefix + ".history").get(0).key());
    }

    @Test
    void shouldPublishNothingWhenTheGateFailsAndSayWhy() throws Exception {
        String prefix = "gate";
        createTopic(prefix + ".samples");
        produce(prefix + ".samples", samples("qwen", N, 7));
        try (TrainerService t = new TrainerService(settings(prefix, 0).withGate(1.01, 0.05, 0.02))) {
            t.start();
            await("every sample in the reservoir", Duration.ofSeconds(60), () ->
                    t.intake().reservoir("qwen") != null && t.intake().reservoir("qwen").stats().harmless() == N);
            RefitResult r = t.refit("qwen");
            assertEquals(RefitResult.Outcome.REJECTED, r.outcome());
            assertEquals(1, t.metrics().gateFailures(GateResult.AUC_BELOW_FLOOR), 0);
            assertFalse(r.report().gate().passed());
            String json = Files.readString(r.reportFile());
            assertTrue(json.contains("auc_below_floor") && json.contains("--min-auc") && json.contains("\"published\" : false"), json);
            assertTrue(t.scrape().contains("refusal_trainer_gate_failures_total{reason=\"auc_below_floor\"} 1.0"));
        }
        assertEquals(0, readAll(prefix + ".directions").size());
        assertEquals(0, readAll(prefix + ".history").size());
    }

    @Test
    void shouldContinueTheVersionSequenceAfterARestartAndRollBack() throws Exception {
        String prefix = "restart";
        createTopic(prefix + ".samples");
        produce(prefix + ".samples", samples("mistral", N, 3));
        DirectionSetModel v1;
        try (TrainerService t = new TrainerService(settings(prefix, 0))) {
            t.start();
            await("samples", Duration.ofSeconds(60), () ->
                    t.intake().reservoir("mistral") != null && t.intake().reservoir("mistral").stats().harmless() == N);
            assertEquals(1, t.refit("mistral").version());
            v1 = t.inForce("mistral");
            assertEquals(2, t.refit("mistral").version());
        }
        // A new trainer on the same topics: it replays the samples and reads version 2 as in force.
        try (TrainerService t = new TrainerService(settings(prefix, 0))) {
            t.start();
            assertEquals(2, t.inForce("mistral").version());
            await("samples replayed", Duration.ofSeconds(60), () ->
                    t.intake().reservoir("mistral") != null && t.intake().reservoir("mistral").stats().harmless() == N);
            RefitResult r = t.refit("mistral");
            assertEquals(RefitResult.Outcome.PUBLISHED, r.outcome(), r::message);
            assertEquals(3, r.version());
            assertEquals("compared", r.report().gate().comparison());
            assertEquals(2, r.report().gate().inForceVersion());
        }
        Properties c = client();
        try (VersionedPublisher p = new VersionedPublisher(c, prefix + ".directions", prefix + ".history",
                SizeLimits.DEFAULT_MAX_SET_BYTES, Duration.ofSeconds(30))) {
            VersionedPublisher.Published back = p.rollback("mistral", 1);
            assertEquals(4, back.version());
        }
        Map<String, PublishedSet> inForce = DirectionsCatalog.inForce(c, prefix + ".directions", Duration.ofSeconds(30));
        DirectionSetModel now = inForce.get("mistral").set();
        assertEquals(4, now.version());
        DirectionSetModel v1Read = DirectionsCatalog.fromHistory(c, prefix + ".history", "mistral", 1, Duration.ofSeconds(30)).set();
        // Same content apart from version and created-at.
        assertEquals(DirectionSetCodec.toProto(v1Read.withVersion(9, 0)), DirectionSetCodec.toProto(now.withVersion(9, 0)));
        assertEquals(v1.reportJson(), now.reportJson());
        assertEquals(4, DirectionsCatalog.history(c, prefix + ".history", "mistral", Duration.ofSeconds(30)).size());
    }

    @Test
    void shouldRefuseASetLargerThanTheMaximumBeforeTheBroker() throws Exception {
        String prefix = "large";
        createTopic(prefix + ".samples");
        produce(prefix + ".samples", samples("big", N, 5));
        try (TrainerService t = new TrainerService(settings(prefix, 0).withOutput(tmp.resolve("r2"), -1, 4096))) {
            t.start();
            await("samples", Duration.ofSeconds(60), () ->
                    t.intake().reservoir("big") != null && t.intake().reservoir("big").stats().harmless() == N);
            RefitResult r = t.refit("big");
            assertEquals(RefitResult.Outcome.REJECTED, r.outcome());
            assertTrue(r.message().contains("--exact-max-dim") && r.message().contains("4,096"), r.message());
            assertEquals(1, t.metrics().gateFailures(GateResult.SET_TOO_LARGE), 0);
        }
        assertEquals(0, readAll(prefix + ".directions").size());
        SetTooLargeException e = new SetTooLargeException("m", 4096, 2, true, 67_200_000L, SizeLimits.DEFAULT_MAX_SET_BYTES);
        assertTrue(e.getMessage().contains("33,562,624 bytes per layer"), e.getMessage());
        assertNotNull(assertThrows(IllegalArgumentException.class, () -> new VersionedPublisher(client(), "x", "y", 10, Duration.ofSeconds(1))));
    }
}
