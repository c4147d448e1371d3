package dev.refusalmonitor.trainer.publish;

import dev.refusalmonitor.contract.SizeLimits;
import dev.refusalmonitor.contract.TopicId;
import dev.refusalmonitor.contract.TopicSettings;
import dev.refusalmonitor.schemas.kafka.DirectionHistory;
import dev.refusalmonitor.schemas.kafka.TopicProvisioner;
import dev.refusalmonitor.schemas.kafka.DirectionPublisher;

import dev.refusalmonitor.contract.directions.DirectionSetModel;
import dev.refusalmonitor.contract.directions.LayerDirections;
import dev.refusalmonitor.schemas.DirectionSetCodec;
import dev.refusalmonitor.schemas.signing.DirectionSetSigner;
import dev.refusalmonitor.schemas.InvalidDirectionSetException;
import dev.refusalmonitor.schemas.v1.DirectionSetEnvelope;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.TopicExistsException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.LongFunction;

/**
 * Publishes monotonically versioned direction sets: version = 1 + the highest version of the model ever written to
 * the directions or the history topic (read from the topics before every publish, and remembered in this process).
 *
 * <p><b>Delivery.</b> Idempotent producer with acks=all ({@link DirectionPublisher}), not transactions: each
 * publish writes one record to the history topic (key {@code model:version}) and then one to the compacted
 * directions topic (key = model id), each acknowledged before the next step. A crash between the two leaves a
 * version in the history only; since the next version is computed over both topics it is never reused, and the
 * monitor simply never saw it. Transactions would only add value to readers using read_committed, and would need
 * a transactional id fenced per trainer instance; a single record per topic does not need atomicity.
 *
 * <p><b>Races.</b> Within one process a per-model lock covers "read max version, assign, seal, write", so two
 * refits (or a refit and a rollback) cannot both take the same version. Two trainer processes for the same model
 * are not supported (run one trainer per model); the re-read of the topics before each publish narrows the window.
 *
 * <p><b>Size.</b> One set is one record, never chunked: the monitor creates the directions topic with
 * {@code max.message.bytes} of {@link SizeLimits} and the producer's {@code max.request.size} is raised to match. A sealed set
 * above {@code maxSetBytes} is refused here with {@link SetTooLargeException} (the exact whitening factor at
 * d = 4096 is ~33.6 MB per layer) instead of failing at the broker.
 */
