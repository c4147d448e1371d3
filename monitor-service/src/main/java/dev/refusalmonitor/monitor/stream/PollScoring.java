package dev.refusalmonitor.monitor.stream;

import dev.refusalmonitor.math.score.DirectionSetScorer;
import dev.refusalmonitor.math.score.Scores;
import dev.refusalmonitor.schemas.DecodedHiddenState;
import dev.refusalmonitor.schemas.HiddenStateDecoder;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/**
 * Scores each poll's hidden states in batches, before the stream thread hands them to {@link ScoringProcessor} one
 * by one. At d = 4096 a record reads about 0.5 MiB of direction parameters (probes, eigenvectors, CAST, plane) and
 * that reading, not the arithmetic, is most of its cost; {@link DirectionSetScorer#scoreBatch} reads them once per
 * batch. Each record's scores have the bits it would get alone, so the stream and the offline {@code score} command
 * still agree.
 *
 * <p>Runs inside the main consumer's {@code poll} ({@link PollScoringInterceptor}), on the stream thread that will
 * process the records, so the results wait in that thread's own table, keyed by partition and offset of the input
 * topic (a record at an offset never changes). The processor takes a record's result when it reaches it (a decoder
 * rejection is kept too, so a bad record is not decoded twice); whatever is not there (a record without a direction
 * set, or in a batch one of whose records failed; a result evicted from a full table; a direction set replaced since
 * the poll) it decodes and scores itself, as it always did. So this class
 * changes how fast a record is scored, never what it gets: it writes nothing, commits nothing, and a record whose
 * result is lost is simply scored again.
 */
public final class PollScoring {
    private static final Logger LOG = LoggerFactory.getLogger(PollScoring.class);
    /** Config key (with the main consumer's prefix) under which MonitorApp hands this object to the interceptor. */
    public static final String CONFIG = "refusal.monitor.internal.poll.scoring";
    /**
     * Results a stream thread keeps for records it has not processed yet; the oldest go first. Streams buffers up to
     * 1000 records per partition, so this covers several partitions' backlog; an evicted result is scored again.
     */
    static final int MAX_PENDING = 16_384;
    /** Direction sets (models) batched at once within a poll; a record of another model flushes the oldest batch. */
    private static final int MAX_OPEN_BATCHES = 4;

    private final String topic;
    private final DirectionRegistry registry;
    private final HiddenStateDecoder.Limits limits;
    private final int batchSize;
    private final ThreadLocal<ThreadState> perThread;
    private final LongAdder batched = new LongAdder();

    /**
     * @param topic the hidden-states topic (records of other topics the consumer reads are left alone)
     * @param batchSize records per batch, ≥ 2
     */
    public PollScoring(String topic, DirectionRegistry registry, HiddenStateDecoder.Limits limits, int batchSize) {
        if (batchSize < 2) throw new IllegalArgumentException("batch size must be ≥ 2, got " + batchSize);
        this.topic = topic;
        this.registry = registry;
        this.limits = limits;
        this.batchSize = batchSize;
        this.perThread = ThreadLocal.withInitial(ThreadState::new);
    }

    /** Records scored in a batch so far (all threads). */
    public long batchedRecords() {
        return batched.sum();
    }

    /**
     * What was done ahead for one record: the decoder's rejection (only {@code rejected} set; the processor
     * dead-letters it without decoding it again, which for a large bad record is most of its cost), or its identity
     * and scores with the directions that scored them (its vectors already released). nanos: its decode and its share
     * of the batch.
     */
    record Ahead(HiddenStateDecoder.Rejected rejected, DecodedHiddenState state, LoadedDirections directions,
                 Scores scores, long nanos, Position key) {
    }

    private record Position(int partition, long offset) {
    }

    /** Scores this poll's records of the topic, batch by batch. Called by the interceptor on the stream thread. */
    void scorePoll(ConsumerRecords<byte[], byte[]> records) {
        ThreadState s = perThread.get();
        for (ConsumerRecord<byte[], byte[]> r : records) {
            if (r.value() == null || !topic.equals(r.topic())) continue;
            long t0 = System.nanoTime();
            HiddenStateDecoder.Result result;
            try {
                result = s.decoder.decode(r.value());
            } catch (RuntimeException e) {
                continue; // unforeseen input: the processor meets it again and dead-letters it (scoring_failed)
            }
            Position at = new Position(r.partition(), r.offset());
            if (result instanceof HiddenStateDecoder.Rejected rejected) {
                s.put(new Ahead(rejected, null, null, null, System.nanoTime() - t0, at));
                continue;
            }
            HiddenStateDecoder.Decoded decoded = (HiddenStateDecoder.Decoded) result;
            LoadedDirections directions = registry.get(decoded.state().modelId());
            if (directions == null) continue;
            s.add(at, decoded.state(), directions, System.nanoTime() - t0);
        }
        s.flushAll();
    }

