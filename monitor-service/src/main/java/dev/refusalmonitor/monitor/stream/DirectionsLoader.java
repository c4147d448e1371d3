package dev.refusalmonitor.monitor.stream;

import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Global-store updater for the directions topic: validates every set, keeps only accepted ones in the global store
 * ({@code directions-store}), and puts them in force in the {@link DirectionRegistry}. Kafka Streams also runs it when
 * it restores the global store at start (its local copy is deleted first, see {@code MonitorApp}), so the registry is
 * rebuilt from the compacted topic.
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