public final class VersionedPublisher implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(VersionedPublisher.class);

    private final Properties clientProperties;
    private final String directionsTopic;
    private final String historyTopic;
    private final long maxSetBytes;
    private final Duration timeout;
    private final DirectionPublisher producer;
    private final DirectionSetSigner signer;
    private final Map<String, Long> published = new ConcurrentHashMap<>();
    private final Map<String, Object> locks = new ConcurrentHashMap<>();

    public VersionedPublisher(Properties clientProperties, String directionsTopic, String historyTopic, long maxSetBytes,
                              Duration timeout) {
        this(clientProperties, directionsTopic, historyTopic, maxSetBytes, timeout, null);
    }

    /** @param signer signs every set this publisher seals (null: unsigned) */
    public VersionedPublisher(Properties clientProperties, String directionsTopic, String historyTopic, long maxSetBytes,
                              Duration timeout, DirectionSetSigner signer) {
        this.signer = signer;
        if (maxSetBytes < 1024) throw new IllegalArgumentException("max set bytes must be >= 1024, got " + maxSetBytes);
        this.clientProperties = new Properties();
        this.clientProperties.putAll(clientProperties);
        this.directionsTopic = directionsTopic;
        this.historyTopic = historyTopic;
        this.maxSetBytes = maxSetBytes;
        this.timeout = timeout;
        Properties p = new Properties();
        p.putAll(clientProperties);
        // Room for the largest allowed set plus the record batch around it.
        p.putIfAbsent("max.request.size", Integer.toString(SizeLimits.directionsMessageBytes(maxSetBytes)));
        this.producer = new DirectionPublisher(p, directionsTopic, timeout);
    }

    /**
     * Creates the directions topic and the history topic (compacted by {@code model:version}, so every version is kept)
     * when missing, both taking sets of up to {@code maxSetBytes} ({@link SizeLimits}). Existing topics are left as
     * they are, with a warning when their settings differ.
     */
    public static void ensureTopics(Properties clientProperties, String directionsTopic, String historyTopic,
                                    long maxSetBytes, Duration timeout) {
        int messageBytes = SizeLimits.directionsMessageBytes(maxSetBytes);
        List<TopicSettings> topics = new ArrayList<>();
        topics.add(TopicSettings.compacted(TopicId.DIRECTIONS, directionsTopic, 1, (short) -1, messageBytes));
        if (historyTopic != null)
            topics.add(TopicSettings.compacted(TopicId.DIRECTIONS_HISTORY, historyTopic, 1, (short) -1, messageBytes));
        try (Admin admin = Admin.create(clientProperties)) {
            new TopicProvisioner(admin, timeout).provision(topics);
        }
    }

    /** The highest version of {@code modelId} on the topics or published by this process (0 = none). */
    public long latestVersion(String modelId) {
        long fromTopics = DirectionsCatalog.maxVersions(clientProperties, directionsTopic, historyTopic, timeout)
                .getOrDefault(modelId, 0L);
        return Math.max(fromTopics, published.getOrDefault(modelId, 0L));
    }

    /** What a publish did. */
    /** @param keyId the signer's key id, "" when unsigned */
    public record Published(String modelId, long version, int sizeBytes, String sha256, long createdAtUnixMs, String keyId) {
    }

    /**
     * Assigns the model's next version, builds the set with {@code build(version)} (its version must be that
     * number), checks its size, writes it to the history and then the directions topic, and returns once both are
     * acknowledged.
     *
     * @throws SetTooLargeException when the sealed set exceeds the maximum (nothing written)
     * @throws InvalidDirectionSetException when the set does not validate (nothing written)
     */
    public Published publish(String modelId, LongFunction<DirectionSetModel> build) throws InvalidDirectionSetException {
        synchronized (locks.computeIfAbsent(modelId, k -> new Object())) {
            long version = latestVersion(modelId) + 1;
            DirectionSetModel set = build.apply(version);
            if (set.version() != version || !set.modelId().equals(modelId))
                throw new IllegalArgumentException("built set is " + set.modelId() + " v" + set.version()
                        + ", expected " + modelId + " v" + version);
            return write(set, DirectionSetCodec.envelope(set, signer));
        }
    }

    /**
     * Withdraws {@code modelId}'s directions with a withdrawal record (signed by this publisher's signer) as the
     * model's next version, on the history and then the directions topic.
     */
    public Published withdraw(String modelId) {
        synchronized (locks.computeIfAbsent(modelId, k -> new Object())) {
            long version = latestVersion(modelId) + 1;
            long now = System.currentTimeMillis();
            DirectionSetEnvelope envelope = DirectionSetCodec.withdrawal(modelId, version, now, signer);
            byte[] sealed = envelope.toByteArray();
            if (historyTopic != null) producer.send(historyTopic, DirectionHistory.key(modelId, version), sealed);
            producer.publishSealed(modelId, sealed);
            published.merge(modelId, version, Math::max);
            LOG.warn("withdrew the directions of model '{}' as of version {} ({})", modelId, version,
                    envelope.getKeyId().isEmpty() ? "unsigned" : "signed by key " + envelope.getKeyId());
            return new Published(modelId, version, sealed.length, envelope.getSha256(), now, envelope.getKeyId());
        }
    }

    /**
     * Publishes a sealed set byte for byte (same checksum, same signature) when its version is the model's next one;
     * returns null, writing nothing, when it is not (the caller re-seals it as the next version).
     *
     * @throws InvalidDirectionSetException when the bytes are not a valid set (nothing written)
     */
    public Published publishAsWritten(byte[] sealed) throws InvalidDirectionSetException {
        DirectionSetEnvelope envelope = DirectionSetCodec.parseEnvelope(sealed);
        DirectionSetModel set = DirectionSetCodec.open(envelope);
        synchronized (locks.computeIfAbsent(set.modelId(), k -> new Object())) {
            if (set.version() != latestVersion(set.modelId()) + 1) return null;
            return write(set, envelope);
        }
    }

    /** Checks the size, writes to the history and then the directions topic; the caller holds the model's lock. */
    private Published write(DirectionSetModel set, DirectionSetEnvelope envelope) {
        String modelId = set.modelId();
        long version = set.version();
        byte[] sealed = envelope.toByteArray();
        if (sealed.length > maxSetBytes) {
            boolean exact = false;
            for (LayerDirections l : set.layers()) exact |= l.mahalanobis() != null && l.mahalanobis().hasExact();
            throw new SetTooLargeException(modelId, set.d(), set.layers().size(), exact, sealed.length, maxSetBytes);
        }
        if (historyTopic != null) producer.send(historyTopic, DirectionHistory.key(modelId, version), sealed);
        producer.publishSealed(modelId, sealed);
        published.merge(modelId, version, Math::max);
        String signedBy = envelope.getKeyId().isEmpty() ? "unsigned" : "signed by key " + envelope.getKeyId();
        LOG.info("published directions for model '{}' version {} ({} bytes, sha256 {}, {})", modelId, version,
                sealed.length, envelope.getSha256(), signedBy);
        return new Published(modelId, version, sealed.length, envelope.getSha256(), set.createdAtUnixMs(),
                envelope.getKeyId());
    }

    /**
     * Re-publishes version {@code fromVersion} (read from the history topic) as the next version: the content is the
     * earlier set's apart from version and created-at.
     */
    public Published rollback(String modelId, long fromVersion) throws InvalidDirectionSetException {
        if (historyTopic == null) throw new IllegalStateException("rollback needs the history topic");
        PublishedSet earlier = DirectionsCatalog.fromHistory(clientProperties, historyTopic, modelId, fromVersion, timeout);
        if (earlier == null)
            throw new IllegalArgumentException("version " + fromVersion + " of model '" + modelId + "' is not on the history topic "
                    + historyTopic);
        return publish(modelId, v -> earlier.set().withVersion(v, System.currentTimeMillis()));
    }

    public long maxSetBytes() {
        return maxSetBytes;
    }

    @Override
    public void close() {
        producer.close();
    }
}
