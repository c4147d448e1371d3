package dev.refusalmonitor.monitor.stream;

import dev.refusalmonitor.monitor.config.NoDirectionsPolicy;
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
 *                        └──▶ hidden-states.retry   (no directions yet, with no.directions.policy=retry-topic)
 * </pre>
 */
public final class ScoringTopology {
    public static final String DIRECTIONS_SOURCE = "directions-source";
    public static final String DIRECTIONS_LOADER = "directions-loader";
    public static final String HIDDEN_STATES_SOURCE = "hidden-states-source";
    public static final String SCORE = "score";
    public static final String SCORES_SINK = "safety-scores-sink";
    public static final String DLQ_SINK = "dlq-sink";
    public static final String RETRY_SINK = "retry-sink";

    private ScoringTopology() {
    }

    /** Everything the topology needs besides the topic names. */
    public record Parts(DirectionRegistry registry, ScoringMetrics metrics, NoDirectionsPolicy noDirections,
                        ScoreListener listener, Clock clock, RecordLimits limits) {
        /** With {@link RecordLimits#DEFAULTS}. */
        public Parts(DirectionRegistry registry, ScoringMetrics metrics, NoDirectionsPolicy noDirections,
                     ScoreListener listener, Clock clock) {
            this(registry, metrics, noDirections, listener, clock, RecordLimits.DEFAULTS);
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
        t.addProcessor(SCORE, () -> new ScoringProcessor(parts.registry(), parts.metrics(), parts.noDirections(),
                parts.listener(), parts.clock(), parts.limits()), HIDDEN_STATES_SOURCE);
        t.addSink(SCORES_SINK, topics.safetyScores().name(), topics.safetyScores().keySerde().serializer(),
                topics.safetyScores().valueSerde().serializer(), SCORE);
        t.addSink(DLQ_SINK, topics.hiddenStatesDlq().name(), topics.hiddenStatesDlq().keySerde().serializer(),
                topics.hiddenStatesDlq().valueSerde().serializer(), SCORE);
        t.addSink(RETRY_SINK, topics.hiddenStatesRetry().name(), topics.hiddenStatesRetry().keySerde().serializer(),
                topics.hiddenStatesRetry().valueSerde().serializer(), SCORE);
        return t;
    }
}
