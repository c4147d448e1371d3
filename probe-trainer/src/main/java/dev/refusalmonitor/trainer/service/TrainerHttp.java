package dev.refusalmonitor.trainer.service;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/** {@code /metrics} (Prometheus text) and {@code /healthz} on the loopback interface, with the JDK's HttpServer. */
public final class TrainerHttp implements AutoCloseable {
    private final HttpServer server;

    /** @param port 0 = any free port */
    public TrainerHttp(String bindAddress, int port, Supplier<String> scrape, BooleanSupplier healthy) throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getByName(bindAddress), port), 0);
        server.createContext("/metrics", ex -> reply(ex, 200, "text/plain; version=0.0.4; charset=utf-8", scrape.get()));
        server.createContext("/healthz", ex -> {
            boolean ok = healthy.getAsBoolean();
            reply(ex, ok ? 200 : 503, "text/plain; charset=utf-8", ok ? "ok\n" : "unhealthy\n");
        });
        server.setExecutor(Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "probe-trainer-http");
            t.setDaemon(true);
            return t;
        }));
        server.start();
    }

    /** The bound port (useful with port 0). */
    public int port() {
        return server.getAddress().getPort();
    }

    private static void reply(HttpExchange ex, int status, String type, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", type);
        ex.sendResponseHeaders(status, bytes.length);
        try (OutputStream o = ex.getResponseBody()) {
            o.write(bytes);
        }
    }

    @Override
    public void close() {
        server.stop(0);
        ((java.util.concurrent.ExecutorService) server.getExecutor()).shutdownNow();
    }
}
