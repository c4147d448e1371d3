package dev.refusalmonitor.monitor.config;

/**
 * The monitor's topics by role. {@link #key()} is the segment used in configuration keys
 * ({@code refusal.monitor.topic.<key>.name}); {@link #defaultName()} is DESIGN.md's topic name.
 */
public enum TopicId {
    /** Raw hidden states from gateways; short retention (they can leak prompt contents). */
    HIDDEN_STATES("hidden-states", "hidden-states", 6),
    /** One score record per scored request. */
    SAFETY_SCORES("safety-scores", "safety-scores", 6),
    /** Original hidden-state bytes that could not be scored, with a reason header. */
    HIDDEN_STATES_DLQ("hidden-states-dlq", "hidden-states.dlq", 3),
    /** Records for a model without directions yet, when {@code no.directions.policy=retry-topic}. */
    HIDDEN_STATES_RETRY("hidden-states-retry", "hidden-states.retry", 6),
    /** Direction sets, compacted, key = model/layer set. */
    DIRECTIONS("directions", "directions", 1),
    /** Labelled hidden states for the trainer. */
    TRAINING_SAMPLES("training-samples", "training-samples", 3),
    /** Windowed drift aggregates. */
    DRIFT("drift", "drift", 1);

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
}
