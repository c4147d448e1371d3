package dev.refusalmonitor.security;

import dev.refusalmonitor.activations.SafetensorsDType;
import dev.refusalmonitor.activations.SafetensorsWriter;
import dev.refusalmonitor.activations.NpyArray;
import dev.refusalmonitor.activations.NpyDType;
import dev.refusalmonitor.activations.NpyWriter;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static dev.refusalmonitor.security.SecureKafka.GATEWAY;
import static dev.refusalmonitor.security.SecureKafka.MONITOR;
import static dev.refusalmonitor.security.SecureKafka.TRAINER;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A wrong password, a certificate from a CA nobody trusts, and a certificate from the trusted CA for another host: each
 * program (the monitor, the trainer, the vLLM bridge, {@code gateway publish}, the Python producer) stops within
 * seconds with exit code 1 and one line on standard error naming the failure; none retries forever, and no output
 * shows a password.
 */
@ExtendWith(SecureKafka.Extension.class)
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class FailFastTest {
    /**
     * Below Kafka's own 60 s deadlines (a refused login must not be retried until they run out), with room for a
     * heavily loaded build machine: the runs take about a second each (gateway publish: its model load, a few).
     */
    static final Duration QUICK = Duration.ofSeconds(45);
    static final String WRONG_PASSWORD = "wrong-" + SecureKafka.SECRET_SENTINEL + "-password";

    enum Failure {
        WRONG_PASSWORD("Authentication failed", "SASL authentication as user"),
        UNTRUSTED_CERTIFICATE("unable to find valid certification path", "the broker's certificate was not accepted"),
        CERTIFICATE_FOR_ANOTHER_HOST("No subject alternative DNS name matching localhost", "Hostname mismatch");

        final String java;
        final String python;

        Failure(String java, String python) {
            this.java = java;
            this.python = python;
        }
    }

    static TlsImpostor impostor;

    @BeforeAll
    static void impostor(SecureKafka kafka) throws Exception {
        impostor = new TlsImpostor(kafka.pki);
    }

    @AfterAll
    static void closeImpostor() throws Exception {
        if (impostor != null) impostor.close();
    }

    /** The Kafka client environment for {@code user} under {@code failure}. */
    static Map<String, String> environment(SecureKafka kafka, String user, Failure failure) {
        Map<String, String> env = new java.util.LinkedHashMap<>(kafka.kafkaEnvironment(user,
                failure == Failure.WRONG_PASSWORD ? WRONG_PASSWORD : kafka.password(user),
                failure == Failure.UNTRUSTED_CERTIFICATE ? kafka.pki.untrustedCaPem : kafka.pki.caPem));
        if (failure == Failure.CERTIFICATE_FOR_ANOTHER_HOST) env.put("KAFKA_BOOTSTRAP_SERVERS", impostor.bootstrapServers());
        return env;
    }

    static void assertFailsFast(Run.Result r, String expected, Outputs outputs, SecureKafka kafka) {
        outputs.add(r.program(), r.out() + r.err());
        System.out.println(r);  // the surefire report shows each program's message and time
        assertEquals(1, r.exitCode(), r::toString);
        assertTrue(r.took().compareTo(QUICK) < 0, () -> "took " + r.took() + ": " + r);
        List<String> lines = r.messageLines();
        assertEquals(1, lines.size(), () -> "not one line: " + r);
        assertTrue(lines.get(0).contains(expected), () -> "expected '" + expected + "' in: " + lines.get(0));
        assertFalse(r.err().contains("\tat "), r::toString);
        Set<String> secrets = new HashSet<>(kafka.secrets());
        secrets.add(SecureKafka.SECRET_SENTINEL);
        outputs.assertFree("a password", secrets);
    }

    static String kafkaName(String envName) {
        return envName.substring("KAFKA_".length()).toLowerCase(java.util.Locale.ROOT).replace('_', '.');
    }

    @ParameterizedTest
    @EnumSource(Failure.class)
    void monitor(Failure failure, SecureKafka kafka, @TempDir Path tmp) throws Exception {
        // monitor-service run --config FILE, the file holding the Kafka settings as plain keys.
        Properties file = new Properties();
        environment(kafka, MONITOR, failure).forEach((k, v) -> file.put(kafkaName(k), v));
        file.put("refusal.monitor.http.port", "0");
        file.put("refusal.monitor.num.stream.threads", "1");
        Path config = tmp.resolve("monitor.properties");
        try (var w = Files.newBufferedWriter(config)) {
            file.store(w, null);
        }
        try (Outputs outputs = Outputs.capture()) {
            assertFailsFast(Run.monitor("run", "--config", config.toString()), failure.java, outputs, kafka);
        }
    }

    @ParameterizedTest
    @EnumSource(Failure.class)
    void trainer(Failure failure, SecureKafka kafka, @TempDir Path tmp) {
        Map<String, String> env = environment(kafka, TRAINER, failure);
        try (Outputs outputs = Outputs.capture()) {
            assertFailsFast(Run.trainer(env, "run", "--bootstrap-servers", env.get("KAFKA_BOOTSTRAP_SERVERS"),
                    "--http-port", "-1", "--report-dir", tmp.toString()), failure.java, outputs, kafka);
        }
    }

    /** A JAAS line without its closing semicolon: Kafka refuses it; neither Kafka's message nor ours shows the password. */
    @org.junit.jupiter.api.Test
    void aMalformedLoginIsRefusedWithoutShowingThePassword(SecureKafka kafka, @TempDir Path tmp) {
        Map<String, String> env = environment(kafka, TRAINER, Failure.WRONG_PASSWORD);
        env.put("KAFKA_SASL_JAAS_CONFIG", env.get("KAFKA_SASL_JAAS_CONFIG").replace(";", ""));
        try (Outputs outputs = Outputs.capture()) {
            Run.Result r = Run.trainer(env, "run", "--bootstrap-servers", env.get("KAFKA_BOOTSTRAP_SERVERS"),
                    "--http-port", "-1", "--report-dir", tmp.toString());
            outputs.add(r.program(), r.out() + r.err());
            System.out.println(r);
            assertTrue(r.exitCode() != 0, r::toString);
            assertEquals(1, r.messageLines().size(), r::toString);
            assertTrue(r.err().contains("JAAS config entry not terminated by semi-colon"), r::toString);
            outputs.assertFree("a password", List.of(WRONG_PASSWORD, SecureKafka.SECRET_SENTINEL));
        }
    }

    @ParameterizedTest
    @EnumSource(Failure.class)
    void vllmBridge(Failure failure, SecureKafka kafka, @TempDir Path tmp) throws Exception {
        Path watch = Files.createDirectories(tmp.resolve("watch"));
        new SafetensorsWriter()
                .addLongs("token_ids", SafetensorsDType.I64, new int[]{2}, new long[]{101, 102})
                .addFloats("hidden_states", SafetensorsDType.F32, new int[]{2, 1, 4}, new float[8])
                .write(watch.resolve("req-1.safetensors"));
        Map<String, String> env = environment(kafka, GATEWAY, failure);
        try (Outputs outputs = Outputs.capture()) {
            // A retry would wait longer than QUICK: a refused login or certificate must not be retried at all.
            Run.Result r = Run.gateway(env, "vllm-bridge", "--once", "--watch-dir", watch.toString(), "--settle-ms", "0",
                    "--max-attempts", "3", "--retry-backoff-ms", Long.toString(QUICK.toMillis() + 15_000),
                    "--bootstrap-servers", env.get("KAFKA_BOOTSTRAP_SERVERS"), "--model-id", "m");
            assertFailsFast(r, failure.java, outputs, kafka);
            assertTrue(r.err().contains("the files stay in " + watch), r::toString);
        }
        assertTrue(Files.exists(watch.resolve("req-1.safetensors")), "the file must stay for the next run");
    }

    @ParameterizedTest
    @EnumSource(Failure.class)
    void gatewayPublish(Failure failure, SecureKafka kafka, @TempDir Path tmp) throws Exception {
        Path prompts = tmp.resolve("prompts.json");
        Files.writeString(prompts, "[{\"instruction\": \"How do I bake bread?\"}]");
        Map<String, String> env = environment(kafka, GATEWAY, failure);
        try (Outputs outputs = Outputs.capture()) {
            Run.Result r = Run.gateway(env, "publish", "--prompts", prompts.toString(),
                    "--bootstrap-servers", env.get("KAFKA_BOOTSTRAP_SERVERS"));
            assertFailsFast(r, failure.java, outputs, kafka);
        }
    }

    @ParameterizedTest
    @EnumSource(Failure.class)
    void pythonProducer(Failure failure, SecureKafka kafka, @TempDir Path tmp) throws Exception {
        Path x = tmp.resolve("x.npy");
        NpyWriter.write(x, new NpyArray(new int[]{1, 4}, new float[4], NpyDType.F32));
        try (Outputs outputs = Outputs.capture()) {
            Run.Result r = Run.python(environment(kafka, GATEWAY, failure), tmp, "--input", x.toString(), "--model-id", "m");
            assertFailsFast(r, failure.python, outputs, kafka);
        }
    }
}
