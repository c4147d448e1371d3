package dev.refusalmonitor.security;

import dev.refusalmonitor.activations.NpyArray;
import dev.refusalmonitor.activations.NpyDType;
import dev.refusalmonitor.activations.NpyWriter;
import dev.refusalmonitor.activations.SafetensorsDType;
import dev.refusalmonitor.activations.SafetensorsWriter;
import dev.refusalmonitor.math.synthetic.PlantedTruthSpec;
import dev.refusalmonitor.math.synthetic.SyntheticActivations;
import dev.refusalmonitor.monitor.app.MonitorApp;
import dev.refusalmonitor.monitor.config.MonitorConfig;
import dev.refusalmonitor.monitor.stream.ScoreListener;
import dev.refusalmonitor.schemas.HiddenStateBuilder;
import dev.refusalmonitor.schemas.TensorCodec;
import dev.refusalmonitor.schemas.signing.SigningKeys;
import dev.refusalmonitor.schemas.v1.DType;
import dev.refusalmonitor.schemas.v1.DeadLetter;
import dev.refusalmonitor.schemas.v1.DeadLetterReason;
import dev.refusalmonitor.schemas.v1.HarmLabel;
import dev.refusalmonitor.schemas.v1.HiddenState;
import dev.refusalmonitor.schemas.v1.LayerActivation;
import dev.refusalmonitor.schemas.v1.ResponseLabel;
import dev.refusalmonitor.schemas.v1.SafetyScore;
import com.google.protobuf.ByteString;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclBindingFilter;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;

