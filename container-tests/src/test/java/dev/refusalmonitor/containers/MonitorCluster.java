package dev.refusalmonitor.containers;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.CreateContainerCmd;
import com.github.dockerjava.api.model.ExposedPort;
import com.github.dockerjava.api.model.PortBinding;
import com.github.dockerjava.api.model.Ports;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.TopicDescription;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.Network;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.lifecycle.Startables;
import org.testcontainers.utility.DockerImageName;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.StringJoiner;
import java.util.concurrent.TimeUnit;

/**
 * Three {@code refusal-monitor/kafka} brokers (combined broker+controller, KRaft, replication 3, min.insync.replicas 2)
 * and two {@code refusal-monitor/monitor-service} containers in one application id, on one container network.
 *
 * <p><b>Host ports.</b> The test JVM reaches the brokers through an EXTERNAL listener advertised as
 * {@code 127.0.0.1:PORT} and published on {@code 127.0.0.1:PORT} (host port = container port, so the advertised address
 * is right on both sides), and each monitor's HTTP port the same way. Each PORT is chosen free when the cluster is
 * built (bind port 0 on 127.0.0.1, read it, release it) and then bound fixed: a port must survive a container
 * restart (Testcontainers' random mappings change when a container is restarted) and a broker must know its own
 * advertised port before it starts. The short race between releasing and binding is accepted. Nothing is published
 * on any other interface.
 */
final class MonitorCluster implements AutoCloseable {
    static final String APPLICATION_ID = "ct-monitor";
    private static final int MONITOR_HTTP = 8080;

    final Network network = Network.newNetwork();
    final List<GenericContainer<?>> brokers = new ArrayList<>();
    final List<GenericContainer<?>> monitors = new ArrayList<>();
    final int[] brokerPorts = new int[3];
    final int[] monitorPorts = new int[2];
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    /** The public key the monitors trust (PEM, from {@code probe-trainer keygen}); the test signs its sets with the private one. */
    private final byte[] trustedKeyPem;

    private static final String TRUSTED_KEY_PATH = "/etc/refusal-monitor/trusted-key.pub.pem";

