package dev.refusalmonitor.monitor.stream;

import dev.refusalmonitor.math.score.DirectionSetScorer;
import dev.refusalmonitor.math.score.Scores;
import dev.refusalmonitor.math.score.ScoringInputException;
import dev.refusalmonitor.monitor.config.NoDirectionsPolicy;
import dev.refusalmonitor.monitor.metrics.ScoreKind;
import dev.refusalmonitor.monitor.metrics.ScoringMetrics;
import dev.refusalmonitor.schemas.DeadLetters;
import dev.refusalmonitor.schemas.DecodedHiddenState;
import dev.refusalmonitor.schemas.HiddenStateDecoder;
import dev.refusalmonitor.schemas.v1.DeadLetterReason;
import dev.refusalmonitor.schemas.v1.SafetyScore;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.HashMap;
import java.util.Map;

/**
 * Decode → validate → score with the model's current direction set → score record; anything that cannot be scored
 * goes to the dead-letter topic with the original bytes, a reason and the source offset. One instance per task
 * (single-threaded), so the per-model scratch space is reused without locking.
 */
public final class ScoringProcessor implements Processor<String, byte[], String, byte[]> {
    /** Header on parked records (no-directions policy retry-topic): why the record is parked. */
    public static final String PARKED_REASON_HEADER = "refusal-monitor-parked-reason";

    private final HiddenStateDecoder decoder = new HiddenStateDecoder();
    private final DirectionRegistry registry;
    private final ScoringMetrics metrics;
    private final NoDirectionsPolicy noDirections;
    private final ScoreListener listener;
    private final Clock clock;
    private final Scores scores = new Scores();
    private final Map<String, ScratchEntry> scratchByModel = new HashMap<>();
    private ProcessorContext<String, byte[]> context;

    ScoringProcessor(DirectionRegistry registry, ScoringMetrics metrics, NoDirectionsPolicy noDirections,
                     ScoreListener listener, Clock clock) {
        this.registry = registry;
        this.metrics = metrics;
        this.noDirections = noDirections;
        this.listener = listener;
        this.clock = clock;
    }

    @Override
    public void init(ProcessorContext<String, byte[]> context) {
        this.context = context;
    }

    @Override
    public void process(Record<String, byte[]> record) {
        long t0 = System.nanoTime();
        HiddenStateDecoder.Result result = decoder.decode(record.value());
        if (result instanceof HiddenStateDecoder.Rejected rejected) {
            deadLetter(record, null, rejected.reason(), rejected.detail());
            return;
        }
        DecodedHiddenState state = ((HiddenStateDecoder.Decoded) result).state();
        LoadedDirections directions = registry.get(state.modelId());
        if (directions == null) {
            String detail = "no direction set for model '" + state.modelId() + "'";
            if (noDirections == NoDirectionsPolicy.RETRY_TOPIC) {
                RecordHeaders headers = new RecordHeaders(record.headers().toArray());
                headers.add(PARKED_REASON_HEADER, detail.getBytes(StandardCharsets.UTF_8));
                context.forward(record.withHeaders(headers), ScoringTopology.RETRY_SINK);
                metrics.recordDlq(state.modelId(), DeadLetterReason.DEAD_LETTER_REASON_NO_DIRECTIONS);
            } else {
                deadLetter(record, state.modelId(), DeadLetterReason.DEAD_LETTER_REASON_NO_DIRECTIONS, detail);
            }
            return;
        }
        DirectionSetScorer scorer = directions.scorer();
        try {
            scorer.score(state.layerIndices(), state.layerValues(), DirectionSetScorer.MahalanobisMode.AUTO,
                    scratch(state.modelId(), scorer), scores);
        } catch (ScoringInputException e) {
            DeadLetterReason reason = e.kind() == ScoringInputException.Kind.MISSING_LAYER
                    ? DeadLetterReason.DEAD_LETTER_REASON_MISSING_LAYER
                    : DeadLetterReason.DEAD_LETTER_REASON_DIMENSION_MISMATCH;
            deadLetter(record, state.modelId(), reason, e.getMessage());
            return;
        } catch (RuntimeException e) {
            // Our scorers' messages name layers and sizes, never values.
            deadLetter(record, state.modelId(), DeadLetterReason.DEAD_LETTER_REASON_SCORING_FAILED,
                    e.getClass().getSimpleName() + ": " + e.getMessage());
            return;
        }
        long now = clock.millis();
        SafetyScore score = SafetyScores.of(state, scores, now);
        context.forward(new Record<>(state.requestId(), score.toByteArray(), record.timestamp()), ScoringTopology.SCORES_SINK);
        String model = state.modelId();
        metrics.recordScored(model, System.nanoTime() - t0);
        if (scores.flagged) metrics.recordFlagged(model);
        metrics.recordScore(model, ScoreKind.PROBE_PROBABILITY, scores.probeProbability);
        metrics.recordScore(model, ScoreKind.MAHALANOBIS_REFUSAL, scores.mahalanobisRefusal);
        metrics.recordScore(model, ScoreKind.MAHALANOBIS_OOD, scores.mahalanobisOod);
        metrics.recordScore(model, ScoreKind.CAST_SIMILARITY, scores.castSimilarity);
        listener.scored(state, score);
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
        byte[] dlq = DeadLetters.deadLetter(reason, detail, topic, partition, offset, key, record.value(), clock.millis())
                .toByteArray();
        context.forward(new Record<>(record.key(), dlq, record.timestamp()), ScoringTopology.DLQ_SINK);
        metrics.recordDlq(model, reason);
        listener.deadLettered(model, reason);
    }

    private record ScratchEntry(DirectionSetScorer scorer, DirectionSetScorer.Scratch scratch) {
    }
}
