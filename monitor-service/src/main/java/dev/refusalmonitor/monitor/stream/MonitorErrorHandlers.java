package dev.refusalmonitor.monitor.stream;

import dev.refusalmonitor.monitor.metrics.ScoringMetrics;
import dev.refusalmonitor.schemas.DeadLetters;
import dev.refusalmonitor.schemas.v1.DeadLetterReason;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.apache.kafka.streams.errors.ProcessingExceptionHandler;
import org.apache.kafka.streams.errors.ProductionExceptionHandler;
import org.apache.kafka.streams.processor.api.Record;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.util.List;
import java.util.Map;

/**
 * Kafka Streams' error handlers for the monitor: an error on one record is handled for that record and never stops a
 * stream thread. The record goes to the dead-letter topic (our {@code DeadLetter} format, with at most
 * {@link Hooks#maxOriginalBytes} of the source value) and is counted in {@code refusal_monitor_dlq_total{reason}}:
 * a result the broker refused is {@code production_failed}, an exception thrown by a processor is
 * {@code scoring_failed}. Retriable production errors are retried, as Streams' default handler does.
 *
 * <p>The scoring processor already dead-letters every failure it sees and bounds what it writes, so these handlers
 * are the backstop for what happens outside it (the producer, the sinks). Kafka creates them by class name; the
 * monitor hands them its {@link Hooks} through the Streams properties under {@link #HOOKS_CONFIG}.
 */
public final class MonitorErrorHandlers {
    private static final Logger LOG = LoggerFactory.getLogger(MonitorErrorHandlers.class);
    /** Streams property holding the {@link Hooks} object (not a string: passed only in-process). */
    public static final String HOOKS_CONFIG = "refusal.monitor.internal.error.hooks";

    private MonitorErrorHandlers() {
    }

    /**
     * What the handlers need from the running monitor.
     *
     * @param driftTopics the drift and drift-partials topics: a record refused there is drift data, not a request, so
     *                    it is counted with {@code driftFailed} and dropped instead of dead-lettering its source
     */
    public record Hooks(ScoringMetrics metrics, String dlqTopic, int maxOriginalBytes, Clock clock,
                        java.util.Set<String> driftTopics, Runnable driftFailed) {
        /** Without drift. */
        public Hooks(ScoringMetrics metrics, String dlqTopic, int maxOriginalBytes, Clock clock) {
            this(metrics, dlqTopic, maxOriginalBytes, clock, java.util.Set.of(), () -> { });
        }
    }

    /** True (and counted) when the refused record was drift data. */
    private static boolean driftRecord(Hooks hooks, String topic) {
        if (hooks == null || topic == null || !hooks.driftTopics().contains(topic)) return false;
        try {
            hooks.driftFailed().run();
        } catch (RuntimeException ignored) {
            // metrics must not turn a handled error into a fatal one
        }
        return true;
    }

    private static Hooks hooks(Map<String, ?> configs) {
        Object h = configs.get(HOOKS_CONFIG);
        return h instanceof Hooks hooks ? hooks : null;
    }

    /** The dead letter of the record behind {@code context}; empty when it cannot be built or would loop. */
    private static List<ProducerRecord<byte[], byte[]>> deadLetter(Hooks hooks, ErrorHandlerContext context,
                                                                 String failedTopic, DeadLetterReason reason,
                                                                 Exception e) {
        if (hooks == null) return List.of();
        try {
            hooks.metrics().recordDlq(reason);
        } catch (RuntimeException ignored) {
            // metrics must not turn a handled error into a fatal one
        }
        if (hooks.dlqTopic().equals(failedTopic)) return List.of(); // the dead letter itself failed: do not loop
        String detail = e.getClass().getSimpleName() + ": " + e.getMessage()
                + (failedTopic == null ? "" : " (writing to " + failedTopic + ")");
        byte[] key = context.sourceRawKey();
        byte[] value = DeadLetters.deadLetter(reason, detail, context.topic(), context.partition(), context.offset(),
                key, context.sourceRawValue(), hooks.clock().millis(), hooks.maxOriginalBytes()).toByteArray();
        byte[] outKey = key == null || key.length <= ScoringProcessor.MAX_OUTPUT_KEY_BYTES ? key
                : ("sha256:" + DeadLetters.sha256Hex(key)).getBytes(java.nio.charset.StandardCharsets.UTF_8);
        return List.of(new ProducerRecord<>(hooks.dlqTopic(), null, outKey, value));
    }

    /** Production errors: retry what is retriable; dead-letter the source record of anything else and go on. */
    public static final class Production implements ProductionExceptionHandler {
        private Hooks hooks;

        @Override
        public void configure(Map<String, ?> configs) {
            hooks = hooks(configs);
        }

        @Override
        public Response handleError(ErrorHandlerContext context, ProducerRecord<byte[], byte[]> record, Exception e) {
            if (e instanceof RetriableException) return Response.retry();
            if (driftRecord(hooks, record.topic())) {
                LOG.warn("could not write a drift record to {} ({}); it is dropped and counted", record.topic(), e.toString());
                return Response.resume();
            }
            LOG.warn("could not write a record to {} ({}); the source record {}-{}@{} is dead-lettered as production_failed",
                    record.topic(), e.toString(), context.topic(), context.partition(), context.offset());
            return Response.resume(deadLetter(hooks, context, record.topic(),
                    DeadLetterReason.DEAD_LETTER_REASON_PRODUCTION_FAILED, e));
        }

        @Override
        @SuppressWarnings("rawtypes")
        public Response handleSerializationError(ErrorHandlerContext context, ProducerRecord record, Exception e,
                                                 SerializationExceptionOrigin origin) {
            LOG.warn("could not serialize a record for {} ({}); the source record is dead-lettered", record.topic(), e.toString());
            return Response.resume(deadLetter(hooks, context, record.topic(),
                    DeadLetterReason.DEAD_LETTER_REASON_PRODUCTION_FAILED, e));
        }
    }

    /** Processing errors that escape a processor: dead-letter the source record as scoring_failed and go on. */
    public static final class Processing implements ProcessingExceptionHandler {
        private Hooks hooks;

        @Override
        public void configure(Map<String, ?> configs) {
            hooks = hooks(configs);
        }

        @Override
        public Response handleError(ErrorHandlerContext context, Record<?, ?> record, Exception e) {
            LOG.warn("processor {} failed on record {}-{}@{} ({}); dead-lettered as scoring_failed",
                    context.processorNodeId(), context.topic(), context.partition(), context.offset(), e.toString());
            return Response.resume(deadLetter(hooks, context, null, DeadLetterReason.DEAD_LETTER_REASON_SCORING_FAILED, e));
        }
    }
}
