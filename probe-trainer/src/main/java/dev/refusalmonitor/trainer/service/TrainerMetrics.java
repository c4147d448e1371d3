package dev.refusalmonitor.trainer.service;

import dev.refusalmonitor.trainer.reservoir.SampleOutcome;
import dev.refusalmonitor.trainer.reservoir.SampleReservoir;
import io.micrometer.core.instrument.binder.BaseUnits;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.MeterBinder;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The trainer's meters, under the prefix {@code refusal.trainer}. Exported names (Prometheus):
 * {@code refusal_trainer_samples_total{outcome,reason}}, {@code refusal_trainer_gate_failures_total{reason}},
 * {@code refusal_trainer_refits_seconds{model,outcome}}, {@code refusal_trainer_reservoir_rows{model,class}},
 * {@code refusal_trainer_reservoir_memory_bytes{model}}, {@code refusal_trainer_reservoir_capacity_bytes{model}},
 * {@code refusal_trainer_directions_version{model}}. Tag values come from fixed sets, except {@code model}, which is
 * bounded by the models trained (use --model-id to train one).
 */
public final class TrainerMetrics implements MeterBinder {
    public static final String SAMPLES = "refusal.trainer.samples";
    public static final String GATE_FAILURES = "refusal.trainer.gate.failures";
    public static final String REFITS = "refusal.trainer.refits";
    public static final String RESERVOIR_ROWS = "refusal.trainer.reservoir.rows";
    public static final String RESERVOIR_MEMORY = "refusal.trainer.reservoir.memory";
    public static final String RESERVOIR_CAPACITY = "refusal.trainer.reservoir.capacity";
    public static final String DIRECTIONS_VERSION = "refusal.trainer.directions.version";

    private MeterRegistry registry;
    private final Map<String, AtomicLong> versions = new ConcurrentHashMap<>();

    /**
     * Remembers the registry; the meters are registered as samples, refits and reservoirs appear (their tags are
     * only known then). Call once, before recording.
     */
    @Override
    public void bindTo(MeterRegistry registry) {
        if (this.registry != null) throw new IllegalStateException("already bound");
        this.registry = registry;
    }

    public MeterRegistry registry() {
        return registry;
    }

    public void sample(SampleOutcome o) {
        Counter.builder(SAMPLES).description("Training samples read, by outcome and skip reason.")
                .tag("outcome", o.outcomeTag()).tag("reason", o.reason()).register(registry).increment();
    }

    public void gateFailure(String reason) {
        Counter.builder(GATE_FAILURES).description("Refits whose direction set was not published, by reason.")
                .tag("reason", reason).register(registry).increment();
    }

    /** @param outcome published, rejected, skipped or failed */
    public void refit(String model, String outcome, long nanos) {
        Timer.builder(REFITS).description("Wall time of refits (fit, gate and publish), by outcome.")
                .tag("model", model).tag("outcome", outcome).register(registry).record(nanos, TimeUnit.NANOSECONDS);
    }

    public void reservoir(SampleReservoir r) {
        String m = r.modelId();
        Gauge.builder(RESERVOIR_ROWS, r, x -> x.stats().harmful()).description("Rows kept in the sample reservoir, per class.")
                .tag("model", m).tag("class", "harmful").register(registry);
        Gauge.builder(RESERVOIR_ROWS, r, x -> x.stats().harmless()).description("Rows kept in the sample reservoir, per class.")
                .tag("model", m).tag("class", "harmless").register(registry);
        Gauge.builder(RESERVOIR_MEMORY, r, x -> x.stats().allocatedBytes()).baseUnit(BaseUnits.BYTES)
                .description("Bytes of row storage the reservoir holds now (both classes).").tag("model", m).register(registry);
        Gauge.builder(RESERVOIR_CAPACITY, r, x -> x.stats().capacityBytes()).baseUnit(BaseUnits.BYTES)
                .description("Bytes the reservoir holds when full: 2 x size x layers x d x 4.").tag("model", m).register(registry);
    }

    public void version(String model, long version) {
        versions.computeIfAbsent(model, k -> {
            AtomicLong v = new AtomicLong();
            Gauge.builder(DIRECTIONS_VERSION, v, AtomicLong::get).description("Direction-set version in force, per model.")
                    .tag("model", k).register(registry);
            return v;
        }).accumulateAndGet(version, Math::max);
    }

    /** Count of {@code refusal.trainer.samples} with these tags (0 when never incremented). */
    public double samples(String outcome, String reason) {
        Counter c = registry.find(SAMPLES).tag("outcome", outcome).tag("reason", reason).counter();
        return c == null ? 0 : c.count();
    }

    /** Count of {@code refusal.trainer.gate.failures} with this reason. */
    public double gateFailures(String reason) {
        Counter c = registry.find(GATE_FAILURES).tag("reason", reason).counter();
        return c == null ? 0 : c.count();
    }
}
