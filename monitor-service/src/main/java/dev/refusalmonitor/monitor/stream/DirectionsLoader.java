package dev.refusalmonitor.monitor.stream;

import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Global-store updater for the directions topic: validates every set, keeps only accepted ones in the global store
 * ({@code directions-store}, persistent), and puts them in force in the {@link DirectionRegistry}. At start it puts the
 * sets already in the store in force, and Kafka Streams also runs it on the records it restores after the store's
 * checkpoint, so the registry is rebuilt from disk plus the compacted topic.
 */
final class DirectionsLoader implements Processor<String, byte[], Void, Void> {
    private final DirectionRegistry registry;
    private final String storeName;
    private KeyValueStore<String, byte[]> store;

    DirectionsLoader(DirectionRegistry registry, String storeName) {
        this.registry = registry;
        this.storeName = storeName;
    }

    @Override
    public void init(ProcessorContext<Void, Void> context) {
        store = context.getStateStore(storeName);
        // The store is persistent: after a restart it already holds the sets accepted before, and Streams restores only
        // what came after its checkpoint. Put those sets in force again (each is validated again by the registry).
        java.util.List<String> stale = new java.util.ArrayList<>();
        try (org.apache.kafka.streams.state.KeyValueIterator<String, byte[]> it = store.all()) {
            while (it.hasNext()) {
                org.apache.kafka.streams.KeyValue<String, byte[]> kv = it.next();
                if (kv.key == null || kv.value == null) continue;
                if (registry.offer(kv.key, kv.value) == DirectionRegistry.Outcome.REJECTED) stale.add(kv.key);
            }
        }
        // A stored set that no longer validates (it cannot be newer than itself) is dropped from the store.
        for (String k : stale) if (registry.get(k) == null) store.delete(k);
    }

    @Override
    public void process(Record<String, byte[]> record) {
        if (record.key() == null) return; // unkeyed records cannot name a model: ignore
        if (record.value() == null) {
            if (registry.tombstone(record.key())) store.delete(record.key());
            return;
        }
        switch (registry.offer(record.key(), record.value())) {
            case ACCEPTED -> store.put(record.key(), record.value());
            case WITHDRAWN -> store.delete(record.key());
            default -> { }
        }
    }
}
