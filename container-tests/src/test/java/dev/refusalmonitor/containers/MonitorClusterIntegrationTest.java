package dev.refusalmonitor.containers;

import dev.refusalmonitor.schemas.HiddenStateBuilder;
import dev.refusalmonitor.schemas.v1.SafetyScore;
import dev.refusalmonitor.trainer.cli.ProbeTrainerCli;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.TestWatcher;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.IntConsumer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The product's images as users run them: three {@code refusal-monitor/kafka} brokers (replication 3,
 * min.insync.replicas 2) and two {@code refusal-monitor/monitor-service} containers with {@code exactly_once_v2}.
 * Hidden states go in from this JVM (through 127.0.0.1, see {@link MonitorCluster}); every check reads
 * {@code safety-scores} with {@code read_committed} and requires each request id exactly once: none lost, none
 * duplicated, through a broker killed mid-run, a monitor killed with SIGKILL and restarted, and a rolling restart of
 * both monitors. The phases share one cluster and run in order; each uses its own request ids.
 *
 * <p>Needs the images from {@code deploy/images/build.sh} and a container engine (DOCKER_HOST); without them every
 * test is skipped (disabled) with the reason, which is also printed on one line. Runtime here (2 cores): about 4 min.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@ExtendWith({MonitorClusterIntegrationTest.RequiresImages.class, MonitorClusterIntegrationTest.LogsOnFailure.class})
class MonitorClusterIntegrationTest {
    private static final String MODEL = "ct-model";
    private static final int DIM = 32;
    private static final int LAYERS = 2;
    private static final String HIDDEN_STATES = "hidden-states";
    private static final String SCORES = "safety-scores";
    private static final String DLQ = "hidden-states.dlq";
    private static final Duration SCORE_DEADLINE = Duration.ofMinutes(3);

    private MonitorCluster cluster;
    private KafkaProducer<String, byte[]> producer;
    private final Random random = new Random(17);

