package dev.refusalmonitor.monitor.kafka;

import dev.refusalmonitor.monitor.testing.TestKeys;

import dev.refusalmonitor.schemas.kafka.TopicProvisioner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import dev.refusalmonitor.monitor.config.MonitorConfig;
import dev.refusalmonitor.contract.TopicId;
import dev.refusalmonitor.contract.TopicSettings;
import dev.refusalmonitor.embedded.EmbeddedKafkaCluster;
import dev.refusalmonitor.monitor.metrics.MonitorMetrics;
import dev.refusalmonitor.monitor.testing.KafkaTestSupport;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.GlobalKTable;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The infrastructure on a real in-JVM KRaft broker: topic provisioning and an exactly-once Streams app. */
class InfrastructureIntegrationTest {

    private static final Duration WAIT = Duration.ofSeconds(45);
    private static EmbeddedKafkaCluster kafka;

    @BeforeAll
    static void startBroker() {
        kafka = EmbeddedKafkaCluster.builder().brokerProperty("message.max.bytes", String.valueOf(8 * 1024 * 1024)).build();
        kafka.start();
    }

    @AfterAll
    static void stopBroker() {
        if (kafka != null) {
            kafka.close();
        }
    }

    private static MonitorConfig config(String prefix, Map<String, String> extra) {
        Map<String, String> o = new HashMap<>(extra);
        o.put("bootstrap.servers", kafka.bootstrapServers());
        o.put("refusal.monitor.application.id", prefix + "-app");
        for (TopicId id : TopicId.values()) {
            o.put(MonitorConfig.topicKey(id, "name"), prefix + "." + id.defaultName());
            o.putIfAbsent(MonitorConfig.topicKey(id, "partitions"), "2");
        }
        o.put("refusal.monitor.directions.max.message.bytes", String.valueOf(4 * 1024 * 1024));
        // Tests only: commit often so read_committed consumers see results quickly.
        o.put("commit.interval.ms", "100");
        o.putIfAbsent(MonitorConfig.DIRECTIONS_TRUSTED_KEYS, TestKeys.publicKeyFile().toString());
        return MonitorConfig.of(o);
    }

    @Test
    void shouldCreateMissingTopicsWithConfiguredSettings() throws Exception {
        MonitorConfig config = config("prov", Map.of());
        try (Admin admin = Admin.create(config.adminProperties())) {
            TopicProvisioner.Result r = new TopicProvisioner(admin, Duration.ofSeconds(20)).provision(config.topics());
            assertEquals(TopicId.values().length, r.created().size());
            assertTrue(r.warnings().isEmpty(), r.warnings().toString());

            ConfigResource dir = new ConfigResource(ConfigResource.Type.TOPIC, config.topic(TopicId.DIRECTIONS).name());
            ConfigResource hs = new ConfigResource(ConfigResource.Type.TOPIC, config.topic(TopicId.HIDDEN_STATES).name());
            Map<ConfigResource, Config> described =
                    KafkaTestSupport.awaitTopicConfigs(admin, List.of(dir.name(), hs.name()), WAIT);
            assertEquals("compact", described.get(dir).get("cleanup.policy").value());
            assertEquals(String.valueOf(4 * 1024 * 1024), described.get(dir).get("max.message.bytes").value());
            assertEquals("delete", described.get(hs).get("cleanup.policy").value());
            assertEquals("3600000", described.get(hs).get("retention.ms").value());
            assertEquals(2, admin.describeTopics(List.of(hs.name())).allTopicNames().get(20, TimeUnit.SECONDS)
                    .get(hs.name()).partitions().size());

            // Second run: nothing created, nothing to warn about.
            TopicProvisioner.Result again = new TopicProvisioner(admin, Duration.ofSeconds(20)).provision(config.topics());
            assertTrue(again.created().isEmpty());
            assertEquals(TopicId.values().length, again.existing().size());
            assertTrue(again.warnings().isEmpty(), again.warnings().toString());
        }
    }

