package dev.refusalmonitor.schemas.kafka;

import dev.refusalmonitor.contract.directions.DirectionSetModel;
import dev.refusalmonitor.contract.SizeLimits;
import dev.refusalmonitor.schemas.DirectionSetCodec;
import dev.refusalmonitor.schemas.signing.DirectionSetSigner;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

import java.time.Duration;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Publishes sealed direction sets to the compacted directions topic, key = model id, with an idempotent producer
 * and acks=all, waiting for the broker's acknowledgement. Sets larger than 1 MiB need the topic's
 * {@code max.message.bytes} raised ({@link SizeLimits}); the producer's {@code max.request.size} is raised to match.
 */
public final class DirectionPublisher implements AutoCloseable {
    private final KafkaProducer<String, byte[]> producer;
    private final String topic;
    private final Duration timeout;

    public DirectionPublisher(Properties clientProperties, String topic, Duration timeout) {
        Properties p = new Properties();
        p.putAll(clientProperties);
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.putIfAbsent(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, Integer.toString(SizeLimits.DIRECTIONS_MAX_MESSAGE_BYTES));
        p.putIfAbsent(ProducerConfig.COMPRESSION_TYPE_CONFIG, "zstd");
        p.putIfAbsent(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, Long.toString(timeout.toMillis()));
        p.putIfAbsent(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, Long.toString(Math.min(30_000, timeout.toMillis())));
        p.putIfAbsent(ProducerConfig.LINGER_MS_CONFIG, "0");
        this.producer = new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer());
        this.topic = topic;
        this.timeout = timeout;
    }

    /** Seals (validates, checksums) and publishes {@code set} unsigned; returns once the broker has it. */
    public RecordMetadata publish(DirectionSetModel set) throws dev.refusalmonitor.schemas.InvalidDirectionSetException {
        return publish(set, null);
    }

    /** Seals {@code set}, signed by {@code signer} (null: unsigned), and publishes it; returns once the broker has it. */
    public RecordMetadata publish(DirectionSetModel set, DirectionSetSigner signer)
            throws dev.refusalmonitor.schemas.InvalidDirectionSetException {
        return publishSealed(set.modelId(), DirectionSetCodec.seal(set, signer));
    }

    /** Publishes an already sealed set under {@code modelId}. */
    public RecordMetadata publishSealed(String modelId, byte[] sealed) {
        return send(topic, modelId, sealed);
    }

    /**
     * Writes {@code sealed} under {@code key} to {@code otherTopic} (e.g. the history topic) with the same producer;
     * returns once the broker has it.
     */
    public RecordMetadata send(String otherTopic, String key, byte[] sealed) {
        try {
            return producer.send(new ProducerRecord<>(otherTopic, key, sealed)).get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while publishing directions " + key, e);
        } catch (ExecutionException e) {
            throw new IllegalStateException("publishing directions " + key + " to " + otherTopic + " failed: "
                    + e.getCause().getMessage(), e.getCause());
        } catch (TimeoutException e) {
            throw new IllegalStateException("publishing directions " + key + " to " + otherTopic
                    + " was not acknowledged within " + timeout, e);
        }
    }

    @Override
    public void close() {
        producer.close(Duration.ofSeconds(10));
    }
}
