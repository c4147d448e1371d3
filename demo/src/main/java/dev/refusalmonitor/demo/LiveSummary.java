package dev.refusalmonitor.demo;

import dev.refusalmonitor.monitor.stream.ScoreListener;
import dev.refusalmonitor.schemas.v1.DeadLetterReason;
import dev.refusalmonitor.schemas.v1.SafetyScore;

import java.util.concurrent.atomic.AtomicLong;

/** Counts what the monitor did, for the demo's live summary line. Thread-safe. */
public final class LiveSummary implements ScoreListener {
    private final AtomicLong scored = new AtomicLong();
    private final AtomicLong flagged = new AtomicLong();
    private final AtomicLong castFired = new AtomicLong();
    private final AtomicLong deadLettered = new AtomicLong();
    private volatile long lastVersion;

    @Override
    public void scored(SafetyScore score) {
        scored.incrementAndGet();
        if (score.getFlagged()) flagged.incrementAndGet();
        if (score.getCastFired()) castFired.incrementAndGet();
        lastVersion = score.getDirectionsVersion();
    }

    @Override
    public void deadLettered(String modelId, DeadLetterReason reason) {
        deadLettered.incrementAndGet();
    }

    public long scored() {
        return scored.get();
    }

    public long flagged() {
        return flagged.get();
    }

    public long castFired() {
        return castFired.get();
    }

    public long deadLettered() {
        return deadLettered.get();
    }

    /** Direction-set version of the most recent score. */
    public long lastVersion() {
        return lastVersion;
    }
}
