package dev.refusalmonitor.embedded;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.Socket;
import java.time.Duration;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import dev.refusalmonitor.monitor.testing.KafkaTestSupport;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class EmbeddedKafkaClusterIntegrationTest {

    private static EmbeddedKafkaCluster kafka;

    @BeforeAll
    static void startBroker() {
        kafka = EmbeddedKafkaCluster.builder()
                .brokerProperty("message.max.bytes", String.valueOf(2 * 1024 * 1024))
                .startTimeout(Duration.ofSeconds(60))
                .build();
        kafka.start();
    }

    @AfterAll
    static void stopBroker() {
        if (kafka != null) {
            kafka.close();
        }
    }

    @Test
    void shouldProduceAndConsumeThroughTheEmbeddedBroker() throws Exception {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()))) {
            admin.createTopics(List.of(new NewTopic("roundtrip", 1, (short) 1))).all().get(20, TimeUnit.SECONDS);
        }
        KafkaTestSupport.produce(kafka.bootstrapServers(), "roundtrip", List.of(Map.entry("k1", "v1"), Map.entry("k2", "v2")),
                new StringSerializer(), new StringSerializer());
        List<ConsumerRecord<String, String>> got = KafkaTestSupport.consumeUntil(kafka.bootstrapServers(), "roundtrip", 2,
                Duration.ofSeconds(20), true, new StringDeserializer(), new StringDeserializer());
        assertEquals(List.of("v1", "v2"), got.stream().map(ConsumerRecord::value).toList());
    }

    @Test
    void shouldApplyConfiguredBrokerProperties() throws Exception {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()))) {
            var broker = new org.apache.kafka.common.config.ConfigResource(
                    org.apache.kafka.common.config.ConfigResource.Type.BROKER,
                    String.valueOf(admin.describeCluster().nodes().get(20, TimeUnit.SECONDS).iterator().next().id()));
            var config = admin.describeConfigs(Set.of(broker)).all().get(20, TimeUnit.SECONDS).get(broker);
            assertEquals("2097152", config.get("message.max.bytes").value());
            assertEquals("1", config.get("transaction.state.log.min.isr").value());
            assertEquals("1", config.get("offsets.topic.replication.factor").value());
        }
    }

    @Test
    void shouldListenOnLoopbackOnly() throws Exception {
        assertTrue(kafka.loopbackOnly(), "listeners should be pre-bound to 127.0.0.1");
        int port = Integer.parseInt(kafka.bootstrapServers().split(",")[0].replaceAll(".*:", ""));
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 2000);
        }
        Optional<InetAddress> external = Collections.list(NetworkInterface.getNetworkInterfaces()).stream()
                .flatMap(NetworkInterface::inetAddresses)
                .filter(a -> a instanceof Inet4Address && !a.isLoopbackAddress() && !a.isLinkLocalAddress())
                .findFirst();
        Assumptions.assumeTrue(external.isPresent(), "no non-loopback IPv4 address on this machine");
        try (Socket s = new Socket()) {
            assertThrows(java.io.IOException.class,
                    () -> s.connect(new InetSocketAddress(external.get(), port), 2000),
                    "the broker port must not accept connections on " + external.get());
        }
    }

    @Test
    void shouldRejectSecondStartAndUseAfterClose() {
        assertThrows(IllegalStateException.class, kafka::start);
        EmbeddedKafkaCluster never = EmbeddedKafkaCluster.builder().build();
        never.close();
        assertThrows(IllegalStateException.class, never::start);
        assertThrows(IllegalStateException.class, never::bootstrapServers);
    }

    @Test
    void closeShouldStopTheBrokerEvenWhenInterruptedAndDeleteItsData() throws Exception {
        EmbeddedKafkaCluster own = EmbeddedKafkaCluster.builder().startTimeout(Duration.ofSeconds(60)).build();
        java.nio.file.Path dir;
        try {
            own.start();
            dir = own.dataDirectory();
            try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, own.bootstrapServers()))) {
                admin.createTopics(List.of(new NewTopic("kept-until-close", 1, (short) 1))).all().get(20, TimeUnit.SECONDS);
            }
            KafkaTestSupport.produce(own.bootstrapServers(), "kept-until-close", List.of(Map.entry("k", "v")),
                    new StringSerializer(), new StringSerializer());
            assertTrue(java.nio.file.Files.isDirectory(dir), "the running broker's data directory must exist");
            try (var files = java.nio.file.Files.walk(dir)) {
                assertTrue(files.anyMatch(f -> f.getFileName().toString().startsWith("kept-until-close")),
                        "the topic's log should be under the data directory");
            }
        } finally {
            // as when Ctrl-C interrupts the demo's main thread: the broker must still stop completely
            Thread.currentThread().interrupt();
            try {
                own.close();
            } finally {
                assertTrue(Thread.interrupted(), "close() must keep the caller's interrupt status");
            }
        }
        assertTrue(java.nio.file.Files.notExists(dir), "close() must delete the broker's data directory " + dir);
    }
}
