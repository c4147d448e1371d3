package dev.refusalmonitor.monitor.drift;

import dev.refusalmonitor.contract.TopicId;
import dev.refusalmonitor.monitor.config.MonitorConfig;
import dev.refusalmonitor.monitor.testing.BrokerTestBase;
import dev.refusalmonitor.monitor.testing.ScoringFixtures;
import dev.refusalmonitor.monitor.testing.StreamTestSupport;
import dev.refusalmonitor.schemas.kafka.TopicProvisioner;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;

import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Two monitor processes share one broker and one slice's traffic: the slice's reference is built from both instances'
 * requests (the default 50 windows of at least 200: ready after 10,000 requests plus what short partials add, at most
 * 19 per window), exactly one instance exports its gauges, and the reference stays ready, exported by exactly one
 * instance, across a kill -9 of either instance and its restart; the drift topic holds each window once, numbered
 * without a gap, and its windows count every request once.
 */
class FleetDriftIntegrationTest extends BrokerTestBase {
    private static final String MODEL = "fleet-model";
    private static final Pattern READY = Pattern.compile("^refusal_monitor_drift_reference_ready\\{([^}]*)} (\\S+)$",
            Pattern.MULTILINE);

    /** One monitor in its own JVM ({@code monitor-service run}), so that it can be killed with SIGKILL. */
    private static final class Monitor {
        final String name;
        final Map<String, String> settings;
        final Path dir;
        final int port;
        Process process;
        int starts;

        Monitor(String name, Map<String, String> settings, Path dir) throws IOException {
            this.name = name;
            this.settings = settings;
            this.dir = dir;
            try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
                this.port = s.getLocalPort();
            }
        }

