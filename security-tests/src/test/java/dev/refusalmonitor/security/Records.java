package dev.refusalmonitor.security;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.function.Predicate;
import java.util.function.BooleanSupplier;

/** Reading topics back (as the broker's administrator: the checks must not depend on the ACLs under test). */
final class Records {
    private Records() {
    }

    /**
     * Reads {@code topic} from the beginning (read_committed) until {@code done} accepts what was read, or the
     * deadline passes; returns what was read either way.
     */
    static List<ConsumerRecord<byte[], byte[]>> readUntil(Properties client, String topic, Duration deadline,
                                                           Predicate<List<ConsumerRecord<byte[], byte[]>>> done) {
        Properties p = new Properties();
        p.putAll(client);
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        p.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, Integer.toString(70 * 1024 * 1024));
        List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> parts = new ArrayList<>();
            for (PartitionInfo i : c.partitionsFor(topic, Duration.ofSeconds(30))) parts.add(new TopicPartition(topic, i.partition()));
            c.assign(parts);
            c.seekToBeginning(parts);
            long end = System.nanoTime() + deadline.toNanos();
            while (!done.test(out) && System.nanoTime() < end) c.poll(Duration.ofMillis(250)).forEach(out::add);
        }
        return out;
    }

    static String key(ConsumerRecord<byte[], byte[]> r) {
        return r.key() == null ? "" : new String(r.key(), StandardCharsets.UTF_8);
    }

    static boolean keysPresent(List<ConsumerRecord<byte[], byte[]>> records, java.util.Collection<String> keys) {
        return records.stream().map(Records::key).toList().containsAll(keys);
    }

    /** Waits for a condition, polling every 100 ms. */
    static void await(String what, Duration limit, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + limit.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) throw new AssertionError("timed out after " + limit + " waiting for " + what);
            Thread.sleep(100);
        }
    }

    /** Key → value of the last record per key. */
    static Map<String, byte[]> byKey(List<ConsumerRecord<byte[], byte[]>> records) {
        Map<String, byte[]> out = new java.util.LinkedHashMap<>();
        for (ConsumerRecord<byte[], byte[]> r : records) out.put(key(r), r.value());
        return out;
    }
}
