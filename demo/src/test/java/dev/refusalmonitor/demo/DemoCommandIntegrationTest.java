package dev.refusalmonitor.demo;

import dev.refusalmonitor.monitor.metrics.MetricNames;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * README's first command, as a user runs it: {@code monitor-service demo} in its own JVM (embedded broker, the MiniLM
 * transformer's hidden states, live summary, {@code /metrics}), a live switch to directions v2, then Ctrl-C (SIGTERM)
 * must stop it cleanly: "demo stopped" and no ERROR lines (the broker's data directory used to be deleted by a JVM
 * shutdown hook under the still-running broker).
 */
class DemoCommandIntegrationTest {
    private static final Pattern SUMMARY = Pattern.compile("sent (\\d+), scored (\\d+) .* dead-lettered (\\d+), directions v(\\d+)");
    private static final Pattern METRICS_URL = Pattern.compile("metrics (http://127\\.0\\.0\\.1:\\d+)/metrics");

    @Test
    void demoStreamsScoresSwitchesVersionServesMetricsAndStopsCleanlyOnSigterm() throws Exception {
        String java = ProcessHandle.current().info().command().orElse("java");
        Process p = new ProcessBuilder(java, "-Xmx2g", "--add-modules", "jdk.incubator.vector", "-Dai.djl.offline=true",
                "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", "-cp", System.getProperty("java.class.path"),
                DemoCommand.class.getName(), "--http-port", "0", "--update-after", "10")
                .redirectErrorStream(true).start();
        List<String> lines = new CopyOnWriteArrayList<>();
        Thread reader = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                for (String l; (l = r.readLine()) != null; ) lines.add(l);
            } catch (java.io.IOException ignored) {
                // the process ended
            }
        }, "demo-output");
        reader.start();
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(240);
            Matcher v2 = null;
            while (v2 == null && System.nanoTime() < deadline && p.isAlive()) {
                for (String l : lines) {
                    Matcher m = SUMMARY.matcher(l);
                    if (m.find() && m.group(4).equals("2") && Long.parseLong(m.group(2)) > 0) v2 = m;
                }
                if (v2 == null) Thread.sleep(500);
            }
            assertNotNull(v2, "no summary line with directions v2 and scored records; output:\n" + String.join("\n", lines));
            assertEquals("0", v2.group(3), "the demo's own traffic must not be dead-lettered");
            assertTrue(lines.stream().anyMatch(l -> l.contains("all-MiniLM-L6-v2")), "the demo should stream the transformer's hidden states");

            String base = lines.stream().map(METRICS_URL::matcher).filter(Matcher::find).map(m -> m.group(1)).findFirst()
                    .orElseThrow(() -> new AssertionError("no metrics URL printed"));
            HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
            HttpResponse<String> metrics = http.send(HttpRequest.newBuilder(URI.create(base + "/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, metrics.statusCode());
            assertTrue(metrics.body().contains(MetricNames.PROM_RECORDS + "{"), "scored-records counter missing from /metrics");
            HttpResponse<String> ready = http.send(HttpRequest.newBuilder(URI.create(base + "/readyz")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, ready.statusCode(), "the running demo should be ready");
        } finally {
            // SIGTERM, as docker stop / kill; through the handle because Process.destroy() also closes our end of the
            // output pipe, which would hide what the demo prints while stopping.
            p.toHandle().destroy();
            assertTrue(p.waitFor(45, TimeUnit.SECONDS), "the demo did not stop within 45 s of SIGTERM");
            reader.join(10_000);
        }
        String all = String.join("\n", lines);
        assertTrue(lines.stream().anyMatch(l -> l.equals("demo stopped")), "no clean stop; output:\n" + all);
        List<String> errors = lines.stream().filter(l -> l.contains(" ERROR ") || l.startsWith("Exception")).toList();
        assertTrue(errors.isEmpty(), "errors while running or stopping the demo:\n" + String.join("\n", errors));
    }
}