    @Test
    void shouldLeaveMismatchedExistingTopicAloneAndWarn() throws Exception {
        MonitorConfig config = config("warn", Map.of());
        TopicSettings directions = config.topic(TopicId.DIRECTIONS);
        try (Admin admin = Admin.create(config.adminProperties())) {
            admin.createTopics(List.of(new NewTopic(directions.name(), 1, (short) 1)
                    .configs(Map.of("cleanup.policy", "delete")))).all().get(20, TimeUnit.SECONDS);
            TopicProvisioner.Result r = new TopicProvisioner(admin, Duration.ofSeconds(20)).provision(List.of(directions));
            assertEquals(List.of(directions.name()), r.existing());
            assertTrue(r.warnings().stream().anyMatch(w -> w.contains("cleanup.policy=delete") && w.contains("compact")),
                    r.warnings().toString());
            ConfigResource res = new ConfigResource(ConfigResource.Type.TOPIC, directions.name());
            assertEquals("delete", KafkaTestSupport.awaitTopicConfigs(admin, List.of(directions.name()), WAIT)
                    .get(res).get("cleanup.policy").value(), "existing topic left unchanged");
        }
    }

    @Test
    void shouldRunExactlyOnceStreamsAppWithGlobalTable() throws Exception {
        MonitorConfig config = config("eos", Map.of());
        assertEquals("exactly_once_v2", config.processingGuarantee());
        assertEquals(2, config.streamThreads());
        Topics topics = Topics.from(config);
        try (Admin admin = Admin.create(config.adminProperties())) {
            new TopicProvisioner(admin, Duration.ofSeconds(20)).provision(config.topics());
        }
        // Directions first: the join must see them.
        KafkaTestSupport.produce(kafka.bootstrapServers(), topics.directions().name(),
                List.of(Map.entry("model-a", "v1".getBytes(StandardCharsets.UTF_8))), new StringSerializer(), new ByteArraySerializer());

        StreamsBuilder builder = new StreamsBuilder();
        GlobalKTable<String, byte[]> dirs = builder.globalTable(topics.directions().name(),
                topics.directions().consumed().withName("directions-source"),
                Materialized.<String, byte[], KeyValueStore<Bytes, byte[]>>as(Topics.DIRECTIONS_STORE)
                        .withKeySerde(Serdes.String()).withValueSerde(Serdes.ByteArray()));
        // Value = model id; output = model id + ":" + direction version in force.
        builder.stream(topics.hiddenStates().name(), topics.hiddenStates().consumed().withName("hidden-states-source"))
                .join(dirs, (requestId, value) -> new String(value, StandardCharsets.UTF_8),
                        (value, dir) -> (new String(value, StandardCharsets.UTF_8) + ":" + new String(dir, StandardCharsets.UTF_8))
                                .getBytes(StandardCharsets.UTF_8),
                        Named.as("join-directions"))
                .to(topics.safetyScores().name(), topics.safetyScores().produced().withName("safety-scores-sink"));
        Topology topology = builder.build(config.streamsProperties());

        try (MonitorMetrics metrics = new MonitorMetrics();
             KafkaStreams streams = new KafkaStreams(topology, config.streamsProperties())) {
            metrics.bindKafkaStreams(streams);
            streams.start();
            try {
                KafkaTestSupport.waitForRunning(streams, WAIT);
                ReadOnlyKeyValueStore<String, byte[]> store = streams.store(StoreQueryParameters.fromNameAndType(
                        Topics.DIRECTIONS_STORE, QueryableStoreTypes.keyValueStore()));
                KafkaTestSupport.waitUntil("directions in global store", WAIT, () -> store.get("model-a") != null);

                KafkaTestSupport.produce(kafka.bootstrapServers(), topics.hiddenStates().name(),
                        List.of(Map.entry("req-1", bytes("model-a")), Map.entry("req-2", bytes("model-a")),
                                Map.entry("req-3", bytes("model-a"))),
                        new StringSerializer(), new ByteArraySerializer());
                List<ConsumerRecord<String, String>> out = KafkaTestSupport.consumeUntil(kafka.bootstrapServers(),
                        topics.safetyScores().name(), 3, WAIT, true, new StringDeserializer(), new StringDeserializer());
                assertEquals(Set.of("req-1", "req-2", "req-3"), Set.copyOf(out.stream().map(ConsumerRecord::key).toList()));
                out.forEach(r -> assertEquals("model-a:v1", r.value()));
                assertTrue(metrics.scrape().contains("kafka_stream_thread_"), "Kafka Streams metrics bound");
            } finally {
                streams.close(Duration.ofSeconds(20));
            }
        }
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
