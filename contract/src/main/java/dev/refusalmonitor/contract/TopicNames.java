package dev.refusalmonitor.contract;

/**
 * The default topic names, written once. Constants (not enum calls) so that command-line option defaults can name
 * them; {@link TopicId} gives each its role, partitions and configuration key.
 */
public final class TopicNames {
    private TopicNames() {
    }

    public static final String HIDDEN_STATES = "hidden-states";
    public static final String SAFETY_SCORES = "safety-scores";
    public static final String HIDDEN_STATES_DLQ = "hidden-states.dlq";
    public static final String HIDDEN_STATES_RETRY = "hidden-states.retry";
    public static final String DIRECTIONS = "directions";
    /** Every published version, key = {@code model:version}, compacted so each version is kept (rollback, restore). */
    public static final String DIRECTIONS_HISTORY = "directions.history";
    public static final String TRAINING_SAMPLES = "training-samples";
    public static final String DRIFT = "drift";
    /**
     * The monitor's per-slice partial drift aggregates, keyed by slice. Named after the monitor's default application
     * id, like the Kafka Streams topics it sits beside: a second monitor application needs its own.
     */
    public static final String DRIFT_PARTIALS = "refusal-monitor-drift-partials";
}
