package dev.refusalmonitor.monitor.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import dev.refusalmonitor.monitor.metrics.ScoringMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class HttpEndpointsTest {

    private final AtomicReference<KafkaStreams.State> state = new AtomicReference<>(KafkaStreams.State.CREATED);
    private final AtomicInteger models = new AtomicInteger();
    private StreamsHealth health;
    private PrometheusMeterRegistry registry;
    private HttpEndpoints endpoints;
    private HttpClient client;

    @BeforeEach
    void start() throws Exception {
        registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        ScoringMetrics scoring = new ScoringMetrics();
        scoring.bindTo(registry);
        scoring.recordScored("m", 1000);
        health = new StreamsHealth(state::get, models::get);
        endpoints = HttpEndpoints.start("127.0.0.1", 0, registry, health::liveness, health::readiness);
        client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    }

    @AfterEach
    void stop() {
        endpoints.close();
        registry.close();
    }

    @Test
    void shouldServePrometheusTextOnMetrics() throws Exception {
        HttpResponse<String> r = send("GET", "/metrics");
        assertEquals(200, r.statusCode());
        assertEquals(HttpEndpoints.PROMETHEUS_CONTENT_TYPE, r.headers().firstValue("Content-Type").orElseThrow());
        assertTrue(r.body().contains("refusal_monitor_records_total{model=\"m\",outcome=\"scored\"} 1.0"), r.body());
        assertTrue(r.body().contains("# TYPE refusal_monitor_scoring_seconds histogram"), r.body());
    }

    @Test
    void shouldBeReadyOnlyWhenRunningWithDirections() throws Exception {
        HttpResponse<String> r = send("GET", "/readyz");
        assertEquals(503, r.statusCode());
        assertTrue(r.body().contains("\"status\":\"fail\"") && r.body().contains("CREATED"), r.body());
        assertEquals("application/json", r.headers().firstValue("Content-Type").orElseThrow());
        state.set(KafkaStreams.State.RUNNING);
        r = send("GET", "/readyz");
        assertEquals(503, r.statusCode());
        assertTrue(r.body().contains("no direction set"), r.body());
        models.set(1);
        r = send("GET", "/readyz");
        assertEquals(200, r.statusCode(), r.body());
        assertTrue(r.body().contains("\"status\":\"ok\""));
        state.set(KafkaStreams.State.REBALANCING);
        assertEquals(503, send("GET", "/readyz").statusCode());
    }

    @Test
    void shouldBeHealthyUntilStreamsFails() throws Exception {
        assertEquals(200, send("GET", "/healthz").statusCode());
        state.set(KafkaStreams.State.RUNNING);
        assertEquals(200, send("GET", "/healthz").statusCode());
        state.set(KafkaStreams.State.ERROR);
        HttpResponse<String> r = send("GET", "/healthz");
        assertEquals(503, r.statusCode());
        assertTrue(r.body().contains("ERROR"), r.body());
        state.set(KafkaStreams.State.NOT_RUNNING);
        assertEquals(200, send("GET", "/healthz").statusCode(), "a clean shutdown is not a failure");
        health.recordFailure(new IllegalStateException("boom"));
        r = send("GET", "/healthz");
        assertEquals(503, r.statusCode());
        assertTrue(r.body().contains("IllegalStateException"), r.body());
    }

    @Test
    void shouldAnswerHeadWithoutBodyAndRejectOtherMethods() throws Exception {
        HttpResponse<String> head = send("HEAD", "/metrics");
        assertEquals(200, head.statusCode());
        assertEquals("", head.body());
        HttpResponse<String> post = send("POST", "/metrics");
        assertEquals(405, post.statusCode());
        assertEquals("GET, HEAD", post.headers().firstValue("Allow").orElseThrow());
        assertEquals(405, send("DELETE", "/healthz").statusCode());
        assertEquals(404, send("GET", "/nothing").statusCode());
        assertEquals(404, send("GET", "/metricsx").statusCode());
    }

    @Test
    void shouldBindToTheConfiguredAddress() {
        assertEquals("127.0.0.1", endpoints.baseUri().getHost());
        assertTrue(endpoints.port() > 0);
    }

    private HttpResponse<String> send(String method, String path) throws Exception {
        HttpRequest req = HttpRequest.newBuilder(URI.create(endpoints.baseUri() + path))
                .timeout(Duration.ofSeconds(10))
                .method(method, HttpRequest.BodyPublishers.noBody())
                .build();
        return client.send(req, HttpResponse.BodyHandlers.ofString());
    }
}
