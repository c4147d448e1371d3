package dev.refusalmonitor.monitor.kafka;

import java.util.Objects;

import dev.refusalmonitor.monitor.config.MonitorConfig;
import dev.refusalmonitor.contract.TopicId;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;

/**
 * Every topic of the monitor with its configured name and serdes. Keys are request ids (UTF-8
 * strings) except on the directions topic, whose key is the model/layer-set key (also a string).
 * Values are raw bytes here; the topology swaps in typed (protobuf) serdes with
 * {@link Topic#withValueSerde(Serde)} so names still come from one place.
 *
 * <p>Store names are constants here too, so the topology and its tests share them.
 */
public record Topics(
        Topic<String, byte[]> hiddenStates,
        Topic<String, byte[]> safetyScores,
        Topic<String, byte[]> hiddenStatesDlq,
        Topic<String, byte[]> hiddenStatesRetry,
        Topic<String, byte[]> directions,
        Topic<String, byte[]> directionsHistory,
        Topic<String, byte[]> trainingSamples,
        Topic<String, byte[]> drift,
        Topic<String, byte[]> driftPartials) {

    /** Name of the global store holding the latest direction set per key. */
    public static final String DIRECTIONS_STORE = "directions-store";
    /** Per scoring task: the partial drift aggregate of each slice not yet handed on (changelogged). */
    public static final String DRIFT_PARTIALS_STORE = "drift-partials-store";
    /** Per slice owner: each slice's windows, reference, CUSUMs and latest report (changelogged). */
    public static final String DRIFT_SLICES_STORE = "drift-slices-store";

    public Topics {
        Objects.requireNonNull(hiddenStates);
        Objects.requireNonNull(safetyScores);
        Objects.requireNonNull(hiddenStatesDlq);
        Objects.requireNonNull(hiddenStatesRetry);
        Objects.requireNonNull(directions);
        Objects.requireNonNull(directionsHistory);
        Objects.requireNonNull(trainingSamples);
        Objects.requireNonNull(drift);
        Objects.requireNonNull(driftPartials);
    }

    /** The topics named by the configuration, with String keys and byte[] values. */
    public static Topics from(MonitorConfig config) {
        return new Topics(
                bytes(config, TopicId.HIDDEN_STATES),
                bytes(config, TopicId.SAFETY_SCORES),
                bytes(config, TopicId.HIDDEN_STATES_DLQ),
                bytes(config, TopicId.HIDDEN_STATES_RETRY),
                bytes(config, TopicId.DIRECTIONS),
                bytes(config, TopicId.DIRECTIONS_HISTORY),
                bytes(config, TopicId.TRAINING_SAMPLES),
                bytes(config, TopicId.DRIFT),
                bytes(config, TopicId.DRIFT_PARTIALS));
    }

    /** The topic of one role. */
    public Topic<String, byte[]> get(TopicId id) {
        return switch (id) {
            case HIDDEN_STATES -> hiddenStates;
            case SAFETY_SCORES -> safetyScores;
            case HIDDEN_STATES_DLQ -> hiddenStatesDlq;
            case HIDDEN_STATES_RETRY -> hiddenStatesRetry;
            case DIRECTIONS -> directions;
            case DIRECTIONS_HISTORY -> directionsHistory;
            case TRAINING_SAMPLES -> trainingSamples;
            case DRIFT -> drift;
            case DRIFT_PARTIALS -> driftPartials;
        };
    }

    private static Topic<String, byte[]> bytes(MonitorConfig config, TopicId id) {
        return new Topic<>(config.topic(id).name(), Serdes.String(), Serdes.ByteArray());
    }
}
