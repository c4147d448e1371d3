package dev.refusalmonitor.monitor.drift;

import dev.refusalmonitor.math.drift.DriftConfig;
import dev.refusalmonitor.math.drift.DriftPartial;
import dev.refusalmonitor.math.drift.DriftReport;
import dev.refusalmonitor.math.drift.SliceDrift;
import dev.refusalmonitor.math.drift.SliceKey;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The slice owner's side of fleet-level drift: every instance's partial aggregates of a slice arrive on the
 * drift-partials partition this task owns; they are merged into the slice's windows ({@link SliceDrift}: reference,
 * CUSUMs, version), whose whole state lives in the task's changelogged store, so a restart, a rebalance or a kill -9
 * resumes from the last commit instead of a fresh reference. Each closed window is one record on the drift topic
 * (in the same exactly-once transaction as the state change) and the slice's drift gauges, exported only by this
 * instance while it owns the slice: when the task is assigned, the gauges of its slices are shown from the stored
 * latest report; when it is revoked, they are removed.
 *
 * <p>A value that cannot be read (another drift configuration, a forged record) is counted and skipped, never thrown:
 * the drift part must not stop the stream thread that also scores.
 */
public final class DriftWindowProcessor implements Processor<String, byte[], String, byte[]> {
    private static final Logger LOG = LoggerFactory.getLogger(DriftWindowProcessor.class);

    private final DriftConfig config;
    private final DriftMetrics metrics;
    private final String storeName;
    private final String sink;
    private final long advanceIntervalMs;
    private final Set<SliceKey> owned = new HashSet<>();
    /**
     * The store's slices as objects, so a partial costs a merge and an encode, not a decode and restore of the whole
     * state. The store stays the truth: this is refilled from it whenever the task (re)initialises.
     */
    private final java.util.Map<String, SliceDrift> live = new java.util.HashMap<>();
    private ProcessorContext<String, byte[]> context;
    private KeyValueStore<String, byte[]> store;

    /**
     * @param advanceIntervalMs period of the wall-clock punctuation that closes time-based windows of quiet slices
     */
    public DriftWindowProcessor(DriftConfig config, DriftMetrics metrics, String storeName, String sink,
                                long advanceIntervalMs) {
        this.config = config;
        this.metrics = metrics;
        this.storeName = storeName;
        this.sink = sink;
        this.advanceIntervalMs = advanceIntervalMs;
    }

    @Override
    public void init(ProcessorContext<String, byte[]> context) {
        this.context = context;
        this.store = context.getStateStore(storeName);
        live.clear();
        for (KeyValue<String, SliceDrift> kv : all()) {
            live.put(kv.key, kv.value);
            SliceDrift slice = kv.value;
            owned.add(slice.key());
            if (slice.lastReport() != null) metrics.record(slice.lastReport(), slice.referenceReady());
        }
        if (config.windowDurationMs() > 0) {
            context.schedule(Duration.ofMillis(advanceIntervalMs), PunctuationType.WALL_CLOCK_TIME, this::advanceTime);
        }
    }

    @Override
    public void process(Record<String, byte[]> record) {
        DriftPartial partial;
        try {
            partial = DriftStateCodec.partial(record.value(), config);
        } catch (IllegalArgumentException e) {
            metrics.stateDiscarded();
            LOG.warn("skipping an unreadable drift partial (key {}): {}", record.key(), e.getMessage());
            return;
        }
        String key = DriftStateCodec.key(partial.key());
        SliceDrift slice = load(key);
        if (slice == null) slice = new SliceDrift(config, partial.key());
        live.put(key, slice);
        List<DriftReport> closed = new ArrayList<>(1);
        if (!slice.merge(partial, closed::add)) metrics.skipped();
        store.put(key, DriftStateCodec.slice(slice.snapshot()));
        owned.add(slice.key());
        emit(slice, closed, record.timestamp());
    }

    private void advanceTime(long now) {
        for (java.util.Map.Entry<String, SliceDrift> e : live.entrySet()) {
            List<DriftReport> closed = new ArrayList<>(1);
            e.getValue().advanceTime(now, closed::add);
            if (closed.isEmpty()) continue;
            store.put(e.getKey(), DriftStateCodec.slice(e.getValue().snapshot()));
            emit(e.getValue(), closed, now);
        }
    }

    private void emit(SliceDrift slice, List<DriftReport> closed, long timestamp) {
        for (DriftReport r : closed) {
            context.forward(new Record<>(DriftReportJson.key(r), DriftReportJson.toBytes(r), timestamp), sink);
            metrics.reportWritten();
            metrics.record(r, slice.referenceReady());
        }
    }

    private SliceDrift load(String key) {
        SliceDrift known = live.get(key);
        if (known != null) return known;
        byte[] bytes = store.get(key);
        if (bytes == null) return null;
        SliceDrift slice = decode(key, bytes);
        if (slice == null) store.delete(key);
        return slice;
    }

    /** Every readable slice of the store; unreadable ones are deleted (counted, logged). */
    private List<KeyValue<String, SliceDrift>> all() {
        List<KeyValue<String, byte[]>> raw = new ArrayList<>();
        try (KeyValueIterator<String, byte[]> it = store.all()) {
            it.forEachRemaining(raw::add);
        }
        List<KeyValue<String, SliceDrift>> out = new ArrayList<>(raw.size());
        for (KeyValue<String, byte[]> kv : raw) {
            SliceDrift slice = decode(kv.key, kv.value);
            if (slice == null) {
                store.delete(kv.key);
            } else {
                out.add(KeyValue.pair(kv.key, slice));
            }
        }
        return out;
    }

    private SliceDrift decode(String key, byte[] bytes) {
        try {
            return SliceDrift.restore(config, DriftStateCodec.slice(bytes, config));
        } catch (IllegalArgumentException e) {
            metrics.stateDiscarded();
            LOG.warn("starting slice {} afresh: its stored drift state does not fit this configuration ({})", key,
                    e.getMessage());
            return null;
        }
    }

    @Override
    public void close() {
        // Revoked or shutting down: another instance owns these slices now and exports their gauges.
        metrics.forget(owned);
        owned.clear();
        live.clear();
    }
}