    /**
     * What was done ahead for the input record at (partition, offset) of the topic, removed from this thread's table;
     * null when nothing was, or it was scored with a direction set no longer in force for its model.
     */
    Ahead take(String recordTopic, int partition, long offset) {
        if (!topic.equals(recordTopic)) return null;
        ThreadState s = perThread.get();
        Ahead a = s.pending.remove(new Position(partition, offset));
        if (a == null || a.rejected() != null) return a;
        return registry.get(a.state().modelId()) == a.directions() ? a : null;
    }

    /** One stream thread's decoder, open batches, scratch space and pending results. Confined to that thread. */
    private final class ThreadState {
        final HiddenStateDecoder decoder = new HiddenStateDecoder(limits);
        final Map<Position, Ahead> pending = new HashMap<>();
        final ArrayDeque<Position> order = new ArrayDeque<>();
        final List<Batch> open = new ArrayList<>();
        final Map<DirectionSetScorer, DirectionSetScorer.Scratch> scratch = new IdentityHashMap<>();

        void add(Position at, DecodedHiddenState state, LoadedDirections directions, long decodeNanos) {
            Batch batch = null;
            for (Batch b : open) if (b.directions == directions) batch = b;
            if (batch == null) {
                if (open.size() == MAX_OPEN_BATCHES) flush(open.remove(0));
                batch = new Batch(directions, batchSize);
                open.add(batch);
            }
            batch.add(at, state, decodeNanos);
            if (batch.n == batchSize) {
                open.remove(batch);
                flush(batch);
            }
        }

        void flushAll() {
            for (Batch b : open) flush(b);
            open.clear();
        }

        private void flush(Batch b) {
            DirectionSetScorer scorer = b.directions.scorer();
            long t0 = System.nanoTime();
            try {
                scorer.scoreBatch(b.n, b.layerIndices, b.layerValues, DirectionSetScorer.MahalanobisMode.AUTO,
                        scratchFor(scorer), b.scores);
            } catch (RuntimeException e) {
                // One of them cannot be scored: the processor scores each of these alone and gives it its own outcome.
                LOG.debug("a batch of {} records was not scored together ({}); they are scored one by one", b.n, e.toString());
                return;
            }
            long share = (System.nanoTime() - t0) / b.n;
            for (int i = 0; i < b.n; i++) {
                put(new Ahead(null, identity(b.states[i]), b.directions, b.scores[i], b.decodeNanos[i] + share, b.positions[i]));
            }
            batched.add(b.n);
        }

        private DirectionSetScorer.Scratch scratchFor(DirectionSetScorer scorer) {
            DirectionSetScorer.Scratch s = scratch.get(scorer);
            if (s == null) {
                if (scratch.size() >= 16) scratch.clear(); // scorers of replaced direction sets
                s = scorer.newBatchScratch(batchSize);
                scratch.put(scorer, s);
            }
            return s;
        }

        void put(Ahead p) {
            pending.put(p.key(), p);
            order.addLast(p.key());
            while (order.size() > MAX_PENDING) {
                Position oldest = order.pollFirst();
                // A position polled again (the consumer went back) is queued twice: only its newest entry removes it.
                Ahead e = pending.get(oldest);
                if (e != null && e.key() == oldest) pending.remove(oldest);
            }
        }
    }

    /** The record's identity for its score record: everything but the vectors and labels. */
    private static DecodedHiddenState identity(DecodedHiddenState s) {
        return new DecodedHiddenState(s.requestId(), s.modelId(), s.modelRevision(), s.tenant(), s.route(),
                s.eventTimeUnixMs(), s.tokenPosition(), s.promptTokens(), new int[0], new float[0][], null);
    }

    /** Up to batchSize records of one direction set, in poll order. */
    private static final class Batch {
        final LoadedDirections directions;
        final Position[] positions;
        final DecodedHiddenState[] states;
        final int[][] layerIndices;
        final float[][][] layerValues;
        final Scores[] scores;
        final long[] decodeNanos;
        int n;

        Batch(LoadedDirections directions, int capacity) {
            this.directions = directions;
            positions = new Position[capacity];
            states = new DecodedHiddenState[capacity];
            layerIndices = new int[capacity][];
            layerValues = new float[capacity][][];
            scores = new Scores[capacity];
            decodeNanos = new long[capacity];
        }

        void add(Position at, DecodedHiddenState state, long nanos) {
            positions[n] = at;
            states[n] = state;
            layerIndices[n] = state.layerIndices();
            layerValues[n] = state.layerValues();
            scores[n] = new Scores();
            decodeNanos[n] = nanos;
            n++;
        }
    }
}