    MonitorCluster(byte[] trustedKeyPem) throws IOException {
        this.trustedKeyPem = trustedKeyPem;
        for (int i = 0; i < 3; i++) brokerPorts[i] = freePort();
        for (int i = 0; i < 2; i++) monitorPorts[i] = freePort();
        String clusterId = org.apache.kafka.common.Uuid.randomUuid().toString();
        StringJoiner voters = new StringJoiner(",");
        for (int i = 1; i <= 3; i++) voters.add(i + "@kafka-" + i + ":9093");
        for (int i = 1; i <= 3; i++) {
            int port = brokerPorts[i - 1];
            GenericContainer<?> b = new GenericContainer<>(DockerImageName.parse(ContainerEngine.image(ContainerEngine.KAFKA)))
                    .withNetwork(network)
                    .withNetworkAliases("kafka-" + i)
                    .withEnv(Map.ofEntries(
                            Map.entry("CLUSTER_ID", clusterId),
                            Map.entry("KAFKA_NODE_ID", Integer.toString(i)),
                            Map.entry("KAFKA_CONTROLLER_QUORUM_VOTERS", voters.toString()),
                            Map.entry("KAFKA_LISTENERS", "PLAINTEXT://:9092,CONTROLLER://:9093,EXTERNAL://:" + port),
                            Map.entry("KAFKA_ADVERTISED_LISTENERS", "PLAINTEXT://kafka-" + i + ":9092,EXTERNAL://127.0.0.1:" + port),
                            Map.entry("KAFKA_DEFAULT_REPLICATION_FACTOR", "3"),
                            Map.entry("KAFKA_MIN_INSYNC_REPLICAS", "2"),
                            Map.entry("KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR", "3"),
                            Map.entry("KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR", "3"),
                            Map.entry("KAFKA_TRANSACTION_STATE_LOG_MIN_ISR", "2"),
                            Map.entry("KAFKA_SHARE_COORDINATOR_STATE_TOPIC_REPLICATION_FACTOR", "3"),
                            Map.entry("KAFKA_SHARE_COORDINATOR_STATE_TOPIC_MIN_ISR", "2"),
                            Map.entry("KAFKA_AUTO_CREATE_TOPICS_ENABLE", "false"),
                            Map.entry("KAFKA_LOG_LEVEL", "WARN"),
                            Map.entry("JAVA_OPTS", "-Xms128m -Xmx384m")))
                    .withCreateContainerCmdModifier(cmd -> publishOnLoopback(cmd, port, port))
                    // The broker logs at WARN here, so this waits for the entrypoint's announcement only; startBrokers
                    // then waits until all three answer as a cluster.
                    .waitingFor(Wait.forLogMessage("(?s).*kafka-entrypoint: node " + i + " .*", 1))
                    .withStartupTimeout(Duration.ofMinutes(2));
            brokers.add(b);
        }
        for (int i = 1; i <= 2; i++) {
            int port = monitorPorts[i - 1];
            GenericContainer<?> m = new GenericContainer<>(DockerImageName.parse(ContainerEngine.image(ContainerEngine.MONITOR)))
                    .withNetwork(network)
                    .withNetworkAliases("monitor-" + i)
                    .withCommand("run")
                    .withCopyToContainer(org.testcontainers.images.builder.Transferable.of(trustedKeyPem, 0644), TRUSTED_KEY_PATH)
                    .withEnv(Map.ofEntries(
                            Map.entry("REFUSAL_MONITOR_BOOTSTRAP_SERVERS", "kafka-1:9092,kafka-2:9092,kafka-3:9092"),
                            Map.entry("REFUSAL_MONITOR_APPLICATION_ID", APPLICATION_ID),
                            Map.entry("REFUSAL_MONITOR_NUM_STREAM_THREADS", "1"),
                            Map.entry("REFUSAL_MONITOR_HTTP_PORT", Integer.toString(MONITOR_HTTP)),
                            Map.entry("REFUSAL_MONITOR_DIRECTIONS_TRUSTED_KEYS", TRUSTED_KEY_PATH),
                            // A killed member leaves the group after 10 s instead of Kafka's default 45 s.
                            Map.entry("KAFKA_SESSION_TIMEOUT_MS", "10000"),
                            Map.entry("KAFKA_HEARTBEAT_INTERVAL_MS", "2000"),
                            Map.entry("JAVA_OPTS", "-Xmx384m")))
                    .withCreateContainerCmdModifier(cmd -> publishOnLoopback(cmd, port, MONITOR_HTTP))
                    .waitingFor(Wait.forLogMessage("(?s).*monitor started.*", 1))
                    .withStartupTimeout(Duration.ofMinutes(3));
            monitors.add(m);
        }
    }

    /** Publishes container port {@code containerPort} on 127.0.0.1:{@code hostPort} only. */
    private static void publishOnLoopback(CreateContainerCmd cmd, int hostPort, int containerPort) {
        ExposedPort exposed = ExposedPort.tcp(containerPort);
        cmd.withExposedPorts(exposed);
        cmd.getHostConfig().withPortBindings(new PortBinding(Ports.Binding.bindIpAndPort("127.0.0.1", hostPort), exposed));
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    String bootstrapServers() {
        StringJoiner j = new StringJoiner(",");
        for (int p : brokerPorts) j.add("127.0.0.1:" + p);
        return j.toString();
    }

    void startBrokers() throws Exception {
        // Combined nodes need a quorum (2 of 3 voters) before any of them finishes starting: start them together.
        Startables.deepStart(brokers).get(3, TimeUnit.MINUTES);
        awaitBrokers(3, Duration.ofMinutes(2));
    }

    void startMonitors() throws Exception {
        Startables.deepStart(monitors).get(4, TimeUnit.MINUTES);
        for (int i = 0; i < monitors.size(); i++) awaitReady(i, Duration.ofMinutes(2));
    }

    Admin admin() {
        Properties p = new Properties();
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
        p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "30000");
        return Admin.create(p);
    }