import static dev.refusalmonitor.security.SecureKafka.GATEWAY;
import static dev.refusalmonitor.security.SecureKafka.MONITOR;
import static dev.refusalmonitor.security.SecureKafka.TRAINER;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The whole product on a broker with a SASL_SSL listener (SCRAM-SHA-512, the test's CA, host names verified) and the
 * StandardAuthorizer holding exactly the ACLs of {@code deploy/kubernetes/base/kafka/users.yaml}, each program with its
 * documented settings and its own principal:
 * <ul>
 *   <li>the Python producer (principal {@code refusal-gateway}, the Kubernetes pod's {@code KAFKA_*} environment)
 *       publishes labelled training samples and live traffic;</li>
 *   <li>{@code probe-trainer run} ({@code refusal-trainer}, a {@code --config} properties file with a PKCS12 trust store)
 *       fits them, signs the set with a key from {@code probe-trainer keygen} and publishes it to {@code directions}
 *       and {@code directions.history};</li>
 *   <li>the monitor ({@code refusal-monitor}, the base's {@code monitor.properties} and the pod's environment,
 *       exactly-once, no right to create topics) loads the signed set, scores, dead-letters and reports drift;</li>
 *   <li>{@code gateway vllm-bridge} (pod environment) and {@code gateway publish} ({@code --set} flags) publish too.</li>
 * </ul>
 * Along every path go a sentinel hidden-state value and sentinel passwords; at the end no output (logs, command output,
 * {@code /metrics} of both services, dead-letter reasons, drift reports, trainer reports, the bridge's reason files,
 * the Python producer's output) may contain either.
 */
@ExtendWith(SecureKafka.Extension.class)
@Timeout(value = 6, unit = TimeUnit.MINUTES)
class SecuredPipelineTest {
    static final String MODEL = "secured-model";
    static final int D = 32;
    static final int LAYERS = 2;
    static final int N = 60;
    /** A hidden-state value no output may show, in any of its usual spellings. */
    static final float SENTINEL_VALUE = 73519.87f;
    static final List<String> SENTINEL_SPELLINGS = List.of("73519.8", "7.35198", "7.351987");

    @Test
    void everyComponentRunsOverTlsAndScramWithExactlyItsWrittenDownAclsAndLeaksNothing(SecureKafka kafka, @TempDir Path tmp)
            throws Exception {
        AtomicReference<Run.Result> trainerRun = new AtomicReference<>();
        try (Outputs outputs = Outputs.capture()) {
            // Signing keys, as an operator makes them.
            Path keys = tmp.resolve("keys");
            Run.Result keygen = Run.trainer(Map.of(), "keygen", "--out", keys.toString());
            assertEquals(0, keygen.exitCode(), keygen::toString);
            outputs.add("probe-trainer keygen", keygen.out() + keygen.err());

            // 1. Labelled samples from the Python producer, with the pod's environment.
            SyntheticActivations.Sample sample = SyntheticActivations.generate(PlantedTruthSpec.of(N + 6, N + 6, D, LAYERS, 7));
            Path harmful = npy(tmp.resolve("harmful.npy"), sample.harmful(), 0, N, 3);
            Path harmless = npy(tmp.resolve("harmless.npy"), sample.harmless(), 0, N, -1);
            for (Object[] run : new Object[][]{{harmful, "harmful"}, {harmless, "harmless"}}) {
                Run.Result py = Run.python(kafka.kafkaEnvironment(GATEWAY), tmp, "--input", run[0].toString(),
                        "--model-id", MODEL, "--layers", "0,1", "--label", (String) run[1],
                        "--request-id-prefix", "train-" + run[1] + "-");
                outputs.add("python producer (training samples)", py.out() + py.err());
                assertEquals(0, py.exitCode(), py::toString);
                assertTrue(py.out().contains("published " + N + " records to 'training-samples'"), py::toString);
            }
            // A labelled sample the trainer must skip (non-finite), carrying the sentinel.
            float[] bad = sentinelRow(D);
            bad[1] = Float.NaN;
            produceAsGateway(kafka, "training-samples", Map.of("train-non-finite", HiddenStateBuilder.create("train-non-finite", MODEL)
                    .layer(0, bad).layer(1, sentinelRow(D))
                    .labels(HarmLabel.HARM_LABEL_HARMFUL, ResponseLabel.RESPONSE_LABEL_REFUSED, "", "test").toByteArray()));

            // 2. The monitor: the Kubernetes base's monitor.properties and the pod's environment.
            Map<String, String> monitorEnv = new LinkedHashMap<>(kafka.kafkaEnvironment(MONITOR));
            Map<String, String> monitorOverrides = Map.of(
                    "state.dir", tmp.resolve("streams").toString(),
                    MonitorConfig.HTTP_PORT, "0",
                    MonitorConfig.NUM_STREAM_THREADS, "1",
                    MonitorConfig.DIRECTIONS_TRUSTED_KEYS, keys.resolve(SigningKeys.PUBLIC_KEY_FILE).toString(),
                    MonitorConfig.DRIFT_WINDOW_SIZE, "4");
            MonitorConfig config = MonitorConfig.load(baseMonitorProperties(), monitorEnv, monitorOverrides);
            assertEquals("exactly_once_v2", config.processingGuarantee());
            MonitorApp monitor = MonitorApp.start(config, ScoreListener.NONE);
            try {
                // 3. The trainer: a --config file with a PKCS12 trust store and its password.
                Path trainerConfig = tmp.resolve("trainer-kafka.properties");
                Properties tp = new Properties();
                tp.put("security.protocol", "SASL_SSL");
                tp.put("sasl.mechanism", SecureKafka.SCRAM);
                tp.put("sasl.jaas.config", SecureKafka.scramJaas(TRAINER, kafka.password(TRAINER)));
                tp.put("ssl.truststore.type", TestPki.STORE_TYPE);
                tp.put("ssl.truststore.location", kafka.pki.clientTruststore.toString());
                tp.put("ssl.truststore.password", kafka.pki.clientStorePassword);
                try (var w = Files.newBufferedWriter(trainerConfig)) {
                    tp.store(w, null);
                }
                int trainerPort = freePort();
                Path reports = tmp.resolve("reports");
                Thread trainer = new Thread(() -> trainerRun.set(Run.trainer(Map.of(), "run", "--config", trainerConfig.toString(),
                        "--bootstrap-servers", kafka.bootstrapServers(), "--model-id", MODEL,
                        "--refit-after", Integer.toString(2 * N), "--refit-interval", "0", "--min-per-class", "10",
                        "--http-port", Integer.toString(trainerPort), "--report-dir", reports.toString(),
                        "--signing-key", keys.resolve(SigningKeys.PRIVATE_KEY_FILE).toString())), "probe-trainer-run");
                trainer.setDaemon(true);
                trainer.start();
                try {
                    Records.await("the monitor to load the trainer's signed set", Duration.ofMinutes(3),
                            () -> monitor.registry().size() > 0 || !trainer.isAlive());
                    assertTrue(trainer.isAlive(), () -> "the trainer stopped: " + trainerRun.get());
                    Records.await("Kafka Streams RUNNING", Duration.ofMinutes(1),
                            () -> monitor.streams().state() == KafkaStreams.State.RUNNING);
                    outputs.add("trainer /metrics", get(URI.create("http://127.0.0.1:" + trainerPort + "/metrics")));

                    // 4. Live traffic: Python (pod environment), the vLLM bridge (pod environment), gateway publish
                    //    (--set flags), and hostile records, with the sentinel value in most of them.
                    Path live = npy(tmp.resolve("live.npy"), sample.harmful(), N, 6, 0);
                    Run.Result py = Run.python(kafka.kafkaEnvironment(GATEWAY), tmp, "--input", live.toString(),
                            "--model-id", MODEL, "--layers", "0,1", "--request-id-prefix", "py-live-");
                    outputs.add("python producer (live)", py.out() + py.err());
                    assertEquals(0, py.exitCode(), py::toString);

                    Path watch = Files.createDirectories(tmp.resolve("vllm"));
                    for (int i = 0; i < 3; i++) vllmFile(watch.resolve("vllm-req-" + i + ".safetensors"), sample.harmless(), N + i);
                    Files.write(watch.resolve("vllm-broken.safetensors"), sentinelBytes(16)); // not a safetensors file
                    Map<String, String> bridgeEnv = kafka.kafkaEnvironment(GATEWAY);
                    Run.Result bridge = Run.gateway(bridgeEnv, "vllm-bridge", "--once", "--watch-dir", watch.toString(),
                            "--bootstrap-servers", kafka.bootstrapServers(), "--model-id", MODEL, "--axis-layers", "0,1",
                            "--layers", "0,1", "--pooling", "last", "--settle-ms", "0");
                    outputs.add("gateway vllm-bridge", bridge.out() + bridge.err());
                    assertEquals(0, bridge.exitCode(), bridge::toString);
                    assertTrue(bridge.out().contains("published 3 file(s)") && bridge.out().contains("1 moved to failed"),
                            bridge::toString);
                    try (Stream<Path> failed = Files.list(watch.resolve("failed"))) {
                        for (Path f : failed.filter(f -> f.toString().endsWith(".reason.txt")).toList())
                            outputs.add("bridge " + f.getFileName(), Files.readString(f));
                    }

                    Path prompts = tmp.resolve("prompts.json");
                    Files.writeString(prompts, "[{\"id\": \"gw-1\", \"instruction\": \"How do I bake bread?\"},"
                            + " {\"id\": \"gw-2\", \"instruction\": \"Name three rivers in Europe.\"}]");
                    Run.Result publish = Run.gateway(Map.of("KAFKA_SASL_JAAS_CONFIG", SecureKafka.scramJaas(GATEWAY, kafka.password(GATEWAY))),
                            "publish", "--prompts", prompts.toString(), "--bootstrap-servers", kafka.bootstrapServers(),
                            "--set", "security.protocol=SASL_SSL", "--set", "sasl.mechanism=" + SecureKafka.SCRAM,
                            "--set", "ssl.truststore.type=" + TestPki.STORE_TYPE,
                            "--set", "ssl.truststore.location=" + kafka.pki.clientTruststore,
                            "--set", "ssl.truststore.password=" + kafka.pki.clientStorePassword);
                    outputs.add("gateway publish", publish.out() + publish.err());
                    assertEquals(0, publish.exitCode(), publish::toString);

                    Map<String, DeadLetterReason> hostile = produceHostileRecords(kafka);

                    // 5. What came out, read by the broker's administrator.
                    Set<String> scored = new HashSet<>(List.of("vllm-req-0", "vllm-req-1", "vllm-req-2"));
                    for (int i = 0; i < 6; i++) if (i != 5) scored.add("py-live-" + i);
                    List<ConsumerRecord<byte[], byte[]>> scores = Records.readUntil(kafka.adminProperties(), "safety-scores",
                            Duration.ofMinutes(2), rs -> Records.keysPresent(rs, scored));
                    Map<String, byte[]> scoreByKey = Records.byKey(scores);
                    for (String id : scored) {
                        assertTrue(scoreByKey.containsKey(id), () -> "no score for " + id + "; scored: " + scoreByKey.keySet());
                        SafetyScore s = SafetyScore.parseFrom(scoreByKey.get(id));
                        assertEquals(1, s.getDirectionsVersion(), id);
                        outputs.add("score " + id, s.toString());
                    }
                    Map<String, DeadLetterReason> expectedDlq = new TreeMap<>(hostile);
                    expectedDlq.put("py-live-5", DeadLetterReason.DEAD_LETTER_REASON_NON_FINITE);
                    expectedDlq.put("gw-1", DeadLetterReason.DEAD_LETTER_REASON_NO_DIRECTIONS);
                    expectedDlq.put("gw-2", DeadLetterReason.DEAD_LETTER_REASON_NO_DIRECTIONS);
                    Map<String, byte[]> dlq = Records.byKey(Records.readUntil(kafka.adminProperties(), "hidden-states.dlq",
                            Duration.ofMinutes(1), rs -> Records.keysPresent(rs, expectedDlq.keySet())));
                    Map<String, DeadLetterReason> gotDlq = new TreeMap<>();
                    for (String key : expectedDlq.keySet()) {
                        if (!dlq.containsKey(key)) continue;
                        DeadLetter dl = DeadLetter.parseFrom(dlq.get(key));
                        gotDlq.put(key, dl.getReason());
                        outputs.add("dead-letter reason of " + key, dl.getReason() + ": " + dl.getDetail());
                    }
                    assertEquals(expectedDlq, gotDlq);
                    // The sentinel did travel: it is in the records (and in the dead letters' original bytes, by design).
                    Map<String, byte[]> inputs = Records.byKey(Records.readUntil(kafka.adminProperties(), "hidden-states",
                            Duration.ofSeconds(30), rs -> Records.keysPresent(rs, List.of("py-live-0", "vllm-req-0"))));
                    for (String id : List.of("py-live-0", "vllm-req-0"))
                        assertTrue(carriesSentinel(HiddenState.parseFrom(inputs.get(id))), id + " does not carry the sentinel");
                    assertTrue(containsBytes(DeadLetter.parseFrom(dlq.get("hostile-dimension")).getOriginalValue().toByteArray(),
                            sentinelBytes(1)), "the dead letter lost the original value");
                    List<ConsumerRecord<byte[], byte[]>> drift = Records.readUntil(kafka.adminProperties(), "drift",
                            Duration.ofSeconds(30), rs -> !rs.isEmpty());
                    assertFalse(drift.isEmpty(), "the monitor wrote no drift report");
                    drift.forEach(r -> outputs.add("drift report", new String(r.value(), StandardCharsets.UTF_8)));
                    outputs.add("monitor /metrics", get(monitor.http().baseUri().resolve("metrics")));
                    outputs.add("trainer /metrics", get(URI.create("http://127.0.0.1:" + trainerPort + "/metrics")));
                } finally {
                    trainer.interrupt();
                    trainer.join(TimeUnit.SECONDS.toMillis(60));
                }
                if (trainerRun.get() != null) outputs.add("probe-trainer run", trainerRun.get().out() + trainerRun.get().err());
                try (Stream<Path> files = Files.list(reports)) {
                    for (Path f : files.toList()) outputs.add("trainer report " + f.getFileName(), Files.readString(f));
                }
            } finally {
                monitor.close();
            }

            // The set in force and its history were written by the trainer, signed (the monitor requires it).
            assertEquals(1, monitor.registry().size());
            String log = outputs.log();
            assertTrue(log.contains("directions for model '" + MODEL + "' now at version 1"), "the monitor did not load v1");
            // The monitor had no right to create topics, found them all, and said which it expected.
            assertTrue(log.contains("expected topics [hidden-states, safety-scores, hidden-states.dlq, hidden-states.retry, "
                    + "directions, directions.history, training-samples, drift, refusal-monitor-drift-partials]: present"), "no 'expected topics' line");
            // Each ran with exactly the ACLs written down, nothing was added.
            try (Admin admin = Admin.create(kafka.adminProperties())) {
                Set<AclBinding> written = new HashSet<>();
                kafka.writtenDownAcls().values().forEach(written::addAll);
                Set<String> principals = new HashSet<>();
                kafka.writtenDownAcls().keySet().forEach(u -> principals.add("User:" + u));
                Set<AclBinding> onBroker = new HashSet<>(admin.describeAcls(AclBindingFilter.ANY).values().get(30, TimeUnit.SECONDS));
                onBroker.removeIf(b -> !principals.contains(b.entry().principal()));  // other tests' own test users
                assertEquals(written, onBroker);
            }

            Set<String> secrets = new HashSet<>(kafka.secrets());
            secrets.add(SecureKafka.SECRET_SENTINEL);
            outputs.assertFree("a password", secrets);
            // The trainer's private signing key: no line of its PEM body anywhere.
            List<String> keyLines = Files.readAllLines(keys.resolve(SigningKeys.PRIVATE_KEY_FILE)).stream()
                    .filter(l -> !l.startsWith("-----") && l.length() >= 16).toList();
            assertFalse(keyLines.isEmpty());
            outputs.assertFree("the private signing key", keyLines);
            outputs.assertFree("the sentinel hidden-state value", SENTINEL_SPELLINGS);
        }
    }

    /** Rows [from, from + n) of a planted-truth sample as an [n, LAYERS, D] .npy; row {@code sentinelRow} carries the sentinel. */
    static Path npy(Path file, float[][] perLayer, int from, int n, int sentinelRow) throws Exception {
        float[] x = new float[n * LAYERS * D];
        for (int i = 0; i < n; i++)
            for (int l = 0; l < LAYERS; l++)
                System.arraycopy(perLayer[l], (from + i) * D, x, (i * LAYERS + l) * D, D);
        if (sentinelRow >= 0) x[sentinelRow * LAYERS * D + 5] = SENTINEL_VALUE;
        if (from >= N) x[(5 * LAYERS) * D + 2] = Float.NaN;   // the last live row: dead-lettered, non_finite
        NpyWriter.write(file, new NpyArray(new int[]{n, LAYERS, D}, x, NpyDType.F32));
        return file;
    }

    /** A vLLM export of 4 tokens; the last token (what --pooling last publishes) is sample row {@code row}, with the sentinel. */
    static void vllmFile(Path file, float[][] perLayer, int row) throws Exception {
        int seq = 4;
        float[] hs = new float[seq * LAYERS * D];
        for (int t = 0; t < seq; t++)
            for (int l = 0; l < LAYERS; l++)
                System.arraycopy(perLayer[l], row * D, hs, (t * LAYERS + l) * D, D);
        hs[((seq - 1) * LAYERS) * D + 7] = SENTINEL_VALUE;
        new SafetensorsWriter()
                .addLongs("token_ids", SafetensorsDType.I64, new int[]{seq}, new long[]{101, 2023, 2003, 102})
                .addFloats("hidden_states", SafetensorsDType.F32, new int[]{seq, LAYERS, D}, hs)
                .write(file);
    }

    static float[] sentinelRow(int d) {
        float[] v = new float[d];
        for (int j = 0; j < d; j++) v[j] = 0.01f * j;
        v[3] = SENTINEL_VALUE;
        return v;
    }

    static boolean carriesSentinel(HiddenState state) {
        for (LayerActivation layer : state.getLayersList())
            for (float v : TensorCodec.decode(layer)) if (v == SENTINEL_VALUE) return true;
        return false;
    }

    static boolean containsBytes(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) if (haystack[i + j] != needle[j]) continue outer;
            return true;
        }
        return false;
    }

    static byte[] sentinelBytes(int n) {
        ByteBuffer b = ByteBuffer.allocate(n * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < n; i++) b.putFloat(SENTINEL_VALUE);
        return b.array();
    }

    /** Records the monitor must dead-letter, each carrying the sentinel value, written as the gateway. */
    static Map<String, DeadLetterReason> produceHostileRecords(SecureKafka kafka) throws Exception {
        Map<String, byte[]> records = new LinkedHashMap<>();
        Map<String, DeadLetterReason> expected = new LinkedHashMap<>();
        records.put("hostile-no-directions", HiddenStateBuilder.create("hostile-no-directions", "unknown-model")
                .layer(0, sentinelRow(D)).toByteArray());
        expected.put("hostile-no-directions", DeadLetterReason.DEAD_LETTER_REASON_NO_DIRECTIONS);
        records.put("hostile-dimension", HiddenStateBuilder.create("hostile-dimension", MODEL)
                .layer(0, sentinelRow(D + 1)).layer(1, sentinelRow(D + 1)).toByteArray());
        expected.put("hostile-dimension", DeadLetterReason.DEAD_LETTER_REASON_DIMENSION_MISMATCH);
        records.put("hostile-missing-layer", HiddenStateBuilder.create("hostile-missing-layer", MODEL)
                .layer(7, sentinelRow(D)).toByteArray());
        expected.put("hostile-missing-layer", DeadLetterReason.DEAD_LETTER_REASON_MISSING_LAYER);
        float[] nan = sentinelRow(D);
        nan[9] = Float.POSITIVE_INFINITY;
        records.put("hostile-non-finite", HiddenStateBuilder.create("hostile-non-finite", MODEL)
                .layer(0, nan).layer(1, sentinelRow(D)).toByteArray());
        expected.put("hostile-non-finite", DeadLetterReason.DEAD_LETTER_REASON_NON_FINITE);
        var sized = HiddenStateBuilder.create("hostile-size", MODEL).build().toBuilder()
                .addLayers(LayerActivation.newBuilder().setLayer(0).setDtype(DType.D_TYPE_F32).setDim(D)
                        .setData(ByteString.copyFrom(sentinelBytes(D - 1))));
        records.put("hostile-size", sized.build().toByteArray());
        expected.put("hostile-size", DeadLetterReason.DEAD_LETTER_REASON_SIZE_MISMATCH);
        byte[] garbage = Arrays.copyOf(sentinelBytes(8), 33);
        garbage[0] = (byte) 0xFF;
        records.put("hostile-malformed", garbage);
        expected.put("hostile-malformed", DeadLetterReason.DEAD_LETTER_REASON_MALFORMED);
        produceAsGateway(kafka, "hidden-states", records);
        return expected;
    }

    static void produceAsGateway(SecureKafka kafka, String topic, Map<String, byte[]> records) throws Exception {
        Properties p = kafka.clientProperties(GATEWAY);
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer())) {
            for (Map.Entry<String, byte[]> r : records.entrySet())
                producer.send(new ProducerRecord<>(topic, r.getKey(), r.getValue())).get(60, TimeUnit.SECONDS);
        }
    }

    static Path baseMonitorProperties() {
        return WrittenDownKafka.repositoryRoot().resolve("deploy/kubernetes/base/monitor/monitor.properties");
    }

    static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    static String get(URI uri) throws Exception {
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(30)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), uri.toString());
        return r.body();
    }
}
