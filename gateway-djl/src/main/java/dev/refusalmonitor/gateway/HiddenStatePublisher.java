package dev.refusalmonitor.gateway;

import dev.refusalmonitor.schemas.v1.HiddenState;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Sends {@link HiddenState} records to Kafka: key = request id (UTF-8), value = the protobuf bytes. The producer is
 * idempotent with {@code acks=all}; retries are bounded by {@code delivery.timeout.ms}, and waiting for a broker
 * by {@code max.block.ms}, so an unreachable broker ends in an error instead of a hang. Record contents are never
 * logged.
 */
public final class HiddenStatePublisher implements AutoCloseable {

    private final Producer<String, byte[]> producer;
    private final String bootstrap;
    private final AtomicReference<Exception> firstError = new AtomicReference<>();
    private long sent;

    public HiddenStatePublisher(Properties config) {
        this(new KafkaProducer<>(config, new StringSerializer(), new ByteArraySerializer()),
                config.getProperty(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG));
    }

    /** For tests with a mock producer. */
    HiddenStatePublisher(Producer<String, byte[]> producer, String bootstrap) {
        this.producer = producer;
        this.bootstrap = bootstrap;
    }

    /**
     * Producer settings: {@code client} (bootstrap servers, security, any producer setting) wins; defaults are idempotence on, {@code acks=all}, lz4 compression,
     * {@code linger.ms=5}, 64 KiB batches, {@code delivery.timeout.ms=30000}, {@code request.timeout.ms=10000},
     * {@code max.block.ms=15000}.
     */
    /** {@link #producerConfig(Properties)} for {@code bootstrapServers} and optional {@code overrides}. */
    public static Properties producerConfig(String bootstrapServers, Properties overrides) {
        Properties client = new Properties();
        if (overrides != null) client.putAll(overrides);
        client.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        return producerConfig(client);
    }

    public static Properties producerConfig(Properties client) {
        Properties p = new Properties();
        p.putAll(client);
        p.putIfAbsent(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        p.putIfAbsent(ProducerConfig.ACKS_CONFIG, "all");
        p.putIfAbsent(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
        p.putIfAbsent(ProducerConfig.LINGER_MS_CONFIG, "5");
        p.putIfAbsent(ProducerConfig.BATCH_SIZE_CONFIG, Integer.toString(64 * 1024));
        p.putIfAbsent(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, "30000");
        p.putIfAbsent(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, "10000");
        p.putIfAbsent(ProducerConfig.MAX_BLOCK_MS_CONFIG, "15000");
        p.putIfAbsent(ProducerConfig.CLIENT_ID_CONFIG, "refusal-monitor-gateway-djl");
        return p;
    }

    /** The Kafka record for {@code state}: key = request id as UTF-8, value = the serialized message. */
    public static ProducerRecord<String, byte[]> record(String topic, HiddenState state) {
        if (state.getRequestId().isEmpty()) throw new IllegalArgumentException("hidden state has no request id");
        return new ProducerRecord<>(topic, state.getRequestId(), state.toByteArray());
    }

    /** Key bytes as they go on the wire (the {@link StringSerializer} encoding). */
    public static byte[] keyBytes(ProducerRecord<String, byte[]> record) {
        return record.key().getBytes(StandardCharsets.UTF_8);
    }

    /**
     * Sends asynchronously; a failed delivery is reported by {@link #flush()}.
     *
     * @throws GatewayException when no broker answered within {@code max.block.ms}, or a send already failed
     */
    public void send(String topic, HiddenState state) throws GatewayException {
        failIfErrored();
        try {
            producer.send(record(topic, state), (meta, e) -> {
                if (e != null) firstError.compareAndSet(null, e);
            });
            sent++;
        } catch (TimeoutException e) {
            throw new GatewayException("Kafka at " + bootstrap + " did not answer in time (max.block.ms) while sending to '"
                    + topic + "': " + e.getMessage(), e);
        } catch (org.apache.kafka.common.KafkaException e) {
            throw new GatewayException("cannot send to Kafka topic '" + topic + "' at " + bootstrap + ": " + e.getMessage(), e);
        }
    }

    /**
     * Waits until every record sent so far is acknowledged or has failed.
     *
     * @throws GatewayException naming the first failure (e.g. delivery timeout when the broker is down)
     */
    public void flush() throws GatewayException {
        producer.flush();
        failIfErrored();
    }

    /** Records handed to the producer so far. */
    public long sent() {
        return sent;
    }

    private void failIfErrored() throws GatewayException {
        Exception e = firstError.get();
        if (e != null)
            throw new GatewayException("delivery to Kafka at " + bootstrap + " failed: " + e.getMessage(), e);
    }

    @Override
    public void close() {
        producer.close(Duration.ofSeconds(10));
    }
}
