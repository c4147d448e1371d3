package dev.refusalmonitor.monitor.stream;

import dev.refusalmonitor.schemas.DecodedHiddenState;
import dev.refusalmonitor.schemas.v1.DeadLetterReason;
import dev.refusalmonitor.schemas.v1.SafetyScore;

/**
 * Observes every outcome of the scoring processor on the stream thread (e.g. the demo's live
 * summary). Implementations must be thread-safe and fast; they must not keep the hidden state.
 */
public interface ScoreListener {
    ScoreListener NONE = new ScoreListener() {
    };

    default void scored(DecodedHiddenState state, SafetyScore score) {
    }

    default void deadLettered(String modelId, DeadLetterReason reason) {
    }
}
