package dev.refusalmonitor.contract;

import java.util.Map;
import java.util.Objects;

/**
 * How one topic is created when missing.
 *
 * @param id the topic's role
 * @param name the topic name on the broker
 * @param partitions number of partitions (&ge; 1)
 * @param replicationFactor replication factor, or -1 for the broker's {@code default.replication.factor}
 * @param configs topic-level configs set at creation (e.g. {@code cleanup.policy}, {@code retention.ms})
 */
public record TopicSettings(TopicId id, String name, int partitions, short replicationFactor, Map<String, String> configs) {

    public TopicSettings {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(name, "name");
        if (name.isBlank()) {
            throw new IllegalArgumentException("topic name for " + id.key() + " must not be blank");
        }
        if (partitions < 1) {
            throw new IllegalArgumentException("partitions for topic " + name + " must be >= 1, got " + partitions);
        }
        if (replicationFactor < 1 && replicationFactor != -1) {
            throw new IllegalArgumentException("replication factor for topic " + name
                    + " must be >= 1 or -1 (broker default), got " + replicationFactor);
        }
        configs = Map.copyOf(configs);
    }

    /** A compacted directions topic ({@link TopicId#compacted()}) that takes sets of up to {@code maxMessageBytes}. */
    public static TopicSettings compacted(TopicId id, String name, int partitions, short replicationFactor, int maxMessageBytes) {
        return new TopicSettings(id, name, partitions, replicationFactor, Map.of(
                "cleanup.policy", "compact", "max.message.bytes", Integer.toString(maxMessageBytes)));
    }
}
