package dev.refusalmonitor.monitor.stream;

import dev.refusalmonitor.monitor.config.NoDirectionsPolicy;
import dev.refusalmonitor.monitor.drift.DriftParts;
import dev.refusalmonitor.monitor.drift.DriftWindowProcessor;
import dev.refusalmonitor.monitor.kafka.Topics;
import dev.refusalmonitor.monitor.metrics.ScoringMetrics;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.state.Stores;

import java.time.Clock;

/**
 * The monitor's data flow (DESIGN "Data flow"):
 * <pre>
 * directions (compacted) ──▶ directions-loader ──▶ directions-store (global) + DirectionRegistry
 * hidden-states ──▶ score ──▶ safety-scores
 *                        ├──▶ hidden-states.dlq     (bad input, reason, source offset)
 *                        ├──▶ hidden-states.retry   (no directions yet, with no.directions.policy=retry-topic)
 *                        └──▶ drift-partials        (per-slice partial aggregates; drift-partials-store)
 * drift-partials ──▶ drift-windows ──▶ drift        (one report per slice and window; drift-slices-store)
 * </pre>
 * The drift part (absent with {@code refusal.monitor.drift.enabled=false}) repartitions by slice so that each
 * slice's windows combine every instance's traffic in the one task that owns it; both stores are changelogged.
 */
public final class ScoringTopology {
    public static final String DIRECTIONS_SOURCE = "directions-source";
    public static final String DIRECTIONS_LOADER = "directions-loader";
    public static final String HIDDEN_STATES_SOURCE = "hidden-states-source";
    public static final String SCORE = "score";
    public static final String SCORES_SINK = "safety-scores-sink";
    public static final String DLQ_SINK = "dlq-sink";
    public static final String RETRY_SINK = "retry-sink";
    public static final String DRIFT_PARTIALS_SINK = "drift-partials-sink";
    public static final String DRIFT_PARTIALS_SOURCE = "drift-partials-source";
    public static final String DRIFT_WINDOWS = "drift-windows";
    public static final String DRIFT_SINK = "drift-sink";

    private ScoringTopology() {
    }

    /**
     * Everything the topology needs besides the topic names.
     *
     * @param drift the drift part, or null for none
     * @param batches the poll's batch scoring the processor takes results from, or null to score one by one only
     */
    public record Parts(DirectionRegistry registry, ScoringMetrics metrics, NoDirectionsPolicy noDirections,
                        ScoreListener listener, Clock clock, RecordLimits limits, DriftParts drift,
                        PollScoring batches) {
        /** Records scored one by one only. */
        public Parts(DirectionRegistry registry, ScoringMetrics metrics, NoDirectionsPolicy noDirections,
                     ScoreListener listener, Clock clock, RecordLimits limits, DriftParts drift) {
            this(registry, metrics, noDirections, listener, clock, limits, drift, null);
        }

        /** Without drift. */
        public Parts(DirectionRegistry registry, ScoringMetrics metrics, NoDirectionsPolicy noDirections,
                     ScoreListener listener, Clock clock, RecordLimits limits) {
            this(registry, metrics, noDirections, listener, clock, limits, null);
        }

        /** With {@link RecordLimits#DEFAULTS}, without drift. */
        public Parts(DirectionRegistry registry, ScoringMetrics metrics, NoDirectionsPolicy noDirections,
                     ScoreListener listener, Clock clock) {
            this(registry, metrics, noDirections, listener, clock, RecordLimits.DEFAULTS, null);
        }
    }

    public static Topology build(Topics topics, Parts parts) {
        Topology t = new Topology();
        // Persistent (RocksDB under state.dir) because a topology with a persistent store makes Kafka Streams keep its
        // process id in state.dir, so a restarted instance reuses its transactional ids and fences the killed
        // instance's open transaction at once instead of waiting for it to time out (BENCHMARKS.md, "Crash recovery").
        // MonitorApp deletes the store's local copy at every start, so it is rebuilt from the topic through the loader.
        t.addGlobalStore(
                Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(Topics.DIRECTIONS_STORE),
                        Serdes.String(), Serdes.ByteArray()).withLoggingDisabled(),
                DIRECTIONS_SOURCE, Serdes.String().deserializer(), Serdes.ByteArray().deserializer(),
                topics.directions().name(), DIRECTIONS_LOADER,
                () -> new DirectionsLoader(parts.registry(), Topics.DIRECTIONS_STORE));

        t.addSource(HIDDEN_STATES_SOURCE, topics.hiddenStates().keySerde().deserializer(),
                topics.hiddenStates().valueSerde().deserializer(), topics.hiddenStates().name());
        DriftParts drift = parts.drift();
        t.addProcessor(SCORE, () -> new ScoringProcessor(parts.registry(), parts.metrics(), parts.noDirections(),
                parts.listener(), parts.clock(), parts.limits(), drift == null ? null : drift.newPartials(),
                drift == null ? 0 : drift.partialIntervalMs(), parts.batches()), HIDDEN_STATES_SOURCE);
        t.addSink(SCORES_SINK, topics.safetyScores().name(), topics.safetyScores().keySerde().serializer(),
                topics.safetyScores().valueSerde().serializer(), SCORE);
        t.addSink(DLQ_SINK, topics.hiddenStatesDlq().name(), topics.hiddenStatesDlq().keySerde().serializer(),
                topics.hiddenStatesDlq().valueSerde().serializer(), SCORE);
        t.addSink(RETRY_SINK, topics.hiddenStatesRetry().name(), topics.hiddenStatesRetry().keySerde().serializer(),
                topics.hiddenStatesRetry().valueSerde().serializer(), SCORE);
        if (drift != null) addDrift(t, topics, drift);
        return t;
    }

    private static void addDrift(Topology t, Topics topics, DriftParts drift) {
        // Cached: a partial is rewritten on every scored request, and the changelog needs only its value at commit.
        t.addStateStore(Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(Topics.DRIFT_PARTIALS_STORE),
                Serdes.String(), Serdes.ByteArray()).withCachingEnabled(), SCORE);
        t.addSink(DRIFT_PARTIALS_SINK, topics.driftPartials().name(), topics.driftPartials().keySerde().serializer(),
                topics.driftPartials().valueSerde().serializer(), SCORE);
        t.addSource(DRIFT_PARTIALS_SOURCE, topics.driftPartials().keySerde().deserializer(),
                topics.driftPartials().valueSerde().deserializer(), topics.driftPartials().name());
        t.addProcessor(DRIFT_WINDOWS, () -> new DriftWindowProcessor(drift.config(), drift.metrics(),
                Topics.DRIFT_SLICES_STORE, DRIFT_SINK, drift.advanceIntervalMs()), DRIFT_PARTIALS_SOURCE);
        // Cached too: the changelog needs each slice's state once per commit, not once per partial.
        t.addStateStore(Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(Topics.DRIFT_SLICES_STORE),
                Serdes.String(), Serdes.ByteArray()).withCachingEnabled(), DRIFT_WINDOWS);
        t.addSink(DRIFT_SINK, topics.drift().name(), topics.drift().keySerde().serializer(),
                topics.drift().valueSerde().serializer(), DRIFT_WINDOWS);
    }
}
