package dev.refusalmonitor.schemas.kafka;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.TreeMap;

/**
 * The history topic of direction sets: every published version, key {@code model:version}, compacted by that key so
 * each version is kept. The trainer reads it to roll back; the monitor reads it when the compacted directions record
 * of a model is not a set it can use, to fall back to the newest one it can.
 */
public final class DirectionHistory {
    private final Properties clientProperties;
    private final String topic;
    private final Duration timeout;

    public DirectionHistory(Properties clientProperties, String topic, Duration timeout) {
        this.clientProperties = clientProperties;
        this.topic = topic;
        this.timeout = timeout;
    }

    /** Key of version {@code version} of {@code modelId} on the history topic. */
    public static String key(String modelId, long version) {
        return modelId + ":" + version;
    }

    public String topic() {
        return topic;
    }

    /**
     * The records of {@code modelId}, newest version first (by the version in the key; records whose key does not
     * end in a version are left out). Their contents are not checked here.
     */
    public List<byte[]> newestFirst(String modelId) {
        String prefix = modelId + ":";
        TreeMap<Long, byte[]> byVersion = new TreeMap<>();
        TopicScan.readAll(clientProperties, topic, timeout, r -> {
            if (r.key() == null || r.value() == null || !r.key().startsWith(prefix)) return;
            try {
                byVersion.put(Long.parseLong(r.key().substring(prefix.length())), r.value());
            } catch (NumberFormatException notAVersion) {
                // another model whose id extends this one with ':' and more
            }
        });
        return new ArrayList<>(byVersion.descendingMap().values());
    }
}