    /** Waits until {@code n} brokers are registered. */
    void awaitBrokers(int n, Duration timeout) throws InterruptedException {
        long end = System.nanoTime() + timeout.toNanos();
        try (Admin admin = admin()) {
            while (true) {
                try {
                    if (admin.describeCluster().nodes().get(5, TimeUnit.SECONDS).size() >= n) return;
                } catch (Exception e) {
                    // not yet
                }
                if (System.nanoTime() > end) throw new AssertionError(n + " brokers did not register within " + timeout);
                Thread.sleep(500);
            }
        }
    }

    /** Waits until every partition of {@code topics} has all three replicas in sync again (after a broker restart). */
    void awaitFullIsr(Collection<String> topics, Duration timeout) throws InterruptedException {
        long end = System.nanoTime() + timeout.toNanos();
        try (Admin admin = admin()) {
            while (true) {
                try {
                    Map<String, TopicDescription> d = admin.describeTopics(topics).allTopicNames().get(10, TimeUnit.SECONDS);
                    if (d.values().stream().flatMap(t -> t.partitions().stream()).allMatch(p -> p.isr().size() == 3)) return;
                } catch (Exception e) {
                    // not yet
                }
                if (System.nanoTime() > end) throw new AssertionError("replicas of " + topics + " not back in sync within " + timeout);
                Thread.sleep(1000);
            }
        }
    }

    /** GET http://127.0.0.1:PORT/readyz of monitor {@code i} until 200 (Streams RUNNING and a direction set loaded). */
    void awaitReady(int i, Duration timeout) throws InterruptedException {
        long end = System.nanoTime() + timeout.toNanos();
        URI uri = URI.create("http://127.0.0.1:" + monitorPorts[i] + "/readyz");
        while (true) {
            try {
                HttpResponse<Void> r = http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(3)).build(),
                        HttpResponse.BodyHandlers.discarding());
                if (r.statusCode() == 200) return;
            } catch (IOException e) {
                // not listening yet
            }
            if (System.nanoTime() > end) throw new AssertionError("monitor-" + (i + 1) + " not ready within " + timeout);
            Thread.sleep(500);
        }
    }

    private static DockerClient docker() {
        return DockerClientFactory.instance().client();
    }

    /** kill -9 of the container's main process; the container stays, stopped, and can be started again. */
    static void kill(GenericContainer<?> c) {
        docker().killContainerCmd(c.getContainerId()).withSignal("KILL").exec();
        long end = System.nanoTime() + 10_000_000_000L;
        while (Boolean.TRUE.equals(docker().inspectContainerCmd(c.getContainerId()).exec().getState().getRunning())) {
            if (System.nanoTime() > end) throw new AssertionError("container " + c.getContainerId() + " still runs after SIGKILL");
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
    }

    /** A graceful stop (SIGTERM, then SIGKILL after {@code graceSeconds}). */
    static void stop(GenericContainer<?> c, int graceSeconds) {
        docker().stopContainerCmd(c.getContainerId()).withTimeout(graceSeconds).exec();
    }

    /** Starts a stopped or killed container again (same id, file system, network alias and port bindings). */
    static void restart(GenericContainer<?> c) {
        docker().startContainerCmd(c.getContainerId()).exec();
    }

    /** The last {@code lines} lines of every container's log, for a failure message. */
    String logTails(int lines) {
        StringBuilder sb = new StringBuilder();
        List<GenericContainer<?>> all = new ArrayList<>(brokers);
        all.addAll(monitors);
        for (GenericContainer<?> c : all) {
            if (c.getContainerId() == null) continue;
            String alias = c.getNetworkAliases().isEmpty() ? c.getContainerId() : c.getNetworkAliases().get(c.getNetworkAliases().size() - 1);
            String[] log;
            try {
                log = c.getLogs().split("\n");
            } catch (RuntimeException e) {
                log = new String[]{"(no log: " + e.getMessage() + ")"};
            }
            sb.append("---- ").append(alias).append('\n');
            for (int k = Math.max(0, log.length - lines); k < log.length; k++) sb.append(log[k]).append('\n');
        }
        return sb.toString();
    }

    @Override
    public void close() {
        for (GenericContainer<?> m : monitors) m.stop();
        for (GenericContainer<?> b : brokers) b.stop();
        network.close();
    }
}