        void start() throws IOException {
            Files.createDirectories(dir);
            List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-Xmx512m", "--add-modules", "jdk.incubator.vector", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
                    "-cp", System.getProperty("java.class.path"), "dev.refusalmonitor.monitor.cli.MonitorServiceCli", "run"));
            settings.forEach((k, v) -> {
                cmd.add("--set");
                cmd.add(k + "=" + v);
            });
            cmd.add("--set");
            cmd.add("state.dir=" + dir.resolve("state"));
            cmd.add("--set");
            cmd.add(MonitorConfig.HTTP_PORT + "=" + port);
            File log = dir.resolve(name + "-" + (++starts) + ".log").toFile();
            process = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log).start();
        }

        void kill9() throws InterruptedException {
            process.destroyForcibly();
            assertTrue(process.waitFor(30, TimeUnit.SECONDS), name + " did not die");
        }

        void stop() throws InterruptedException {
            if (process == null || !process.isAlive()) return;
            process.destroy();
            if (!process.waitFor(40, TimeUnit.SECONDS)) kill9();
        }

        /** The slice's reference-ready value this instance exports, or null when it exports none (or is down). */
        Double referenceReady() {
            if (process == null || !process.isAlive()) return null;
            String body = metrics();
            if (body == null) return null;
            Matcher m = READY.matcher(body);
            while (m.find()) {
                if (m.group(1).contains("model=\"" + MODEL + "\"") && m.group(1).contains("tenant=\"_all\"")
                        && m.group(1).contains("route=\"_all\"")) return Double.parseDouble(m.group(2));
            }
            return null;
        }

        /** The scrape, or null while the instance is down or not serving yet. */
        String metrics() {
            if (process == null || !process.isAlive()) return null;
            try {
                StreamTestSupport.HttpAnswer a = StreamTestSupport.get(URI.create("http://127.0.0.1:" + port + "/metrics"));
                return a.status() == 200 ? a.body() : null;
            } catch (AssertionError | RuntimeException e) {
                return null;
            }
        }

        long scored() {
            String body = metrics();
            if (body == null) return 0;
            Matcher m = Pattern.compile("^refusal_monitor_records_total\\{[^}]*outcome=\"scored\"[^}]*} (\\S+)$",
                    Pattern.MULTILINE).matcher(body);
            double sum = 0;
            while (m.find()) sum += Double.parseDouble(m.group(1));
            return (long) sum;
        }
    }

    private static void await(String what, Duration timeout, BooleanSupplier condition) throws InterruptedException {
        long end = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < end) {
            if (condition.getAsBoolean()) return;
            Thread.sleep(250);
        }
        fail("timed out waiting until " + what);
    }

    /** Exactly one of the instances exports the slice, with reference ready = 1. */
    private static boolean oneOwnerReady(Monitor... ms) {
        int ready = 0, shown = 0;
        for (Monitor m : ms) {
            Double v = m.referenceReady();
            if (v != null) shown++;
            if (v != null && v == 1.0) ready++;
        }
        return ready == 1 && shown == 1;
    }

    private static Monitor owner(Monitor... ms) {
        for (Monitor m : ms) if (m.referenceReady() != null) return m;
        throw new AssertionError("no instance exports the slice");
    }

    private int sent;

    private void send(String bootstrap, String topic, int n) {
        float[][][] rows = ScoringFixtures.requests(n, 1_000 + sent);
        List<Map.Entry<String, byte[]>> records = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            String id = "req-" + sent++;
            records.add(new AbstractMap.SimpleEntry<>(id, ScoringFixtures.hiddenState(id, MODEL, rows[i])));
        }
        StreamTestSupport.produce(bootstrap, topic, records);
    }

    /** Requests in the model slice's committed drift reports; their window indices go into {@code windows}. */
    private static long countWindows(String bootstrap, String driftTopic, List<Long> windows) {
        long counted = 0;
        for (ConsumerRecord<String, byte[]> r : StreamTestSupport.readAll(bootstrap, driftTopic, true, Duration.ofSeconds(30))) {
            if (!r.key().equals(MODEL + "/_all/_all")) continue;
            String json = new String(r.value(), java.nio.charset.StandardCharsets.UTF_8);
            Matcher m = Pattern.compile("\"window_index\":(\\d+).*\"n\":(\\d+)").matcher(json);
            assertTrue(m.find(), json);
            windows.add(Long.parseLong(m.group(1)));
            counted += Long.parseLong(m.group(2));
        }
        return counted;
    }

    @Test
    void shouldBuildOneReferenceFromBothInstancesAndKeepItAcrossKill9AndRestart() throws Exception {
        String bootstrap = kafka.bootstrapServers();
        Map<String, String> settings = StreamTestSupport.settings(bootstrap, "fleet", stateDir, Map.of(
                MonitorConfig.HTTP_BIND_ADDRESS, "127.0.0.1"));
        settings.remove("state.dir");
        settings.remove(MonitorConfig.HTTP_PORT);
        MonitorConfig config = MonitorConfig.of(settings);
        try (Admin admin = Admin.create(config.adminProperties())) {
            new TopicProvisioner(admin, Duration.ofSeconds(60)).provision(config.topics());
        }
        StreamTestSupport.produce(bootstrap, config.topic(TopicId.DIRECTIONS).name(), List.of(
                new AbstractMap.SimpleEntry<>(MODEL, ScoringFixtures.seal(ScoringFixtures.directions(MODEL, 1, 7)))));
        Monitor a = new Monitor("a", settings, stateDir.resolve("a"));
        Monitor b = new Monitor("b", settings, stateDir.resolve("b"));
        try {
            a.start();
            b.start();
            String hs = config.topic(TopicId.HIDDEN_STATES).name();
            send(bootstrap, hs, 9_900);
            await("both instances scored their share", Duration.ofSeconds(120), () -> a.scored() + b.scored() >= 9_900);
            assertTrue(a.scored() > 0 && b.scored() > 0, "both instances score: " + a.scored() + " / " + b.scored());
            Thread.sleep(3_000);
            assertTrue(a.referenceReady() == null || a.referenceReady() == 0.0, "not ready before 10,000 requests");
            assertTrue(b.referenceReady() == null || b.referenceReady() == 0.0, "not ready before 10,000 requests");

            send(bootstrap, hs, 1_100);
            await("one instance exports the slice with its reference ready", Duration.ofSeconds(60), () -> oneOwnerReady(a, b));

            // kill -9 the owner: the other instance takes the slice over from the changelog, still ready.
            Monitor first = owner(a, b);
            first.kill9();
            Monitor other = first == a ? b : a;
            await("the surviving instance exports the slice, still ready", Duration.ofSeconds(90), () -> oneOwnerReady(other));
            first.start();
            send(bootstrap, hs, 400);
            await("after the restart one instance exports the slice, still ready", Duration.ofSeconds(90),
                    () -> oneOwnerReady(a, b) && a.scored() + b.scored() > 0);

            // And the other instance, whichever owns the slice now.
            other.kill9();
            await("the restarted instance exports the slice, still ready", Duration.ofSeconds(90), () -> oneOwnerReady(first));
            other.start();
            send(bootstrap, hs, 400);
            await("both running again, one exporter, still ready", Duration.ofSeconds(90), () -> oneOwnerReady(a, b));
            // Every request scored and committed; then the last partials reach their owners (every partial interval),
            // however slowly a loaded machine lets the owner catch up.
            StreamTestSupport.awaitCommitted(bootstrap, config.applicationId(), hs, sent, Duration.ofSeconds(90));
            await("the owner has counted all but the open window", Duration.ofSeconds(60),
                    () -> countWindows(bootstrap, config.topic(TopicId.DRIFT).name(), new ArrayList<>()) > sent - 219);
        } finally {
            a.stop();
            b.stop();
        }
        // Every request counted once: the 11,800 requests are in the reported windows but for those of the open window
        // (fewer than 200 + 19), each window on the drift topic exactly once and numbered without a gap.
        List<Long> windows = new ArrayList<>();
        long counted = countWindows(bootstrap, config.topic(TopicId.DRIFT).name(), windows);
        assertEquals(windows.size(), new TreeSet<>(windows).size(), "a window reported twice: " + windows);
        assertEquals(windows.size() - 1L, new TreeSet<>(windows).last(), "a window missing: " + windows);
        assertTrue(counted <= 11_800 && counted > 11_800 - 219, "requests in closed windows: " + counted);
    }
}
