package dev.refusalmonitor.monitor.testing;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.streams.KafkaStreams;

/**
 * Produce / consume helpers for broker tests. Every wait has a deadline and fails the test with a
 * message naming what did not happen.
 */
public final class KafkaTestSupport {

    private KafkaTestSupport() {
    }

    /** Synchronously produces the records (acks=all, idempotent), in order, to one topic. */
    public static <K, V> void produce(String bootstrap, String topic, List<Map.Entry<K, V>> records,
                                      Serializer<K> keySerializer, Serializer<V> valueSerializer) {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, "15000");
        p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, "20000");
        p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, "10000");
        try (KafkaProducer<K, V> producer = new KafkaProducer<>(p, keySerializer, valueSerializer)) {
            for (Map.Entry<K, V> r : records) {
                producer.send(new ProducerRecord<>(topic, r.getKey(), r.getValue())).get(20, TimeUnit.SECONDS);
            }
            producer.flush();
        } catch (Exception e) {
            throw new AssertionError("producing " + records.size() + " records to " + topic + " failed: " + e, e);
        }
    }

    /**
     * Reads a topic from the beginning until {@code expected} records arrived or the deadline passed
     * (then fails). With {@code readCommitted} only records of committed transactions are returned.
     */
    public static <K, V> List<ConsumerRecord<K, V>> consumeUntil(String bootstrap, String topic, int expected,
                                                               Duration timeout, boolean readCommitted,
                                                               Deserializer<K> keyDeserializer,
                                                               Deserializer<V> valueDeserializer) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ConsumerConfig.GROUP_ID_CONFIG, "test-reader-" + UUID.randomUUID());
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, readCommitted ? "read_committed" : "read_uncommitted");
        List<ConsumerRecord<K, V>> out = new ArrayList<>();
        long deadline = System.nanoTime() + timeout.toNanos();
        try (KafkaConsumer<K, V> consumer = new KafkaConsumer<>(p, keyDeserializer, valueDeserializer)) {
            consumer.subscribe(List.of(topic));
            while (out.size() < expected) {
                long remainingMs = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
                if (remainingMs <= 0) {
                    throw new AssertionError("expected " + expected + " records on " + topic + " within " + timeout
                            + ", got " + out.size());
                }
                consumer.poll(Duration.ofMillis(Math.min(remainingMs, 500))).forEach(out::add);
            }
        }
        return out;
    }

    /** Waits until the condition holds, polling every 50 ms; fails with {@code what} at the deadline. */
    public static void waitUntil(String what, Duration timeout, BooleanSupplier condition) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out after " + timeout + " waiting for: " + what);
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted waiting for: " + what, e);
            }
        }
    }

    /**
     * Waits until the topics' metadata and configs can be described (KRaft propagates a new topic to the
     * broker's metadata cache asynchronously), then returns their configs.
     */
    public static Map<ConfigResource, Config> awaitTopicConfigs(Admin admin, Collection<String> topics, Duration timeout) {
        Set<ConfigResource> resources = new HashSet<>();
        topics.forEach(t -> resources.add(new ConfigResource(ConfigResource.Type.TOPIC, t)));
        AtomicReference<Map<ConfigResource, Config>> result = new AtomicReference<>();
        waitUntil("topics describable: " + topics, timeout, () -> {
            try {
                admin.describeTopics(topics).allTopicNames().get(5, TimeUnit.SECONDS);
                result.set(admin.describeConfigs(resources).all().get(5, TimeUnit.SECONDS));
                return true;
            } catch (ExecutionException e) {
                if (e.getCause() instanceof UnknownTopicOrPartitionException) {
                    return false;
                }
                throw new AssertionError("describing " + topics + " failed: " + e.getCause(), e.getCause());
            } catch (InterruptedException | java.util.concurrent.TimeoutException e) {
                return false;
            }
        });
        return result.get();
    }

    /** Waits until the Streams instance is RUNNING; fails early if it reaches ERROR or NOT_RUNNING. */
    public static void waitForRunning(KafkaStreams streams, Duration timeout) {
        waitUntil("Kafka Streams RUNNING (state now " + streams.state() + ")", timeout, () -> {
            KafkaStreams.State s = streams.state();
            if (s == KafkaStreams.State.ERROR || s == KafkaStreams.State.NOT_RUNNING) {
                throw new AssertionError("Kafka Streams stopped in state " + s + " before RUNNING");
            }
            return s == KafkaStreams.State.RUNNING;
        });
    }
}
