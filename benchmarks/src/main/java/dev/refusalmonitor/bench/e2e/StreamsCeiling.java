package dev.refusalmonitor.bench.e2e;

import dev.refusalmonitor.contract.directions.DirectionSetModel;
import dev.refusalmonitor.math.score.DirectionSetScorer;
import dev.refusalmonitor.math.score.Scores;
import dev.refusalmonitor.monitor.config.MonitorConfig;
import dev.refusalmonitor.schemas.DecodedHiddenState;
import dev.refusalmonitor.schemas.HiddenStateDecoder;
import dev.refusalmonitor.schemas.v1.SafetyScore;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;

import java.time.Duration;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The ceiling of any Kafka Streams scorer on this machine: the monitor's Streams settings and data flow (read a
 * hidden state, decode and validate it, write one score-sized record) with the scoring left out. Benchmark-only code;
 * the product has no switch that skips scoring.
 *
 * <p>With a direction set it also runs the scoring arithmetic the monitor runs (DirectionSetScorer.scoreBatch over
 * batches of {@value #BATCH}, as the monitor scores each poll) and nothing else of the monitor (no metrics, drift,
 * dead letters or score record built from the scores): the most any monitor computing these scores can reach here.
 */
final class StreamsCeiling {
    /** The monitor's default: records of one set scored together from each poll. */
    static final int BATCH = MonitorConfig.DEFAULT_SCORING_BATCH_SIZE;
    /** What the record carries when nothing was scored. */
    private static final Scores PLACEHOLDER = new Scores();

    static {
        PLACEHOLDER.probeProbability = 0.5;
        PLACEHOLDER.mahalanobisRefusal = 1;
        PLACEHOLDER.mahalanobisOod = 2;
        PLACEHOLDER.castSimilarity = 0.1;
    }
    /** A partial batch waits at most this long (wall clock) before it is scored and forwarded. */
    private static final Duration FLUSH = Duration.ofMillis(5);

    private StreamsCeiling() {
    }

    /** Drains n records from {@code input} into {@code output}; the span from the first to the last record forwarded. */
    static Span drain(Properties streamsProps, String input, String output, int n) throws InterruptedException {
        return drain(streamsProps, input, output, n, null);
    }

    /** As {@link #drain(Properties, String, String, int)}, scoring each record with {@code scoring} when not null. */
    static Span drain(Properties streamsProps, String input, String output, int n, DirectionSetModel scoring)
            throws InterruptedException {
        AtomicLong count = new AtomicLong(), first = new AtomicLong(), last = new AtomicLong();
        Topology t = new Topology();
        t.addSource("hidden-states", Serdes.String().deserializer(), Serdes.ByteArray().deserializer(), input);
        t.addProcessor("decode", () -> new Processor<String, byte[], String, byte[]>() {
            private final HiddenStateDecoder decoder = new HiddenStateDecoder();
            private final DirectionSetScorer scorer = scoring == null ? null : new DirectionSetScorer(scoring);
            private final DirectionSetScorer.Scratch scratch = scorer == null ? null : scorer.newBatchScratch(BATCH);
            private final DecodedHiddenState[] states = new DecodedHiddenState[BATCH];
            private final long[] timestamps = new long[BATCH];
            private final int[][] indices = new int[BATCH][];
            private final float[][][] values = new float[BATCH][][];
            private final Scores[] scores = scorer == null ? null : new Scores[BATCH];
            private int pending;
            private ProcessorContext<String, byte[]> context;

            @Override
            public void init(ProcessorContext<String, byte[]> context) {
                this.context = context;
                if (scorer == null) return;
                for (int i = 0; i < BATCH; i++) scores[i] = new Scores();
                context.schedule(FLUSH, PunctuationType.WALL_CLOCK_TIME, now -> flush());
            }

            @Override
            public void process(Record<String, byte[]> record) {
                if (!(decoder.decode(record.value()) instanceof HiddenStateDecoder.Decoded decoded))
                    throw new IllegalStateException("benchmark record did not decode");
                if (scorer == null) {
                    forward(decoded.state(), record.timestamp(), PLACEHOLDER);
                    return;
                }
                states[pending] = decoded.state();
                timestamps[pending] = record.timestamp();
                indices[pending] = decoded.state().layerIndices();
                values[pending] = decoded.state().layerValues();
                if (++pending == BATCH) flush();
            }

            private void flush() {
                if (pending == 0) return;
                scorer.scoreBatch(pending, indices, values, DirectionSetScorer.MahalanobisMode.AUTO, scratch, scores);
                for (int i = 0; i < pending; i++) {
                    forward(states[i], timestamps[i], scores[i]);
                    states[i] = null;
                    values[i] = null;
                }
                pending = 0;
            }

            private void forward(DecodedHiddenState state, long timestamp, Scores s) {
                // A record of a score's size and shape.
                byte[] out = SafetyScore.newBuilder().setRequestId(state.requestId())
                        .setModelId(state.modelId()).setDirectionsVersion(1).setProbeProbability(s.probeProbability)
                        .setMahalanobisRefusal(s.mahalanobisRefusal).setMahalanobisOod(s.mahalanobisOod)
                        .setCastSimilarity(s.castSimilarity).setAngleDeg(10)
                        .build().toByteArray();
                context.forward(new Record<>(state.requestId(), out, timestamp));
                long now = System.nanoTime();
                if (count.getAndIncrement() == 0) first.set(now);
                last.set(now);
            }
        }, "hidden-states");
        t.addSink("scores", output, Serdes.String().serializer(), Serdes.ByteArray().serializer(), "decode");
        try (KafkaStreams streams = new KafkaStreams(t, streamsProps)) {
            streams.start();
            long deadline = System.nanoTime() + Duration.ofMinutes(10).toNanos();
            while (count.get() < n) {
                if (System.nanoTime() > deadline || streams.state() == KafkaStreams.State.ERROR)
                    throw new IllegalStateException("streams ceiling: " + count.get() + " of " + n + ", state " + streams.state());
                Thread.sleep(20);
            }
        }
        return new Span(n, first.get(), last.get());
    }
}
