package dev.refusalmonitor.bench.e2e;

import dev.refusalmonitor.monitor.stream.ScoreListener;
import dev.refusalmonitor.schemas.v1.DeadLetterReason;
import dev.refusalmonitor.schemas.v1.SafetyScore;

import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/** Counts a monitor's scored and dead-lettered records and times the first and the last score on {@code clock}. */
final class ScoreTimes implements ScoreListener {
    final AtomicLong count = new AtomicLong();
    final AtomicLong dead = new AtomicLong();
    final AtomicLong first = new AtomicLong();
    final AtomicLong last = new AtomicLong();
    private final LongSupplier clock;

    ScoreTimes(LongSupplier clock) {
        this.clock = clock;
    }

    @Override
    public void scored(SafetyScore score) {
        long now = clock.getAsLong();
        if (count.getAndIncrement() == 0) first.set(now);
        last.set(now);
    }

    @Override
    public void deadLettered(String modelId, DeadLetterReason reason) {
        dead.incrementAndGet();
    }
}
