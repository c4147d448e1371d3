package dev.refusalmonitor.monitor.drift;

import dev.refusalmonitor.math.drift.DriftConfig;
import dev.refusalmonitor.math.drift.DriftPartial;
import dev.refusalmonitor.math.drift.DriftTracker;
import dev.refusalmonitor.math.drift.SliceDrift;
import dev.refusalmonitor.math.drift.SliceKey;
import dev.refusalmonitor.math.drift.SliceResolver;
import dev.refusalmonitor.monitor.metrics.MetricNames;
import dev.refusalmonitor.monitor.metrics.TagAllowlist;
import dev.refusalmonitor.schemas.v1.SafetyScore;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * The scoring task's side of fleet-level drift: counts each scored request into a partial aggregate per slice, kept in
 * the task's changelogged store (so a partial is committed with the offsets of the requests it counts, exactly once),
 * and hands a partial on when it holds {@code refusal.monitor.drift.partial.records} requests, when the next request
 * is of another direction-set version or time bucket, and at the task's wall-clock punctuation every
 * {@code refusal.monitor.drift.partial.interval.ms} (so a quiet slice's requests reach its owner within that). The partials go to the drift-partials topic keyed by slice, where
 * the slice's owner combines every instance's partials ({@link DriftWindowProcessor}).
 *
 * <p>Slices: tenant and route pass the metrics allowlists first (an allowlisted value is kept, a missing one counts
 * only in the model total, any other is {@code _other}); then {@link SliceResolver}'s caps, applied per task. One
 * instance per scoring task (single-threaded).
 */
public final class DriftPartials {
    private static final Logger LOG = LoggerFactory.getLogger(DriftPartials.class);

    private final DriftConfig config;
    private final TagAllowlist tenants;
    private final TagAllowlist routes;
    private final int partialRecords;
    private final DriftMetrics metrics;
    private final SliceResolver resolver;
    /**
     * The store's partials as objects, so a request costs an encode but no decode. The store stays the truth: this is
     * cleared whenever the task (re)initialises and refilled from the store on demand.
     */
    private final java.util.Map<String, DriftPartial> open = new java.util.HashMap<>();
    private KeyValueStore<String, byte[]> store;

    public DriftPartials(DriftConfig config, TagAllowlist tenants, TagAllowlist routes, int partialRecords,
                         DriftMetrics metrics) {
        if (partialRecords < 1) throw new IllegalArgumentException("partialRecords must be ≥ 1, got " + partialRecords);
        this.config = config;
        this.tenants = tenants;
        this.routes = routes;
        this.partialRecords = partialRecords;
        this.metrics = metrics;
        this.resolver = new SliceResolver(config);
    }

    /** Binds the task's partials store (the processor's {@code init}). */
    public void init(KeyValueStore<String, byte[]> store) {
        this.store = store;
        open.clear();
    }

    /**
     * Counts a scored request in its slices; partials that are complete are handed to {@code handOn} (and removed
     * from the store). A score outside the statistics' domain is counted as skipped, not thrown.
     */
    public void count(SafetyScore score, Consumer<DriftPartial> handOn) {
        double p = score.getProbeProbability();
        double maha = score.getMahalanobisRefusal();
        double tail = score.getOodTailProbability();
        if (!(p >= 0 && p <= 1) || Double.isNaN(maha) || !(tail >= 0 && tail <= 1)) {
            metrics.skipped();
            return;
        }
        boolean ood = DriftTracker.isOod(tail, config);
        String model = score.getModelId().isBlank() ? MetricNames.UNKNOWN : score.getModelId();
        SliceKey key = SliceKey.of(model, slicePart(tenants, score.getTenant()), slicePart(routes, score.getRoute()));
        long t = score.getEventTimeUnixMs() > 0 ? score.getEventTimeUnixMs() : score.getScoredAtUnixMs();
        long version = score.getDirectionsVersion();
        long bucket = DriftPartial.bucketOf(t, config.windowDurationMs());
        String sector = score.getSector().isEmpty() ? null : score.getSector();
        for (SliceKey slice : resolver.slicesOf(key)) {
            String k = DriftStateCodec.key(slice);
            DriftPartial partial = load(k);
            if (partial != null && !partial.accepts(version, bucket)) {
                handOn.accept(partial);
                partial = null;
            }
            if (partial == null) partial = new DriftPartial(slice, version, bucket, SliceDrift.emptyWindow(config));
            partial.add(p, score.getFlagged(), score.getCastFired(), ood, maha, sector, t);
            if (partial.counts().n() >= partialRecords) {
                store.delete(k);
                open.remove(k);
                handOn.accept(partial);
            } else {
                store.put(k, DriftStateCodec.partial(partial));
                open.put(k, partial);
            }
        }
    }

    /** Hands on every partial in the store and empties it (the wall-clock punctuation). */
    public void handOnAll(Consumer<DriftPartial> handOn) {
        List<KeyValue<String, byte[]>> all = new ArrayList<>();
        try (KeyValueIterator<String, byte[]> it = store.all()) {
            it.forEachRemaining(all::add);
        }
        for (KeyValue<String, byte[]> kv : all) {
            store.delete(kv.key);
            DriftPartial partial = open.remove(kv.key);
            if (partial == null) partial = decode(kv.key, kv.value);
            if (partial != null && partial.counts().n() > 0) handOn.accept(partial);
        }
        open.clear();
    }

    private DriftPartial load(String key) {
        DriftPartial known = open.get(key);
        if (known != null) return known;
        byte[] bytes = store.get(key);
        if (bytes == null) return null;
        DriftPartial partial = decode(key, bytes);
        if (partial == null) store.delete(key);
        return partial;
    }

    /** Null (counted, logged) for a value written under another window layout: its counts cannot be merged. */
    private DriftPartial decode(String key, byte[] bytes) {
        try {
            return DriftStateCodec.partial(bytes, config);
        } catch (IllegalArgumentException e) {
            metrics.stateDiscarded();
            LOG.warn("dropping the open drift partial of slice {} (written under another drift configuration?): {}",
                    key, e.getMessage());
            return null;
        }
    }

    /** An allowlisted tenant/route as is; a missing one null (model total only); any other {@code _other}. */
    static String slicePart(TagAllowlist allowlist, String value) {
        String tag = allowlist.tagValue(value);
        if (MetricNames.UNKNOWN.equals(tag)) return null;
        return MetricNames.OTHER.equals(tag) && !allowlist.allowed().contains(value) ? SliceKey.OTHER : tag;
    }
}
