package dev.refusalmonitor.monitor.stream;

import dev.refusalmonitor.math.score.DirectionSetScorer;
import dev.refusalmonitor.math.score.Scores;
import dev.refusalmonitor.math.score.ScoringInputException;
import dev.refusalmonitor.math.drift.DriftPartial;
import dev.refusalmonitor.monitor.config.NoDirectionsPolicy;
import dev.refusalmonitor.monitor.drift.DriftPartials;
import dev.refusalmonitor.monitor.drift.DriftStateCodec;
import dev.refusalmonitor.monitor.kafka.Topics;
import dev.refusalmonitor.monitor.metrics.ScoreKind;
import dev.refusalmonitor.monitor.metrics.ScoringMetrics;
import dev.refusalmonitor.schemas.DeadLetters;
import dev.refusalmonitor.schemas.DecodedHiddenState;
import dev.refusalmonitor.schemas.HiddenStateDecoder;
import dev.refusalmonitor.schemas.v1.DeadLetterReason;
import dev.refusalmonitor.schemas.v1.SafetyScore;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.errors.StreamsException;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Decode → validate → score with the model's current direction set → score record; anything that cannot be scored
 * goes to the dead-letter topic with (a bounded prefix of) the original bytes, a reason and the source offset. One
 * instance per task (single-threaded), so the per-model scratch space is reused without locking.
 *
 * <p>No record can stop the stream thread: the decoder bounds each record's cost ({@link RecordLimits}), every
 * unexpected error while handling a record dead-letters that record ({@code scoring_failed}), a score that overflows
 * on finite input is {@code out_of_range}, and everything written (score, dead letter, parked record) is bounded in
 * size so it always fits the topics.
 */
public final class ScoringProcessor implements Processor<String, byte[], String, byte[]> {
    private static final Logger LOG = LoggerFactory.getLogger(ScoringProcessor.class);
    /** Header on parked records (no-directions policy retry-topic): why the record is parked. */
    public static final String PARKED_REASON_HEADER = "refusal-monitor-parked-reason";
    /** Longest record key copied as the key of a dead letter; longer keys become {@code sha256:<hex>}. */
    static final int MAX_OUTPUT_KEY_BYTES = 1024;

    private final HiddenStateDecoder decoder;
    private final DirectionRegistry registry;
    private final ScoringMetrics metrics;
    private final NoDirectionsPolicy noDirections;
    private final ScoreListener listener;
    private final Clock clock;
    private final RecordLimits limits;
    private final Scores scores = new Scores();
    private final Map<String, ScratchEntry> scratchByModel = new HashMap<>();
    /** Null without drift. */
    private final DriftPartials drift;
    /** Null when records are scored one by one only. */
    private final PollScoring batches;
    private final long driftIntervalMs;
    private ProcessorContext<String, byte[]> context;
    /** Time spent on the current record in its poll's batch (0 when scored here). */
    private long aheadNanos;

    ScoringProcessor(DirectionRegistry registry, ScoringMetrics metrics, NoDirectionsPolicy noDirections,
                     ScoreListener listener, Clock clock, RecordLimits limits) {
        this(registry, metrics, noDirections, listener, clock, limits, null, 0, null);
    }

    ScoringProcessor(DirectionRegistry registry, ScoringMetrics metrics, NoDirectionsPolicy noDirections,
                     ScoreListener listener, Clock clock, RecordLimits limits, DriftPartials drift,
                     long driftIntervalMs, PollScoring batches) {
        this.drift = drift;
        this.batches = batches;
        this.driftIntervalMs = driftIntervalMs;
        this.registry = registry;
        this.metrics = metrics;
        this.noDirections = noDirections;
        this.listener = listener;
        this.clock = clock;
        this.limits = limits;
        this.decoder = new HiddenStateDecoder(limits.decode());
    }

    @Override
    public void init(ProcessorContext<String, byte[]> context) {
        this.context = context;
        if (drift != null) {
            drift.init(context.getStateStore(Topics.DRIFT_PARTIALS_STORE));
            context.schedule(Duration.ofMillis(driftIntervalMs), PunctuationType.WALL_CLOCK_TIME,
                    now -> drift.handOnAll(p -> handOn(p, now)));
        }
    }

    private void handOn(DriftPartial p, long timestamp) {
        context.forward(new Record<>(DriftStateCodec.key(p.key()), DriftStateCodec.partial(p), timestamp),
                ScoringTopology.DRIFT_PARTIALS_SINK);
    }

