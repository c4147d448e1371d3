package dev.refusalmonitor.trainer.publish;

import dev.refusalmonitor.schemas.kafka.DirectionHistory;
import dev.refusalmonitor.schemas.kafka.TopicScan;

import dev.refusalmonitor.schemas.DirectionSetCodec;
import dev.refusalmonitor.schemas.InvalidDirectionSetException;
import dev.refusalmonitor.schemas.v1.DirectionSetEnvelope;
import com.google.protobuf.InvalidProtocolBufferException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;

/**
 * What is published: the sets in force (compacted directions topic, key = model id) and every version ever
 * published (history topic, key = {@code model:version}). The compacted topic keeps only the latest record per
 * model, so a rollback needs the history topic to find an earlier set's bytes.
 *
 * <p>Invalid records (corrupt, bad checksum) are skipped with a warning, as the monitor does.
 */
public final class DirectionsCatalog {
    private static final Logger LOG = LoggerFactory.getLogger(DirectionsCatalog.class);

    private DirectionsCatalog() {
    }

    /**
     * The set in force per model: the highest valid version on the directions topic (consumed from the beginning
     * to its end offsets; before compaction a key may appear more than once).
     */
    public static Map<String, PublishedSet> inForce(Properties clientProperties, String directionsTopic, Duration timeout) {
        Map<String, PublishedSet> out = new TreeMap<>();
        TopicScan.readAll(clientProperties, directionsTopic, timeout, r -> {
            if (r.key() == null) return;
            if (r.value() == null) { // tombstone: the model's directions were withdrawn
                out.remove(r.key());
                return;
            }
            if (isWithdrawal(r.value())) { // a signed withdrawal: no set in force from its version on
                out.remove(r.key());
                return;
            }
            PublishedSet p = open(r.key(), r.value(), directionsTopic, r.offset());
            if (p == null) return;
            PublishedSet old = out.get(p.set().modelId());
            if (old == null || p.set().version() > old.set().version()) out.put(p.set().modelId(), p);
        });
        return out;
    }

    /**
     * The highest version per model on either topic, from the envelopes' identity copies (payloads are not
     * validated here: a version that was ever written must never be written again, valid or not).
     */
    public static Map<String, Long> maxVersions(Properties clientProperties, String directionsTopic, String historyTopic,
                                                Duration timeout) {
        Map<String, Long> out = new TreeMap<>();
        for (String topic : new String[]{directionsTopic, historyTopic}) {
            if (topic == null) continue;
            TopicScan.readAll(clientProperties, topic, timeout, r -> {
                if (r.value() == null) return;
                try {
                    DirectionSetEnvelope e = DirectionSetEnvelope.parseFrom(r.value());
                    if (!e.getModelId().isEmpty()) out.merge(e.getModelId(), e.getVersion(), Math::max);
                } catch (InvalidProtocolBufferException ex) {
                    LOG.warn("skipping an unparseable record at {} offset {}: {}", topic, r.offset(), ex.getMessage());
                }
            });
        }
        return out;
    }

    /** One version of one model from the history topic, or null when it is not there. */
    public static PublishedSet fromHistory(Properties clientProperties, String historyTopic, String modelId, long version,
                                           Duration timeout) {
        String key = DirectionHistory.key(modelId, version);
        PublishedSet[] found = new PublishedSet[1];
        TopicScan.readAll(clientProperties, historyTopic, timeout, r -> {
            if (key.equals(r.key()) && r.value() != null) {
                PublishedSet p = open(r.key(), r.value(), historyTopic, r.offset());
                if (p != null) found[0] = p;
            }
        });
        return found[0];
    }

    /** Every version of {@code modelId} on the history topic, by version. */
    public static Map<Long, PublishedSet> history(Properties clientProperties, String historyTopic, String modelId,
                                                  Duration timeout) {
        Map<Long, PublishedSet> out = new TreeMap<>();
        String prefix = modelId + ":";
        TopicScan.readAll(clientProperties, historyTopic, timeout, r -> {
            if (r.key() != null && r.key().startsWith(prefix) && r.value() != null) {
                PublishedSet p = open(r.key(), r.value(), historyTopic, r.offset());
                if (p != null) out.put(p.set().version(), p);
            }
        });
        return out;
    }

    private static boolean isWithdrawal(byte[] value) {
        try {
            return DirectionSetEnvelope.parseFrom(value).getWithdrawn();
        } catch (InvalidProtocolBufferException e) {
            return false;
        }
    }

    private static PublishedSet open(String key, byte[] value, String topic, long offset) {
        try {
            DirectionSetEnvelope e = DirectionSetEnvelope.parseFrom(value);
            return new PublishedSet(key, DirectionSetCodec.open(e), value.length, e.getSha256(), value, e.getKeyId());
        } catch (InvalidProtocolBufferException | InvalidDirectionSetException ex) {
            LOG.warn("skipping an invalid direction set at {} offset {} (key {}): {}", topic, offset, key, ex.getMessage());
            return null;
        }
    }
}
