package dev.refusalmonitor.monitor.testing;

import dev.refusalmonitor.monitor.config.MonitorConfig;
import dev.refusalmonitor.contract.TopicId;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * Helpers for tests of the running monitor on the embedded broker: configuration, producing with record metadata,
 * waiting for the application's committed input offsets, reading a topic to its end, and HTTP. Every wait has a
 * deadline and fails with a message naming what did not happen.
 */
public final class StreamTestSupport {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private StreamTestSupport() {
    }

    /**
     * A monitor configuration whose application id and topic names all start with {@code prefix} (unique per
     * test), 2 partitions per data topic (the directions topic keeps its default), HTTP on a free port, state under {@code stateDir}, and commits every 100 ms
     * so read_committed readers see results quickly. {@code extra} overrides any of these.
     */
    public static MonitorConfig config(String bootstrap, String prefix, Path stateDir, Map<String, String> extra) {
        return MonitorConfig.of(settings(bootstrap, prefix, stateDir, extra));
    }

    /** The settings behind {@link #config} (e.g. to start a monitor in another process with {@code --set}). */
    public static Map<String, String> settings(String bootstrap, String prefix, Path stateDir, Map<String, String> extra) {
        Map<String, String> o = new HashMap<>();
        o.put("bootstrap.servers", bootstrap);
        o.put(MonitorConfig.APPLICATION_ID, prefix + "-app");
        for (TopicId id : TopicId.values()) {
            o.put(MonitorConfig.topicKey(id, "name"), prefix + "." + id.defaultName());
            if (id != TopicId.DIRECTIONS) o.put(MonitorConfig.topicKey(id, "partitions"), "2");
        }
        o.put(MonitorConfig.DIRECTIONS_MAX_MESSAGE_BYTES, String.valueOf(4 * 1024 * 1024));
        o.put(MonitorConfig.HTTP_PORT, "0");
        o.put("state.dir", stateDir.toString());
        o.put("commit.interval.ms", "100");
        o.put(MonitorConfig.DIRECTIONS_TRUSTED_KEYS, TestKeys.publicKeyFile().toString());
        o.putAll(extra);
        return o;
    }

    /** Produces the records in order (acks=all, idempotent) and returns where each one landed. */
    public static List<RecordMetadata> produce(String bootstrap, String topic, List<Map.Entry<String, byte[]>> records) {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        p.put(ProducerConfig.LINGER_MS_CONFIG, "5");
        p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, "15000");
        p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, "20000");
        p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, "10000");
        List<Future<RecordMetadata>> sent = new ArrayList<>();
        List<RecordMetadata> out = new ArrayList<>();
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer())) {
            for (Map.Entry<String, byte[]> r : records) sent.add(producer.send(new ProducerRecord<>(topic, r.getKey(), r.getValue())));
            producer.flush();
            for (Future<RecordMetadata> f : sent) out.add(f.get(20, TimeUnit.SECONDS));
        } catch (Exception e) {
            throw new AssertionError("producing " + records.size() + " records to " + topic + " failed: " + e, e);
        }
        return out;
    }

    /**
     * Waits until consumer group {@code groupId} (a Streams application id) has committed offsets on {@code topic}
     * summing to {@code expected}: every input record up to there is processed, and under exactly-once its outputs
     * are committed in the same transaction.
     */
    public static void awaitCommitted(String bootstrap, String groupId, String topic, long expected, Duration timeout) {
        Properties p = new Properties();
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        long[] last = {-1};
        try (Admin admin = Admin.create(p)) {
            KafkaTestSupport.waitUntil("group " + groupId + " to commit " + expected + " offsets on " + topic
                    + " (last seen " + last[0] + ")", timeout, () -> {
                try {
                    Map<TopicPartition, OffsetAndMetadata> offsets = admin.listConsumerGroupOffsets(groupId)
                            .partitionsToOffsetAndMetadata().get(5, TimeUnit.SECONDS);
                    long sum = 0;
                    for (Map.Entry<TopicPartition, OffsetAndMetadata> e : offsets.entrySet())
                        if (e.getKey().topic().equals(topic) && e.getValue() != null) sum += e.getValue().offset();
                    last[0] = sum;
                    if (sum > expected) throw new AssertionError("group " + groupId + " committed " + sum
                            + " offsets on " + topic + ", more than the " + expected + " records produced");
                    return sum == expected;
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new AssertionError(e);
                } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
                    return false;
                }
            });
        }
    }

    /**
     * Every record of {@code topic} from the beginning to its current end (the last stable offset with
     * {@code readCommitted}, which then returns only records of committed transactions).
     */
    public static List<ConsumerRecord<String, byte[]>> readAll(String bootstrap, String topic, boolean readCommitted,
                                                               Duration timeout) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ConsumerConfig.GROUP_ID_CONFIG, "test-reader-" + UUID.randomUUID());
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, readCommitted ? "read_committed" : "read_uncommitted");
        List<ConsumerRecord<String, byte[]>> out = new ArrayList<>();
        long deadline = System.nanoTime() + timeout.toNanos();
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(p, new StringDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> parts = new ArrayList<>();
            for (PartitionInfo info : consumer.partitionsFor(topic, timeout)) parts.add(new TopicPartition(topic, info.partition()));
            if (parts.isEmpty()) throw new AssertionError("topic " + topic + " has no partitions");
            consumer.assign(parts);
            consumer.seekToBeginning(parts);
            Map<TopicPartition, Long> end = consumer.endOffsets(parts, timeout);
            while (true) {
                boolean done = true;
                for (TopicPartition tp : parts) if (consumer.position(tp, timeout) < end.get(tp)) done = false;
                if (done) return out;
                if (System.nanoTime() > deadline)
                    throw new AssertionError("reading " + topic + " to its end " + end + " timed out after " + timeout
                            + " with " + out.size() + " records");
                consumer.poll(Duration.ofMillis(200)).forEach(out::add);
            }
        }
    }

    /** A GET answer. */
    public record HttpAnswer(int status, String body) {
    }

    public static HttpAnswer get(URI uri) {
        try {
            HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(5)).GET().build(),
                    HttpResponse.BodyHandlers.ofString());
            return new HttpAnswer(r.statusCode(), r.body());
        } catch (IOException e) {
            throw new AssertionError("GET " + uri + " failed: " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted: GET " + uri, e);
        }
    }
}