    @Override
    public void process(Record<String, byte[]> record) {
        long t0 = System.nanoTime();
        aheadNanos = 0;
        Outcome outcome;
        try {
            outcome = handle(record);
        } catch (RuntimeException e) {
            // A bug or an unforeseen input: this record goes to the DLQ, the stream goes on. Messages name layers and
            // sizes, never values.
            LOG.warn("unexpected error on a record (dead-lettered as scoring_failed): {}", e.toString());
            outcome = new Outcome(null, DeadLetterReason.DEAD_LETTER_REASON_SCORING_FAILED,
                    e.getClass().getSimpleName() + ": " + e.getMessage());
        }
        if (outcome == null) return;
        if (outcome.reason() != null) {
            deadLetter(record, outcome.model(), outcome.reason(), outcome.detail());
            return;
        }
        metrics.recordScored(outcome.model(), System.nanoTime() - t0 + aheadNanos);
    }

    /** What happened to a record: scored (reason null), or to be dead-lettered; null when it was parked. */
    private record Outcome(String model, DeadLetterReason reason, String detail) {
    }

    private Outcome handle(Record<String, byte[]> record) {
        PollScoring.Ahead ahead = ahead();
        if (ahead != null) {
            aheadNanos = ahead.nanos();
            if (ahead.rejected() != null) return new Outcome(null, ahead.rejected().reason(), ahead.rejected().detail());
            return emit(record, ahead.state(), ahead.scores());
        }
        HiddenStateDecoder.Result result = decoder.decode(record.value());
        if (result instanceof HiddenStateDecoder.Rejected rejected) {
            return new Outcome(null, rejected.reason(), rejected.detail());
        }
        DecodedHiddenState state = ((HiddenStateDecoder.Decoded) result).state();
        LoadedDirections directions = registry.get(state.modelId());
        if (directions == null) {
            String detail = "no direction set for model '" + state.modelId() + "'";
            if (noDirections == NoDirectionsPolicy.RETRY_TOPIC && fitsToPark(record)) {
                RecordHeaders headers = new RecordHeaders(record.headers().toArray());
                headers.add(PARKED_REASON_HEADER, detail.getBytes(StandardCharsets.UTF_8));
                context.forward(record.withHeaders(headers), ScoringTopology.RETRY_SINK);
                metrics.recordParked(state.modelId());
                return null;
            }
            return new Outcome(state.modelId(), DeadLetterReason.DEAD_LETTER_REASON_NO_DIRECTIONS, detail);
        }
        DirectionSetScorer scorer = directions.scorer();
        try {
            scorer.score(state.layerIndices(), state.layerValues(), DirectionSetScorer.MahalanobisMode.AUTO,
                    scratch(state.modelId(), scorer), scores);
        } catch (ScoringInputException e) {
            DeadLetterReason reason = e.kind() == ScoringInputException.Kind.MISSING_LAYER
                    ? DeadLetterReason.DEAD_LETTER_REASON_MISSING_LAYER
                    : DeadLetterReason.DEAD_LETTER_REASON_DIMENSION_MISMATCH;
            return new Outcome(state.modelId(), reason, e.getMessage());
        } catch (ArithmeticException e) {
            // Finite input whose scores overflow: the input's fault, not the direction set's.
            return new Outcome(state.modelId(), DeadLetterReason.DEAD_LETTER_REASON_OUT_OF_RANGE, e.getMessage());
        } catch (RuntimeException e) {
            // Our scorers' messages name layers and sizes, never values.
            return new Outcome(state.modelId(), DeadLetterReason.DEAD_LETTER_REASON_SCORING_FAILED,
                    e.getClass().getSimpleName() + ": " + e.getMessage());
        }
        return emit(record, state, scores);
    }

    /** This record's rejection or scores from its poll ({@link PollScoring}), or null to decode and score it here. */
    private PollScoring.Ahead ahead() {
        if (batches == null) return null;
        Optional<RecordMetadata> m = context.recordMetadata();
        return m.isEmpty() ? null : batches.take(m.get().topic(), m.get().partition(), m.get().offset());
    }

