package dev.refusalmonitor.embedded;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.Field;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;

import org.apache.kafka.common.network.ListenerName;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.apache.kafka.common.test.TestKitNodes;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real single-node KRaft broker (combined broker + controller) running inside this JVM, built on
 * {@link KafkaClusterTestKit}. Used by the {@code demo} command and by integration tests; it is not a
 * production broker (data lives in a temporary directory deleted on {@link #close()}).
 *
 * <p>For one node the internal topics must have replication factor 1 and the transaction state log a
 * min ISR of 1; without them an {@code exactly_once_v2} Streams application never reaches RUNNING
 * (docs/DESIGN.md, "Versions and parts that work here"). These defaults are set here and can be overridden
 * with {@link Builder#brokerProperty(String, Object)}.
 *
 * <p>Both listeners are bound to the loopback interface only. The test kit pre-binds its listener
 * sockets to the wildcard address; we pre-bind them to 127.0.0.1 instead before the kit does (see
 * {@link #preBindToLoopback}). {@link #loopbackOnly()} reports whether that succeeded.
 *
 * <p>Every blocking step has a deadline ({@link Builder#startTimeout(Duration)},
 * {@link Builder#closeTimeout(Duration)}).
 *
 * <p>The listeners are named {@value #BROKER_LISTENER} (the one clients use) and {@value #CONTROLLER_LISTENER}, both
 * PLAINTEXT unless {@link Builder#listenerSecurityProtocols(String, String)} says otherwise; per-listener broker
 * settings ({@code listener.name.external.*}, TLS key stores, SASL mechanisms and their JAAS configs) are ordinary
 * {@link Builder#brokerProperty(String, Object) broker properties}.
 */
public final class EmbeddedKafkaCluster implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedKafkaCluster.class);

    /** Broker settings a single node needs; any of them may be overridden. */
    public static final Map<String, String> SINGLE_NODE_DEFAULTS = Map.ofEntries(
            Map.entry("offsets.topic.replication.factor", "1"),
            Map.entry("offsets.topic.num.partitions", "1"),
            Map.entry("transaction.state.log.replication.factor", "1"),
            Map.entry("transaction.state.log.min.isr", "1"),
            Map.entry("transaction.state.log.num.partitions", "1"),
            Map.entry("share.coordinator.state.topic.replication.factor", "1"),
            Map.entry("share.coordinator.state.topic.min.isr", "1"),
            Map.entry("default.replication.factor", "1"),
            Map.entry("min.insync.replicas", "1"),
            Map.entry("num.partitions", "1"),
            Map.entry("auto.create.topics.enable", "false"),
            // Streams' consumer groups join faster; the 3 s default only slows tests and the demo.
            Map.entry("group.initial.rebalance.delay.ms", "0"));

    /** Name of the listener clients connect to ({@link #bootstrapServers()}). */
    public static final String BROKER_LISTENER = "EXTERNAL";
    /** Name of the KRaft controller listener. */
    public static final String CONTROLLER_LISTENER = "CONTROLLER";

    private final Map<String, Object> brokerProperties;
    private final Duration startTimeout;
    private final Duration closeTimeout;

    private KafkaClusterTestKit cluster;
    private Path dataDir;
    private List<ServerSocketChannel> preboundSockets = List.of();
    private boolean loopbackOnly;
    private boolean closed;

    private EmbeddedKafkaCluster(Builder b) {
        this.brokerProperties = new LinkedHashMap<>(b.brokerProperties);
        this.startTimeout = b.startTimeout;
        this.closeTimeout = b.closeTimeout;
    }

    /** A builder with the single-node defaults, a 60 s start deadline and a 30 s close deadline. */
    public static Builder builder() {
        return new Builder();
    }

    /** Builds and starts a cluster with the default settings. */
    public static EmbeddedKafkaCluster startDefault() {
        EmbeddedKafkaCluster c = builder().build();
        c.start();
        return c;
    }

    /**
     * Formats the storage, starts the node and waits until the broker is ready.
     *
     * @throws IllegalStateException when called twice or after {@link #close()}
     * @throws EmbeddedKafkaException when the broker is not ready within the start deadline; the partly
     *     started cluster is closed
     */
    public synchronized void start() {
        if (closed) {
            throw new IllegalStateException("embedded Kafka cluster is closed");
        }
        if (cluster != null) {
            throw new IllegalStateException("embedded Kafka cluster already started");
        }
        long deadline = System.nanoTime() + startTimeout.toNanos();
        try {
            // Our own data directory: the kit's default one is deleted by a JVM shutdown hook that runs beside the
            // application's own hooks, so on Ctrl-C it vanished under a broker still writing its checkpoints (errors
            // at every demo exit). close() deletes this one after the broker has stopped.
            dataDir = Files.createTempDirectory("embedded-kafka-");
            TestKitNodes nodes = new TestKitNodes.Builder()
                    .setBaseDirectory(dataDir)
                    .setCombined(true)
                    .setNumBrokerNodes(1)
                    .setNumControllerNodes(1)
                    .setBrokerListenerName(new ListenerName(BROKER_LISTENER))
                    .setControllerListenerName(new ListenerName(CONTROLLER_LISTENER))
                    .build();
            KafkaClusterTestKit.Builder kit = new KafkaClusterTestKit.Builder(nodes);
            for (Map.Entry<String, Object> e : brokerProperties.entrySet()) {
                kit.setConfigProp(e.getKey(), e.getValue());
            }
            loopbackOnly = preBindToLoopback(kit, nodes);
            cluster = kit.build();
            cluster.format();
            runWithDeadline("broker startup", deadline, () -> {
                cluster.startup();
                cluster.waitForReadyBrokers();
                return null;
            });
            LOG.info("Embedded KRaft broker ready at {} (loopback only: {})", cluster.bootstrapServers(), loopbackOnly);
        } catch (RuntimeException | Error e) {
            closeQuietly();
            throw e;
        } catch (Exception e) {
            closeQuietly();
            throw new EmbeddedKafkaException("could not start the embedded Kafka broker: " + e.getMessage(), e);
        }
    }

    /** The broker's bootstrap address, e.g. {@code localhost:41234}. */
    public synchronized String bootstrapServers() {
        if (cluster == null) {
            throw new IllegalStateException("embedded Kafka cluster is not started");
        }
        return cluster.bootstrapServers();
    }

    /** True when both listeners are bound to 127.0.0.1 only (false: the test kit's wildcard binding). */
    public synchronized boolean loopbackOnly() {
        return loopbackOnly;
    }

    /** The broker properties this cluster was (or will be) started with, defaults included. */
    public Map<String, Object> brokerProperties() {
        return Map.copyOf(brokerProperties);
    }

    /** Stops the node and deletes its data, waiting at most the close deadline. Idempotent. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        KafkaClusterTestKit c = cluster;
        cluster = null;
        try {
            if (c != null) {
                runWithDeadline("broker shutdown", System.nanoTime() + closeTimeout.toNanos(), () -> {
                    c.close();
                    return null;
                });
            }
        } catch (Exception e) {
            throw new EmbeddedKafkaException("could not stop the embedded Kafka broker: " + e, e);
        } finally {
            closeSockets();
            deleteDataDir();
        }
    }

    private void deleteDataDir() {
        Path dir = dataDir;
        dataDir = null;
        if (dir == null || !Files.exists(dir)) return;
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        } catch (IOException | UncheckedIOException e) {
            LOG.warn("could not delete the embedded broker's data directory {}: {}", dir, e.toString());
        }
    }

    /** The broker's data directory while it runs (deleted on {@link #close()}); null before {@link #start()}. */
    public synchronized Path dataDirectory() {
        return dataDir;
    }

    private void closeQuietly() {
        try {
            close();
        } catch (RuntimeException e) {
            LOG.warn("Closing the partly started embedded broker failed: {}", e.toString());
        }
    }

    private void closeSockets() {
        for (ServerSocketChannel ch : preboundSockets) {
            try {
                ch.close();
            } catch (IOException e) {
                LOG.debug("closing a pre-bound socket failed", e);
            }
        }
        preboundSockets = List.of();
    }

    /**
     * The test kit asks its PreboundSocketFactoryManager for one socket per (node, listener) and binds it
     * to the wildcard address. Filling the manager's map first with loopback-bound sockets makes it hand
     * out ours instead. This touches a private field of a test library, so any failure falls back to the
     * kit's own binding with a warning rather than refusing to start.
     */
    @SuppressWarnings("unchecked")
    private boolean preBindToLoopback(KafkaClusterTestKit.Builder kit, TestKitNodes nodes) {
        List<ServerSocketChannel> opened = new ArrayList<>();
        try {
            Field managerField = KafkaClusterTestKit.Builder.class.getDeclaredField("socketFactoryManager");
            managerField.setAccessible(true);
            Object manager = managerField.get(kit);
            Field socketsField = manager.getClass().getDeclaredField("sockets");
            socketsField.setAccessible(true);
            Map<Integer, Map<String, ServerSocketChannel>> sockets =
                    (Map<Integer, Map<String, ServerSocketChannel>>) socketsField.get(manager);
            String brokerListener = nodes.brokerListenerName().value();
            String controllerListener = nodes.controllerListenerName().value();
            for (int id : nodes.controllerNodes().keySet()) {
                opened.add(bindLoopback(sockets, id, controllerListener));
            }
            for (int id : nodes.brokerNodes().keySet()) {
                opened.add(bindLoopback(sockets, id, brokerListener));
            }
            preboundSockets = List.copyOf(opened);
            return true;
        } catch (ReflectiveOperationException | RuntimeException | IOException e) {
            for (ServerSocketChannel ch : opened) {
                try {
                    ch.close();
                } catch (IOException ignored) {
                    // best effort: the kit binds its own sockets
                }
            }
            LOG.warn("Could not bind the embedded broker to 127.0.0.1 only ({}); it listens on all interfaces", e.toString());
            return false;
        }
    }

    private static ServerSocketChannel bindLoopback(Map<Integer, Map<String, ServerSocketChannel>> sockets,
                                                    int nodeId, String listener) throws IOException {
        ServerSocketChannel ch = ServerSocketChannel.open();
        ch.socket().setReuseAddress(true);
        ch.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        // As Kafka's own ServerSocketFactory does: the acceptor registers the channel with a selector.
        ch.configureBlocking(false);
        sockets.computeIfAbsent(nodeId, k -> new HashMap<>()).put(listener, ch);
        return ch;
    }

    private interface Step {
        Void run() throws Exception;
    }

    /** Runs a blocking test-kit call on a daemon thread and gives up at the deadline. */
    private static void runWithDeadline(String what, long deadlineNanos, Step step) throws Exception {
        ExecutorService ex = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "embedded-kafka-" + what.replace(' ', '-'));
            t.setDaemon(true);
            return t;
        });
        try {
            Future<Void> f = ex.submit(step::run);
            boolean interrupted = false;
            try {
                while (true) {
                    try {
                        f.get(Math.max(deadlineNanos - System.nanoTime(), 0), TimeUnit.NANOSECONDS);
                        break;
                    } catch (InterruptedException e) {
                        // Finish the step anyway: an interrupt (Ctrl-C reaches the demo's main thread as one) must not
                        // leave a half-stopped broker whose data directory is then deleted under it.
                        interrupted = true;
                    }
                }
            } catch (TimeoutException e) {
                f.cancel(true);
                throw new EmbeddedKafkaException(what + " did not finish within its deadline", e);
            } catch (ExecutionException e) {
                Throwable cause = e.getCause();
                if (cause instanceof Exception ce) {
                    throw ce;
                }
                throw e;
            } finally {
                if (interrupted) Thread.currentThread().interrupt();
            }
        } finally {
            ex.shutdownNow();
        }
    }

    /** Thrown when the embedded broker cannot start or stop in time. */
    public static final class EmbeddedKafkaException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        public EmbeddedKafkaException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** Settings for an {@link EmbeddedKafkaCluster}. */
    public static final class Builder {
        private final Map<String, Object> brokerProperties = new LinkedHashMap<>(SINGLE_NODE_DEFAULTS);
        private Duration startTimeout = Duration.ofSeconds(60);
        private Duration closeTimeout = Duration.ofSeconds(30);

        private Builder() {
        }

        /** Sets one broker property (e.g. {@code message.max.bytes}); overrides a default. */
        public Builder brokerProperty(String key, Object value) {
            brokerProperties.put(Objects.requireNonNull(key, "key"), Objects.requireNonNull(value, "value for " + key));
            return this;
        }

        /**
         * The security protocols of the two listeners, e.g. {@code SASL_SSL} and {@code SASL_PLAINTEXT} (the test kit's
         * default is PLAINTEXT for both). Sets {@code listener.security.protocol.map}; the listeners' TLS and SASL
         * settings are broker properties ({@code listener.name.external.ssl.keystore.location},
         * {@code listener.name.external.sasl.enabled.mechanisms}, ...).
         */
        public Builder listenerSecurityProtocols(String brokerListener, String controllerListener) {
            return brokerProperty("listener.security.protocol.map", BROKER_LISTENER + ":" + Objects.requireNonNull(brokerListener)
                    + "," + CONTROLLER_LISTENER + ":" + Objects.requireNonNull(controllerListener));
        }

        /** Sets several broker properties. */
        public Builder brokerProperties(Map<String, ?> props) {
            props.forEach(this::brokerProperty);
            return this;
        }

        /** Deadline for format, startup and waiting for the broker to be ready. */
        public Builder startTimeout(Duration timeout) {
            this.startTimeout = requirePositive(timeout, "startTimeout");
            return this;
        }

        /** Deadline for {@link EmbeddedKafkaCluster#close()}. */
        public Builder closeTimeout(Duration timeout) {
            this.closeTimeout = requirePositive(timeout, "closeTimeout");
            return this;
        }

        public EmbeddedKafkaCluster build() {
            return new EmbeddedKafkaCluster(this);
        }

        private static Duration requirePositive(Duration d, String name) {
            Objects.requireNonNull(d, name);
            if (d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException(name + " must be positive, got " + d);
            }
            return d;
        }
    }
}
