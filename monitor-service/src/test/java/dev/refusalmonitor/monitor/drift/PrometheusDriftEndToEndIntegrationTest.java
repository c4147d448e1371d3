package dev.refusalmonitor.monitor.drift;

import dev.refusalmonitor.monitor.testing.TestKeys;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.refusalmonitor.embedded.EmbeddedKafkaCluster;
import dev.refusalmonitor.math.fit.DirectionFitter;
import dev.refusalmonitor.monitor.app.MonitorApp;
import dev.refusalmonitor.monitor.config.MonitorConfig;
import dev.refusalmonitor.contract.TopicId;
import dev.refusalmonitor.math.synthetic.PlantedTruthTraffic;
import dev.refusalmonitor.monitor.metrics.MetricNames;
import dev.refusalmonitor.monitor.stream.ScoreListener;
import dev.refusalmonitor.monitor.testing.KafkaTestSupport;
import dev.refusalmonitor.schemas.HiddenStateBuilder;
import dev.refusalmonitor.schemas.kafka.DirectionPublisher;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The real thing: an in-JVM Kafka broker, the monitor, and Debian's Prometheus scraping the monitor's /metrics every
 * second with deploy's rules. A stream whose harmful share jumps from 10 % to 40 % after the reference windows must
 * leave RefusalRateDrift silent before the jump and pending or firing after it; every Grafana panel's query must
 * parse and return series; {@code promtool check metrics} accepts the live /metrics; and a refit (direction set v2)
 * clears the alarm: the window its first record closes carries no comparison and a fresh reference starts.
 *
 * <p>Test overrides, and why: windows of 50 requests with a reference of 4 windows (the defaults, 200 and 50, would
 * need 10 000 requests of warm-up); the rules are copied with every {@code for:} shortened to 2 s (the real ones are
 * minutes); scrape and evaluation every second; one hidden-states partition so the windows' contents, and so the
 * verdicts, are the same on every run.
 */
class PrometheusDriftEndToEndIntegrationTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String MODEL = "e2e-model";
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @TempDir
    Path tmp;

    @Test
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    void shouldRaiseTheDriftAlertOnlyAfterTheShiftAndServeEveryDashboardPanel() throws Exception {
        Path prometheusBinary = PromtoolRulesTest.binary("prometheus");
        PlantedTruthTraffic traffic = new PlantedTruthTraffic(MODEL, 64, 2, 42);
        try (EmbeddedKafkaCluster cluster = EmbeddedKafkaCluster.startDefault()) {
            Map<String, String> s = new HashMap<>();
            s.put("bootstrap.servers", cluster.bootstrapServers());
            s.put("application.id", "drift-e2e");
            // Its own state directory: another build on the machine may run this test at the same time.
            s.put("state.dir", tmp.resolve("streams").toString());
            s.put("commit.interval.ms", "200");
            s.put(MonitorConfig.HTTP_PORT, "0");
            s.put(MonitorConfig.topicKey(TopicId.HIDDEN_STATES, "partitions"), "1");
            s.put(MonitorConfig.DRIFT_WINDOW_SIZE, "50");
            s.put(MonitorConfig.DRIFT_REFERENCE_WINDOWS, "4");
            // Partials of 10 handed on only when full (or at a version change): every window is exactly 50 requests,
            // as the counts below assume.
            s.put(MonitorConfig.DRIFT_PARTIAL_RECORDS, "10");
            s.put(MonitorConfig.DRIFT_PARTIAL_INTERVAL_MS, "3600000");
            s.put(MonitorConfig.METRICS_TENANT_ALLOWLIST, "tenant-a");
            s.put(MonitorConfig.METRICS_ROUTE_ALLOWLIST, "chat");
            s.put(MonitorConfig.DIRECTIONS_TRUSTED_KEYS, TestKeys.publicKeyFile().toString());
            MonitorConfig config = MonitorConfig.of(s);
            try (MonitorApp app = MonitorApp.start(config, ScoreListener.NONE);
                 DirectionPublisher publisher = new DirectionPublisher(config.producerProperties(),
                         config.topic(TopicId.DIRECTIONS).name(), Duration.ofSeconds(60));
                 KafkaProducer<String, byte[]> producer = producer(config)) {
                publisher.publish(DirectionFitter.fit(traffic.trainingSet(1), null,
                        DirectionFitter.Options.defaults(MODEL)).set(), TestKeys.signer());
                await("the monitor loads the direction set", Duration.ofSeconds(60), () -> app.registry().get(MODEL) != null);

                Prometheus prom = Prometheus.start(prometheusBinary, tmp, app.http().port());
                try {
                    String hs = config.topic(TopicId.HIDDEN_STATES).name();
                    SplittableRandom rnd = new SplittableRandom(11);
                    // 4 reference windows and 4 compared windows of the model total at 10 % harmful.
                    send(producer, hs, traffic, rnd, 0, 400, 0.10);
                    prom.awaitValue("refusal_monitor_drift_windows_total{model=\"" + MODEL + "\",tenant=\"_all\"}", v -> v >= 8);
                    prom.awaitValue("refusal_monitor_drift_reference_ready{model=\"" + MODEL + "\",tenant=\"_all\"}", v -> v == 1);
                    // Several evaluation rounds on the scraped pre-shift windows.
                    Thread.sleep(4_000);
                    assertEquals(List.of(), prom.alerts("RefusalRateDrift"), "no drift alert before the shift");
                    assertEquals(0.0, prom.value("max(refusal_monitor_drift_drifted)"), "no slice drifted before the shift");

                    send(producer, hs, traffic, rnd, 400, 300, 0.40);
                    List<JsonNode> alerts = prom.awaitAlerts("RefusalRateDrift", Duration.ofSeconds(60));
                    assertTrue(alerts.stream().anyMatch(a -> MODEL.equals(a.path("labels").path("model").asText())
                            && "_all".equals(a.path("labels").path("tenant").asText())
                            && "flagged_rate_up".equals(a.path("labels").path("reason").asText())
                            && List.of("pending", "firing").contains(a.path("state").asText())), alerts.toString());

                    List<String> empty = new ArrayList<>();
                    int queries = 0;
                    for (Path d : DeployFiles.dashboards()) {
                        for (Map.Entry<String, String> q : DeployFiles.panelQueries(d)) {
                            queries++;
                            JsonNode r = prom.query(DeployFiles.substituteVariables(q.getValue()));
                            if (r.path("result").isEmpty()) empty.add(d.getFileName() + " / " + q.getKey() + ": " + q.getValue());
                        }
                        for (String v : DeployFiles.variableQueries(d)) {
                            String metric = v.replaceAll("^label_values\\((.*),\\s*\\w+\\)$", "$1");
                            if (prom.series(DeployFiles.substituteVariables(metric)).isEmpty()) empty.add(d.getFileName() + " variable " + v);
                        }
                    }
                    assertTrue(queries >= 20);
                    assertEquals(List.of(), empty, "panels without series");
                    String scrape = app.metrics().scrape();
                    for (String name : MetricNames.PROMETHEUS_KAFKA_NAMES) {
                        assertTrue(scrape.contains("\n" + name + "{"), "Kafka Streams metric not exported: " + name);
                    }
                    assertPromtoolAcceptsTheLiveMetrics(app.http().port());

                    // A routine refit: v2 of the same model. Its first record closes every slice's open window
                    // without comparison and starts a fresh reference, so the alarm clears and stays clear.
                    publisher.publish(DirectionFitter.fit(traffic.trainingSet(2), null, DirectionFitter.Options.defaults(MODEL))
                            .set().withVersion(2, System.currentTimeMillis()), TestKeys.signer());
                    await("the monitor loads v2", Duration.ofSeconds(60), () -> app.registry().get(MODEL).version() == 2);
                    send(producer, hs, traffic, rnd, 700, 100, 0.40);
                    prom.awaitValue("refusal_monitor_drift_rebaselines_total{model=\"" + MODEL + "\",tenant=\"_all\"}", v -> v >= 1);
                    prom.awaitValue("refusal_monitor_drift_directions_version{model=\"" + MODEL + "\",tenant=\"_all\"}", v -> v == 2);
                    assertEquals(0.0, prom.value("max(refusal_monitor_drift_alarm{model=\"" + MODEL + "\"})"),
                            "no drift alarm after the refit");
                } finally {
                    prom.stop();
                }
                List<ConsumerRecord<String, String>> reports = KafkaTestSupport.consumeUntil(cluster.bootstrapServers(),
                        config.topic(TopicId.DRIFT).name(), 14, Duration.ofSeconds(30), false, new StringDeserializer(),
                        new StringDeserializer());
                JsonNode lastReady = null, boundary = null;
                for (ConsumerRecord<String, String> r : reports) {
                    if (!r.key().equals(MODEL + "/_all/_all")) continue;
                    JsonNode j = JSON.readTree(r.value());
                    if (j.get("reference_ready").asBoolean()) lastReady = j;
                    if (j.get("closed_by").asText().equals("directions_version")) boundary = j;
                }
                assertTrue(lastReady != null, "no compared model-total report on the drift topic");
                assertEquals(MODEL, lastReady.get("model").asText());
                assertEquals(1, lastReady.get("directions_version").asLong());
                assertTrue(boundary != null, "no report of the window closed by the refit");
                assertFalse(boundary.get("drifted").asBoolean());
            }
        }
    }

    /** GET /metrics from the running monitor and run {@code promtool check metrics} on it: no complaint at all. */
    private static void assertPromtoolAcceptsTheLiveMetrics(int port) throws Exception {
        HttpResponse<byte[]> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics"))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(200, r.statusCode());
        Process p = new ProcessBuilder(PromtoolRulesTest.binary("promtool").toString(), "check", "metrics")
                .redirectErrorStream(true).start();
        try (var in = p.getOutputStream()) {
            in.write(r.body());
        }
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertTrue(p.waitFor(30, TimeUnit.SECONDS), "promtool did not finish");
        assertEquals("", out.trim(), "promtool check metrics on the live /metrics");
        assertEquals(0, p.exitValue(), out);
    }

    private static void send(KafkaProducer<String, byte[]> producer, String topic, PlantedTruthTraffic traffic,
                             SplittableRandom rnd, int first, int n, double harmfulShare) throws Exception {
        int[] layers = traffic.layers();
        for (int i = first; i < first + n; i++) {
            float[][] x = traffic.next(rnd.nextDouble() < harmfulShare, rnd);
            String id = "req-" + i;
            // Three in four requests come from the allowlisted tenant, the rest from one folded into _other.
            HiddenStateBuilder b = HiddenStateBuilder.create(id, MODEL).tenant(i % 4 == 3 ? "tenant-b" : "tenant-a")
                    .route("chat").eventTimeUnixMs(System.currentTimeMillis());
            for (int l = 0; l < layers.length; l++) b.layer(layers[l], x[l]);
            producer.send(new ProducerRecord<>(topic, id, b.toByteArray()));
        }
        producer.flush();
    }

    private static KafkaProducer<String, byte[]> producer(MonitorConfig config) {
        Properties p = config.producerProperties();
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        return new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer());
    }

    static void await(String what, Duration timeout, java.util.function.BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) fail("timed out after " + timeout.toSeconds() + " s waiting until " + what);
            Thread.sleep(100);
        }
    }

    /** A Prometheus server in a child process on a free loopback port, with a temporary config and data directory. */
    static final class Prometheus {
        private final Process process;
        private final URI base;
        private final Path log;

        private Prometheus(Process process, URI base, Path log) {
            this.process = process;
            this.base = base;
            this.log = log;
        }

        static Prometheus start(Path binary, Path dir, int monitorPort) throws Exception {
            // deploy's rules with every `for:` shortened so alerts can go pending within a test.
            String rules = Files.readString(DeployFiles.rulesFile()).replaceAll("(?m)^(\\s+)for: \\S+$", "$1for: 2s");
            Files.writeString(dir.resolve("rules.yml"), rules);
            Files.writeString(dir.resolve("prometheus.yml"), String.join("\n",
                    "global:", "  scrape_interval: 1s", "  evaluation_interval: 1s",
                    "rule_files:", "  - rules.yml",
                    "scrape_configs:", "  - job_name: refusal-monitor", "    static_configs:",
                    "      - targets: ['127.0.0.1:" + monitorPort + "']", ""));
            int port;
            try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
                port = s.getLocalPort();
            }
            Path log = dir.resolve("prometheus.log");
            Process p = new ProcessBuilder(binary.toString(), "--config.file=" + dir.resolve("prometheus.yml"),
                    "--storage.tsdb.path=" + dir.resolve("data"), "--web.listen-address=127.0.0.1:" + port)
                    .redirectErrorStream(true).redirectOutput(log.toFile()).start();
            Prometheus prom = new Prometheus(p, URI.create("http://127.0.0.1:" + port), log);
            try {
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                while (true) {
                    if (!p.isAlive()) fail("prometheus exited with " + p.exitValue() + ":\n" + prom.logTail());
                    try {
                        if (HTTP.send(HttpRequest.newBuilder(prom.base.resolve("/-/ready")).build(),
                                HttpResponse.BodyHandlers.discarding()).statusCode() == 200) break;
                    } catch (IOException notYet) {
                        // not listening yet
                    }
                    if (System.nanoTime() > deadline) fail("prometheus not ready within 30 s:\n" + prom.logTail());
                    Thread.sleep(100);
                }
                return prom;
            } catch (Throwable t) {
                prom.stop();
                throw t;
            }
        }

        String logTail() {
            try {
                List<String> lines = Files.readAllLines(log);
                return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
            } catch (IOException e) {
                return "(no log: " + e + ")";
            }
        }

        private JsonNode get(String pathAndQuery) throws Exception {
            HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(base.resolve(pathAndQuery))
                    .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
            JsonNode body = JSON.readTree(r.body());
            assertEquals("success", body.path("status").asText(), pathAndQuery + " -> " + r.body());
            return body.get("data");
        }

        /** Instant query; fails when the expression does not parse. */
        JsonNode query(String promql) throws Exception {
            return get("/api/v1/query?query=" + URLEncoder.encode(promql, StandardCharsets.UTF_8));
        }

        JsonNode series(String match) throws Exception {
            return get("/api/v1/series?match%5B%5D=" + URLEncoder.encode(match, StandardCharsets.UTF_8));
        }

        /** The single value of a one-series query (NaN when there is no series). */
        double value(String promql) throws Exception {
            JsonNode r = query(promql).path("result");
            return r.isEmpty() ? Double.NaN : Double.parseDouble(r.get(0).get("value").get(1).asText());
        }

        void awaitValue(String promql, Predicate<Double> ok) throws Exception {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            double v;
            while (!ok.test(v = value(promql))) {
                if (System.nanoTime() > deadline) fail("timed out waiting on " + promql + " (last value " + v + ")\n" + logTail());
                Thread.sleep(250);
            }
        }

        List<JsonNode> alerts(String alertname) throws Exception {
            List<JsonNode> out = new ArrayList<>();
            for (JsonNode a : get("/api/v1/alerts").path("alerts")) {
                if (alertname.equals(a.path("labels").path("alertname").asText())) out.add(a);
            }
            return out;
        }

        List<JsonNode> awaitAlerts(String alertname, Duration timeout) throws Exception {
            long deadline = System.nanoTime() + timeout.toNanos();
            List<JsonNode> a;
            while ((a = alerts(alertname)).isEmpty()) {
                if (System.nanoTime() > deadline) {
                    fail(alertname + " not pending or firing within " + timeout.toSeconds() + " s; drift gauges: "
                            + query("refusal_monitor_drift_cusum") + "\n" + logTail());
                }
                Thread.sleep(250);
            }
            return a;
        }

        void stop() throws InterruptedException {
            process.destroy();
            if (!process.waitFor(15, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(5, TimeUnit.SECONDS);
            }
        }
    }
}
