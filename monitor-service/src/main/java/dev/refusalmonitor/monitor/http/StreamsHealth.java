package dev.refusalmonitor.monitor.http;

import java.util.Objects;
import java.util.function.IntSupplier;
import java.util.function.Supplier;

import org.apache.kafka.streams.KafkaStreams;

/**
 * Liveness and readiness derived from the Streams state and the loaded direction sets.
 *
 * <ul>
 *   <li>live: the process is up and Streams has not failed: not in ERROR / PENDING_ERROR, and not
 *       NOT_RUNNING or PENDING_SHUTDOWN after {@link #recordFailure(Throwable)} was called;</li>
 *   <li>ready: Streams is RUNNING and at least one model has a direction set in force.</li>
 * </ul>
 * Wire {@link #recordFailure} into the Streams uncaught-exception handler.
 */
public final class StreamsHealth {

    private final Supplier<KafkaStreams.State> state;
    private final IntSupplier modelsWithDirections;
    private volatile String failure;

    /**
     * @param state the current Streams state, e.g. {@code streams::state}
     * @param modelsWithDirections number of models with a direction set in force
     */
    public StreamsHealth(Supplier<KafkaStreams.State> state, IntSupplier modelsWithDirections) {
        this.state = Objects.requireNonNull(state, "state");
        this.modelsWithDirections = Objects.requireNonNull(modelsWithDirections, "modelsWithDirections");
    }

    /** Records that Streams failed; liveness fails once Streams stops. Only the exception class is kept. */
    public void recordFailure(Throwable t) {
        failure = t == null ? "unknown failure" : t.getClass().getSimpleName();
    }

    public Check liveness() {
        KafkaStreams.State s = state.get();
        if (s == KafkaStreams.State.ERROR || s == KafkaStreams.State.PENDING_ERROR) {
            return Check.fail("kafka streams state " + s);
        }
        String f = failure;
        if (f != null && (s == KafkaStreams.State.NOT_RUNNING || s == KafkaStreams.State.PENDING_SHUTDOWN)) {
            return Check.fail("kafka streams " + s + " after failure " + f);
        }
        return Check.ok("kafka streams state " + s);
    }

    public Check readiness() {
        KafkaStreams.State s = state.get();
        if (s != KafkaStreams.State.RUNNING) {
            return Check.fail("kafka streams state " + s + ", not RUNNING");
        }
        int models = modelsWithDirections.getAsInt();
        if (models < 1) {
            return Check.fail("no direction set loaded yet");
        }
        return Check.ok("running; directions loaded for " + models + " model(s)");
    }
}