    /** The scored record's checks, metrics, observers and score record. */
    private Outcome emit(Record<String, byte[]> record, DecodedHiddenState state, Scores scores) {
        String bad = nonFiniteScore(scores);
        if (bad != null) {
            return new Outcome(state.modelId(), DeadLetterReason.DEAD_LETTER_REASON_OUT_OF_RANGE,
                    bad + " is not finite for this input (values too large for the direction set)");
        }
        long now = clock.millis();
        SafetyScore score = SafetyScores.of(state, scores, now);
        byte[] bytes = score.toByteArray();
        String model = state.modelId();
        if (scores.flagged) metrics.recordFlagged(model);
        metrics.recordScore(model, ScoreKind.PROBE_PROBABILITY, scores.probeProbability);
        metrics.recordScore(model, ScoreKind.MAHALANOBIS_REFUSAL, scores.mahalanobisRefusal);
        metrics.recordScore(model, ScoreKind.MAHALANOBIS_OOD, scores.mahalanobisOod);
        metrics.recordScore(model, ScoreKind.CAST_SIMILARITY, scores.castSimilarity);
        try {
            listener.scored(score);
        } catch (RuntimeException e) {
            // An observer's failure must not turn a scored record into a dead letter (or stop the thread).
            LOG.warn("score listener failed: {}", e.toString());
        }
        if (drift != null) {
            try {
                drift.count(score, p -> handOn(p, record.timestamp()));
            } catch (StreamsException e) {
                throw e; // the task's own trouble (fenced, closed store): Streams handles it
            } catch (RuntimeException e) {
                // Drift is about the traffic, not this request: never turn a scored record into a dead letter.
                LOG.warn("drift counting failed on a scored record: {}", e.toString());
            }
        }
        // Last: once the score is forwarded, nothing else can fail for this record.
        context.forward(new Record<>(state.requestId(), bytes, record.timestamp()), ScoringTopology.SCORES_SINK);
        return new Outcome(model, null, null);
    }

    /** The name of the first score that must be finite and is not, or null. */
    private static String nonFiniteScore(Scores s) {
        if (!Double.isFinite(s.dim) || !Double.isFinite(s.dimStandardized)) return "dim";
        if (!Double.isFinite(s.fisher)) return "fisher";
        if (Double.isNaN(s.probeProbability)) return "probe_probability";
        if (!Double.isFinite(s.mahalanobisRefusal)) return "mahalanobis_refusal";
        if (!Double.isFinite(s.mahalanobisOod)) return "mahalanobis_ood";
        if (Double.isNaN(s.castSimilarity)) return "cast_similarity";
        return null;
    }

    /** Whether the record, with its headers and the parking header, stays within what a dead letter may carry. */
    private boolean fitsToPark(Record<String, byte[]> record) {
        long size = (record.value() == null ? 0 : record.value().length) + 256L;
        if (record.key() != null) size += record.key().length() * 3L;
        for (Header h : record.headers()) size += h.key().length() * 3L + (h.value() == null ? 0 : h.value().length);
        return size <= limits.dlqMaxOriginalBytes();
    }

    private DirectionSetScorer.Scratch scratch(String model, DirectionSetScorer scorer) {
        ScratchEntry e = scratchByModel.get(model);
        if (e == null || e.scorer != scorer) {
            e = new ScratchEntry(scorer, scorer.newScratch());
            scratchByModel.put(model, e);
        }
        return e.scratch;
    }

    private void deadLetter(Record<String, byte[]> record, String model, DeadLetterReason reason, String detail) {
        String topic = "";
        int partition = -1;
        long offset = -1;
        if (context.recordMetadata().isPresent()) {
            RecordMetadata m = context.recordMetadata().get();
            topic = m.topic();
            partition = m.partition();
            offset = m.offset();
        }
        byte[] key = record.key() == null ? null : record.key().getBytes(StandardCharsets.UTF_8);
        byte[] dlq = DeadLetters.deadLetter(reason, detail, topic, partition, offset, key, record.value(), clock.millis(),
                limits.dlqMaxOriginalBytes()).toByteArray();
        context.forward(new Record<>(outputKey(record.key(), key), dlq, record.timestamp()), ScoringTopology.DLQ_SINK);
        metrics.recordDlq(reason);
        try {
            listener.deadLettered(model, reason);
        } catch (RuntimeException e) {
            LOG.warn("dead-letter listener failed: {}", e.toString());
        }
    }

    /** The key of a dead letter: the original key, or {@code sha256:<hex>} of it when it is too long to copy. */
    static String outputKey(String key, byte[] utf8) {
        if (key == null || utf8.length <= MAX_OUTPUT_KEY_BYTES) return key;
        return "sha256:" + DeadLetters.sha256Hex(utf8);
    }

    private record ScratchEntry(DirectionSetScorer scorer, DirectionSetScorer.Scratch scratch) {
    }
}
