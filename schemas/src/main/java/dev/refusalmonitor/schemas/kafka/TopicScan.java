package dev.refusalmonitor.schemas.kafka;

import dev.refusalmonitor.contract.SizeLimits;

import dev.refusalmonitor.schemas.kafka.DirectionPublisher;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.function.Consumer;

/**
 * Reads a whole topic once, from the beginning to the end offsets taken at the start, without a consumer group
 * (assign, not subscribe: nothing is committed). This is how the trainer learns what is on the compacted directions
 * topic and the history topic.
 */
public final class TopicScan {
    private TopicScan() {
    }

    /**
     * Calls {@code each} for every record of {@code topic} up to its end offsets at call time.
     *
     * @return false when the topic does not exist (nothing read)
     * @throws IllegalStateException when the end is not reached within {@code timeout}
     */
    public static boolean readAll(Properties clientProperties, String topic, Duration timeout,
                                  Consumer<ConsumerRecord<String, byte[]>> each) {
        Properties p = new Properties();
        p.putAll(clientProperties);
        p.remove(ConsumerConfig.GROUP_ID_CONFIG);
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        // A set may be tens of MiB: let one fetch carry it.
        p.putIfAbsent(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, Integer.toString(SizeLimits.DIRECTIONS_MAX_MESSAGE_BYTES + SizeLimits.BATCH_OVERHEAD_BYTES));
        p.putIfAbsent(ConsumerConfig.FETCH_MAX_BYTES_CONFIG, Integer.toString(SizeLimits.DIRECTIONS_MAX_MESSAGE_BYTES + SizeLimits.BATCH_OVERHEAD_BYTES));
        long deadline = System.nanoTime() + timeout.toNanos();
        try (KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(p, new StringDeserializer(), new ByteArrayDeserializer())) {
            List<PartitionInfo> infos = c.partitionsFor(topic, timeout);
            if (infos == null || infos.isEmpty()) return false;
            List<TopicPartition> parts = new ArrayList<>();
            for (PartitionInfo i : infos) parts.add(new TopicPartition(topic, i.partition()));
            c.assign(parts);
            c.seekToBeginning(parts);
            Map<TopicPartition, Long> end = c.endOffsets(parts, timeout);
            while (true) {
                boolean done = true;
                for (TopicPartition tp : parts)
                    if (c.position(tp, timeout) < end.get(tp)) { done = false; break; }
                if (done) return true;
                long left = deadline - System.nanoTime();
                if (left <= 0)
                    throw new IllegalStateException("could not read topic " + topic + " to its end within " + timeout);
                for (ConsumerRecord<String, byte[]> r : c.poll(Duration.ofMillis(Math.min(500, left / 1_000_000 + 1)))) {
                    if (r.offset() < end.get(new TopicPartition(r.topic(), r.partition()))) each.accept(r);
                }
            }
        } catch (org.apache.kafka.common.errors.TimeoutException e) {
            throw new IllegalStateException("could not reach the brokers to read topic " + topic + " within " + timeout
                    + ": " + e.getMessage(), e);
        }
    }
}