    @BeforeAll
    void startCluster(@org.junit.jupiter.api.io.TempDir Path tmp) throws Exception {
        cli("keygen", "--out", tmp.resolve("keys").toString());
        cluster = new MonitorCluster(Files.readAllBytes(tmp.resolve("keys/signing-key.pub.pem")));
        cluster.startBrokers();
        publishDirections(tmp);
        cluster.startMonitors();

        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrapServers());
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        p.put(ProducerConfig.LINGER_MS_CONFIG, "5");
        p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, "180000");
        p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, "15000");
        producer = new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer());
    }

    @AfterAll
    void stopCluster() {
        if (producer != null) producer.close(Duration.ofSeconds(10));
        if (cluster != null) cluster.close();
    }

    /** generate + fit (signed) + publish with probe-trainer's command line, as an operator would, to the containers' brokers. */
    private void publishDirections(Path tmp) {
        cli("generate", "--out", tmp.toString(), "--harmful", "200", "--harmless", "200", "--d", Integer.toString(DIM),
                "--layers", Integer.toString(LAYERS), "--seed", "5");
        cli("fit", "--harmful", tmp.resolve("harmful.npy").toString(), "--harmless", tmp.resolve("harmless.npy").toString(),
                "--model-id", MODEL, "--out", tmp.resolve("set").toString(), "--quiet",
                "--signing-key", tmp.resolve("keys/signing-key.pem").toString());
        assertTrue(Files.isRegularFile(tmp.resolve("set/directions.pb")));
        cli("publish", "--directions", tmp.resolve("set/directions.pb").toString(),
                "--bootstrap-servers", cluster.bootstrapServers(), "--timeout", "PT60S");
    }

    private static void cli(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = ProbeTrainerCli.commandLine(new PrintWriter(out, true), new PrintWriter(err, true), Map.of()).execute(args);
        assertEquals(0, code, () -> "probe-trainer " + String.join(" ", args) + " failed:\n" + out + err);
    }

    private byte[] hiddenState(String requestId) {
        HiddenStateBuilder b = HiddenStateBuilder.create(requestId, MODEL).eventTimeUnixMs(System.currentTimeMillis());
        for (int layer = 0; layer < LAYERS; layer++) {
            float[] v = new float[DIM];
            for (int j = 0; j < DIM; j++) v[j] = (float) random.nextGaussian();
            b.layer(layer, v);
        }
        return b.toByteArray();
    }

    /**
     * Sends {@code n} records {@code PREFIX-0 ... PREFIX-(n-1)} at about {@code perSecond}, calling {@code atRecord}
     * with the index before each send (disruptions are injected from there, on this thread); waits for every
     * acknowledgement. Returns the request ids.
     */
    private List<String> produce(String prefix, int n, int perSecond, IntConsumer atRecord) throws Exception {
        List<String> ids = new ArrayList<>(n);
        List<Future<?>> acks = new ArrayList<>(n);
        long start = System.nanoTime();
        for (int i = 0; i < n; i++) {
            atRecord.accept(i);
            String id = prefix + "-" + i;
            ids.add(id);
            acks.add(producer.send(new ProducerRecord<>(HIDDEN_STATES, id, hiddenState(id))));
            long due = start + (long) ((i + 1) * 1e9 / perSecond);
            long wait = due - System.nanoTime();
            if (wait > 0) TimeUnit.NANOSECONDS.sleep(wait);
        }
        producer.flush();
        for (Future<?> f : acks) f.get(3, TimeUnit.MINUTES);
        return ids;
    }

    /**
     * Reads {@code topic} from the beginning with read_committed until {@code expected} records with keys starting
     * {@code prefix} arrived (or the deadline passed), then 3 s more so a duplicate would show; returns the count per key.
     */
    private Map<String, Integer> readCommitted(String topic, String prefix, int expected, Duration deadline) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrapServers());
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        Map<String, Integer> counts = new TreeMap<>();
        try (KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(p, new StringDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> tps = new ArrayList<>();
            for (PartitionInfo pi : c.partitionsFor(topic, Duration.ofSeconds(30))) tps.add(new TopicPartition(topic, pi.partition()));
            c.assign(tps);
            c.seekToBeginning(tps);
            long end = System.nanoTime() + deadline.toNanos();
            int seen = 0;
            long quietUntil = Long.MAX_VALUE;
            while (System.nanoTime() < Math.min(end, quietUntil)) {
                for (ConsumerRecord<String, byte[]> r : c.poll(Duration.ofMillis(300))) {
                    if (r.key() == null || !r.key().startsWith(prefix)) continue;
                    if (topic.equals(SCORES)) {
                        try {
                            assertEquals(r.key(), SafetyScore.parseFrom(r.value()).getRequestId(), "score key vs request id");
                        } catch (com.google.protobuf.InvalidProtocolBufferException e) {
                            fail("score " + r.key() + " is not a SafetyScore: " + e);
                        }
                    }
                    counts.merge(r.key(), 1, Integer::sum);
                    seen++;
                }
                if (seen >= expected && quietUntil == Long.MAX_VALUE) quietUntil = System.nanoTime() + 3_000_000_000L;
            }
        }
        return counts;
    }

    /** Every id scored exactly once, nothing else with the prefix, and nothing of it dead-lettered. */
    private void assertExactlyOnce(String prefix, List<String> ids) {
        Map<String, Integer> scores = readCommitted(SCORES, prefix, ids.size(), SCORE_DEADLINE);
        List<String> missing = new ArrayList<>();
        Map<String, Integer> duplicated = new HashMap<>();
        for (String id : ids) {
            Integer k = scores.get(id);
            if (k == null) missing.add(id);
            else if (k > 1) duplicated.put(id, k);
        }
        assertTrue(missing.isEmpty(), () -> missing.size() + " of " + ids.size() + " records have no score, e.g. "
                + missing.subList(0, Math.min(5, missing.size())));
        assertTrue(duplicated.isEmpty(), () -> duplicated.size() + " records scored more than once: " + duplicated);
        assertEquals(ids.size(), scores.size(), "scores for request ids that were never sent");
        assertEquals(Map.of(), readCommitted(DLQ, prefix, 0, Duration.ofSeconds(2)), "dead-lettered records");
    }

    @Test
    @Order(1)
    void everyRecordIsScoredExactlyOnce() throws Exception {
        List<String> ids = produce("steady", 1500, 300, i -> { });
        assertExactlyOnce("steady", ids);
    }

    @Test
    @Order(2)
    void aBrokerKilledMidRunLosesNothingAtReplicationThree() throws Exception {
        int n = 3000;
        List<String> ids = produce("broker-kill", n, 150, i -> {
            if (i == n / 3) MonitorCluster.kill(cluster.brokers.get(1));
        });
        assertExactlyOnce("broker-kill", ids);
        // Bring the broker back for the next phases and wait until it is in sync again.
        MonitorCluster.restart(cluster.brokers.get(1));
        cluster.awaitBrokers(3, Duration.ofMinutes(2));
        cluster.awaitFullIsr(List.of(HIDDEN_STATES, SCORES), Duration.ofMinutes(2));
    }

    @Test
    @Order(3)
    void aMonitorKilledWithSigkillAndRestartedNeitherLosesNorDuplicates() throws Exception {
        int n = 3000;
        CountDownLatch killed = new CountDownLatch(1);
        List<String> ids = produce("monitor-kill", n, 150, i -> {
            if (i == n / 3) {
                MonitorCluster.kill(cluster.monitors.get(0));
                killed.countDown();
            }
            if (i == n / 2) MonitorCluster.restart(cluster.monitors.get(0));
        });
        assertEquals(0, killed.getCount());
        cluster.awaitReady(0, Duration.ofMinutes(2));
        assertExactlyOnce("monitor-kill", ids);
    }

    @Test
    @Order(4)
    void aRollingRestartOfBothMonitorsNeitherLosesNorDuplicates() throws Exception {
        // Traffic keeps flowing while each monitor in turn stops gracefully, starts again and becomes ready.
        CompletableFuture<List<String>> traffic = CompletableFuture.supplyAsync(() -> {
            try {
                return produce("rolling", 6000, 100, i -> { });
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        Thread.sleep(5_000);
        for (int m = 0; m < cluster.monitors.size(); m++) {
            MonitorCluster.stop(cluster.monitors.get(m), 30);
            MonitorCluster.restart(cluster.monitors.get(m));
            cluster.awaitReady(m, Duration.ofMinutes(2));
        }
        assertExactlyOnce("rolling", traffic.get(5, TimeUnit.MINUTES));
    }

    /**
     * Skips every test, with the reason (also printed on one line to stderr), when no container engine answers or
     * the images are missing; evaluated before {@code @BeforeAll}, so nothing is started.
     */
    static final class RequiresImages implements ExecutionCondition {
        private static volatile String reason;
        private static volatile boolean evaluated;

        @Override
        public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
            if (!evaluated) {
                synchronized (RequiresImages.class) {
                    if (!evaluated) {
                        reason = ContainerEngine.skipReason(ContainerEngine.KAFKA, ContainerEngine.MONITOR);
                        if (reason != null) System.err.println("container-tests skipped: " + reason);
                        evaluated = true;
                    }
                }
            }
            return reason == null ? ConditionEvaluationResult.enabled("container engine and images present")
                    : ConditionEvaluationResult.disabled(reason);
        }
    }

    /** On a failure, the tail of every container's log goes to stderr. */
    static final class LogsOnFailure implements TestWatcher {
        @Override
        public void testFailed(ExtensionContext context, Throwable cause) {
            context.getTestInstance().ifPresent(t -> {
                MonitorCluster c = ((MonitorClusterIntegrationTest) t).cluster;
                if (c != null) System.err.println("container logs after " + context.getDisplayName() + ":\n" + c.logTails(40));
            });
        }
    }
}
