package dev.refusalmonitor.monitor.stream;

import dev.refusalmonitor.schemas.v1.DeadLetterReason;
import dev.refusalmonitor.schemas.v1.SafetyScore;

/**
 * Observes every outcome of the scoring processor on the stream thread (e.g. the demo's live
 * summary). Implementations must be thread-safe and fast. They see the score record (identity and scores), never
 * the hidden state: records scored in a batch have released their vectors by then.
 */
public interface ScoreListener {
    ScoreListener NONE = new ScoreListener() {
    };

    default void scored(SafetyScore score) {
    }

    default void deadLettered(String modelId, DeadLetterReason reason) {
    }
}
