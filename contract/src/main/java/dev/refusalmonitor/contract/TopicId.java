package dev.refusalmonitor.contract;

/**
 * The product's topics by role. {@link #key()} is the segment used in configuration keys
 * ({@code refusal.monitor.topic.<key>.name}); {@link #defaultName()} is the name in {@link TopicNames}.
 */
public enum TopicId {
    /** Raw hidden states from gateways; short retention (they can leak prompt contents). */
    HIDDEN_STATES("hidden-states", TopicNames.HIDDEN_STATES, 6),
    /** One score record per scored request. */
    SAFETY_SCORES("safety-scores", TopicNames.SAFETY_SCORES, 6),
    /** Original hidden-state bytes that could not be scored, with a reason header. */
    HIDDEN_STATES_DLQ("hidden-states-dlq", TopicNames.HIDDEN_STATES_DLQ, 3),
    /** Records for a model without directions yet, when {@code no.directions.policy=retry-topic}. */
    HIDDEN_STATES_RETRY("hidden-states-retry", TopicNames.HIDDEN_STATES_RETRY, 6),
    /** Direction sets, compacted, key = model/layer set. */
    DIRECTIONS("directions", TopicNames.DIRECTIONS, 1),
    /** Every published direction-set version, compacted by {@code model:version}: rollback and the last good set. */
    DIRECTIONS_HISTORY("directions-history", TopicNames.DIRECTIONS_HISTORY, 1),
    /** Labelled hidden states for the trainer. */
    TRAINING_SAMPLES("training-samples", TopicNames.TRAINING_SAMPLES, 3),
    /** One drift report per slice and closed window. */
    DRIFT("drift", TopicNames.DRIFT, 1),
    /**
     * Partial drift aggregates from every monitor instance, keyed by slice, so that each slice's windows are combined
     * by the one instance that owns its partition (internal to the monitor application).
     */
    DRIFT_PARTIALS("drift-partials", TopicNames.DRIFT_PARTIALS, 6);

    private final String key;
    private final String defaultName;
    private final int defaultPartitions;

    TopicId(String key, String defaultName, int defaultPartitions) {
        this.key = key;
        this.defaultName = defaultName;
        this.defaultPartitions = defaultPartitions;
    }

    public String key() {
        return key;
    }

    public String defaultName() {
        return defaultName;
    }

    public int defaultPartitions() {
        return defaultPartitions;
    }

    /** Compacted topics keep the newest record per key forever; the others expire by retention. */
    public boolean compacted() {
        return this == DIRECTIONS || this == DIRECTIONS_HISTORY;
    }
}
