package dev.refusalmonitor.monitor.http;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The operations endpoints on the JDK HTTP server:
 * <ul>
 *   <li>{@code GET /metrics}: Prometheus text exposition, {@value #PROMETHEUS_CONTENT_TYPE};</li>
 *   <li>{@code GET /healthz}: 200 while live, else 503;</li>
 *   <li>{@code GET /readyz}: 200 when ready, else 503;</li>
 * </ul>
 * Health answers are one line of JSON: {@code {"status":"ok"|"fail","reason":"..."}}. HEAD is answered
 * like GET without a body; other methods get 405 with an {@code Allow} header; unknown paths 404.
 * Binds to the configured address only (127.0.0.1 by default).
 */
public final class HttpEndpoints implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(HttpEndpoints.class);

    /** Prometheus text format 0.0.4, which every Prometheus 2.x scrapes. */
    public static final String PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

    private final HttpServer server;
    private final ExecutorService executor;

    private HttpEndpoints(HttpServer server, ExecutorService executor) {
        this.server = server;
        this.executor = executor;
    }

    /**
     * Starts the server.
     *
     * @param bindAddress address to bind, e.g. {@code 127.0.0.1} or {@code 0.0.0.0}
     * @param port port, 0 for any free port
     * @param registry the registry scraped by {@code /metrics}
     * @param liveness check behind {@code /healthz}
     * @param readiness check behind {@code /readyz}
     * @throws IOException when the address cannot be bound
     */
    public static HttpEndpoints start(String bindAddress, int port, PrometheusMeterRegistry registry,
                                      Supplier<Check> liveness, Supplier<Check> readiness) throws IOException {
        Objects.requireNonNull(registry, "registry");
        Objects.requireNonNull(liveness, "liveness");
        Objects.requireNonNull(readiness, "readiness");
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getByName(bindAddress), port), 0);
        ExecutorService executor = Executors.newFixedThreadPool(2, r -> {
            Thread t = new Thread(r, "monitor-http");
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(executor);
        server.createContext("/metrics", exact("/metrics", ex -> {
            byte[] body = registry.scrape().getBytes(StandardCharsets.UTF_8);
            send(ex, 200, PROMETHEUS_CONTENT_TYPE, body);
        }));
        server.createContext("/healthz", exact("/healthz", ex -> sendCheck(ex, liveness.get())));
        server.createContext("/readyz", exact("/readyz", ex -> sendCheck(ex, readiness.get())));
        server.createContext("/", ex -> {
            try (ex) {
                send(ex, 404, "text/plain; charset=utf-8", "not found\n".getBytes(StandardCharsets.UTF_8));
            }
        });
        server.start();
        HttpEndpoints endpoints = new HttpEndpoints(server, executor);
        LOG.info("HTTP endpoints on {}", endpoints.baseUri());
        return endpoints;
    }

    /** The bound port (useful with port 0). */
    public int port() {
        return server.getAddress().getPort();
    }

    /** E.g. {@code http://127.0.0.1:8080}. */
    public URI baseUri() {
        InetSocketAddress a = server.getAddress();
        String host = a.getAddress().getHostAddress();
        if (host.contains(":")) {
            host = "[" + host + "]";
        }
        return URI.create("http://" + host + ":" + a.getPort());
    }

    /** Stops accepting requests, gives running ones up to one second, and stops the threads. */
    @Override
    public void close() {
        server.stop(1);
        executor.shutdownNow();
        try {
            executor.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private interface Handler {
        void handle(HttpExchange ex) throws IOException;
    }

    /** Wraps a handler: exact path only, GET/HEAD only, exchange always closed. */
    private static HttpHandler exact(String path, Handler handler) {
        return ex -> {
            try (ex) {
                if (!ex.getRequestURI().getPath().equals(path)) {
                    send(ex, 404, "text/plain; charset=utf-8", "not found\n".getBytes(StandardCharsets.UTF_8));
                    return;
                }
                String method = ex.getRequestMethod();
                if (!method.equals("GET") && !method.equals("HEAD")) {
                    ex.getResponseHeaders().set("Allow", "GET, HEAD");
                    send(ex, 405, "text/plain; charset=utf-8", "method not allowed\n".getBytes(StandardCharsets.UTF_8));
                    return;
                }
                handler.handle(ex);
            } catch (RuntimeException e) {
                LOG.warn("HTTP handler for {} failed: {}", path, e.toString());
                send(ex, 500, "text/plain; charset=utf-8", "internal error\n".getBytes(StandardCharsets.UTF_8));
            }
        };
    }

    private static void sendCheck(HttpExchange ex, Check check) throws IOException {
        String json = "{\"status\":\"" + (check.ok() ? "ok" : "fail") + "\",\"reason\":\"" + escape(check.reason()) + "\"}\n";
        send(ex, check.ok() ? 200 : 503, "application/json", json.getBytes(StandardCharsets.UTF_8));
    }

    private static void send(HttpExchange ex, int status, String contentType, byte[] body) throws IOException {
        ex.getResponseHeaders().set("Content-Type", contentType);
        ex.getResponseHeaders().set("Cache-Control", "no-store");
        boolean head = ex.getRequestMethod().equals("HEAD");
        // -1: no body (HEAD); otherwise a fixed length.
        ex.sendResponseHeaders(status, head ? -1 : body.length);
        if (!head) {
            try (OutputStream out = ex.getResponseBody()) {
                out.write(body);
            }
        }
    }

    private static String escape(String s) {
        StringBuilder sb = new StringBuilder(s.length());
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                default -> {
                    if (c < 0x20) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        return sb.toString();
    }
}
