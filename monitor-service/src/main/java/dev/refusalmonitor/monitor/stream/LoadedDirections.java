package dev.refusalmonitor.monitor.stream;

import dev.refusalmonitor.contract.directions.DirectionSetModel;
import dev.refusalmonitor.math.score.DirectionSetScorer;

import java.time.Instant;

/** A validated direction set in force for one model, with its scorer built once. Immutable. */
public record LoadedDirections(DirectionSetModel set, DirectionSetScorer scorer, Instant loadedAt) {

    public String modelId() {
        return set.modelId();
    }

    public long version() {
        return set.version();
    }
}
