package dev.refusalmonitor.monitor.stream;

import dev.refusalmonitor.contract.directions.DirectionSetModel;
import dev.refusalmonitor.math.score.Scores;
import dev.refusalmonitor.monitor.metrics.DirectionSetMetrics;
import dev.refusalmonitor.monitor.testing.ScoringFixtures;
import dev.refusalmonitor.monitor.testing.TestKeys;
import dev.refusalmonitor.schemas.HiddenStateDecoder;
import dev.refusalmonitor.schemas.signing.TrustedKeys;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;

import static dev.refusalmonitor.monitor.testing.ScoreAssertions.bits;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * Scoring each poll ahead in batches: a record's result is what scoring it alone gives, bit for bit; a record the
 * decoder rejects keeps its rejection; whatever cannot be scored in its batch is left for the processor to score (and
 * dead-letter) alone; a replaced direction set or an
 * evicted result means scoring again, never a stale or missing score.
 */
class PollScoringTest {
    private static final String TOPIC = "hidden-states";
    private static final String MODEL = "poll-model";
    private final DirectionSetModel set = ScoringFixtures.directions(MODEL, 1, 21);
    private DirectionRegistry registry;
    private PollScoring scoring;

    @BeforeEach
    void start() {
        DirectionSetMetrics metrics = new DirectionSetMetrics();
        metrics.bindTo(new SimpleMeterRegistry());
        registry = new DirectionRegistry(metrics, Clock.systemUTC(),
                DirectionTrust.signedBy(TrustedKeys.of(List.of(TestKeys.publicKey()))));
        assertEquals(DirectionRegistry.Outcome.ACCEPTED, registry.offer(MODEL, ScoringFixtures.seal(set)));
        scoring = new PollScoring(TOPIC, registry, RecordLimits.DEFAULTS.decode(), 4);
    }

    private static ConsumerRecords<byte[], byte[]> poll(Map<TopicPartition, List<ConsumerRecord<byte[], byte[]>>> records) {
        return new ConsumerRecords<>(records, Map.of());
    }

    private static ConsumerRecord<byte[], byte[]> record(String topic, int partition, long offset, byte[] value) {
        return new ConsumerRecord<>(topic, partition, offset, null, value);
    }

    @Test
    void eachScoredRecordGetsTheBitsItGetsAloneAndOnlyOnce() {
        float[][][] rows = ScoringFixtures.requests(10, 5);
        Map<TopicPartition, List<ConsumerRecord<byte[], byte[]>>> records = new LinkedHashMap<>();
        List<ConsumerRecord<byte[], byte[]>> p0 = new ArrayList<>();
        for (int i = 0; i < 9; i++) p0.add(record(TOPIC, 0, 100 + i, ScoringFixtures.hiddenState("r" + i, MODEL, rows[i])));
        records.put(new TopicPartition(TOPIC, 0), p0);
        records.put(new TopicPartition(TOPIC, 1), List.of(
                record(TOPIC, 1, 0, new byte[]{1, 2, 3}),                                          // does not decode
                record(TOPIC, 1, 1, ScoringFixtures.hiddenState("u", "unknown-model", rows[9])), // no direction set
                record(TOPIC, 1, 2, ScoringFixtures.hiddenState("r9", MODEL, rows[9]))));
        records.put(new TopicPartition("other", 0), List.of(record("other", 0, 100, ScoringFixtures.hiddenState("o", MODEL, rows[0]))));
        scoring.scorePoll(poll(records));

        assertEquals(10, scoring.batchedRecords(), "nine on partition 0 and one on partition 1, in batches of 4, 4 and 2");
        for (int i = 0; i < 10; i++) {
            PollScoring.Ahead p = i < 9 ? scoring.take(TOPIC, 0, 100 + i) : scoring.take(TOPIC, 1, 2);
            assertNotNull(p, "record " + i);
            assertEquals("r" + i, p.state().requestId());
            assertEquals(0, p.state().layerCount(), "the vectors are released once scored");
            assertSame(registry.get(MODEL), p.directions());
            Scores alone = ScoringFixtures.scoreOffline(set, rows[i]);
            bits(alone.probeProbability, p.scores().probeProbability, "probe " + i);
            bits(alone.dim, p.scores().dim, "dim " + i);
            bits(alone.mahalanobisRefusal, p.scores().mahalanobisRefusal, "mahalanobis_refusal " + i);
            bits(alone.mahalanobisOod, p.scores().mahalanobisOod, "mahalanobis_ood " + i);
            bits(alone.castSimilarity, p.scores().castSimilarity, "cast " + i);
            bits(alone.angleDeg, p.scores().angleDeg, "angle " + i);
            bits(alone.mahalanobisEnsemble, p.scores().mahalanobisEnsemble, "ensemble " + i);
        }
        assertNull(scoring.take(TOPIC, 0, 100), "taken once");
        PollScoring.Ahead rejected = scoring.take(TOPIC, 1, 0);
        assertNotNull(rejected, "a rejection is kept, so the processor does not decode the record again");
        assertEquals(new HiddenStateDecoder(RecordLimits.DEFAULTS.decode()).decode(new byte[]{1, 2, 3}), rejected.rejected(),
                "the decoder's own reason and detail");
        assertNull(rejected.scores());
        assertNull(scoring.take(TOPIC, 1, 1), "a record without a direction set is the processor's to park or dead-letter");
        assertNull(scoring.take("other", 0, 100), "other topics are not scored");
    }

    @Test
    void aBatchWithAnUnscorableRecordLeavesEachOfItsRecordsToTheProcessor() {
        float[][][] rows = ScoringFixtures.requests(4, 6);
        List<ConsumerRecord<byte[], byte[]>> p0 = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            byte[] value = i == 2
                    ? dev.refusalmonitor.schemas.HiddenStateBuilder.create("r2", MODEL).layer(3, rows[2][0]).toByteArray() // lacks layer 5
                    : ScoringFixtures.hiddenState("r" + i, MODEL, rows[i]);
            p0.add(record(TOPIC, 0, i, value));
        }
        scoring.scorePoll(poll(Map.of(new TopicPartition(TOPIC, 0), p0)));
        assertEquals(0, scoring.batchedRecords());
        for (int i = 0; i < 4; i++) assertNull(scoring.take(TOPIC, 0, i), "record " + i);
    }

    @Test
    void aDirectionSetReplacedAfterThePollMeansScoringAgain() {
        float[][][] rows = ScoringFixtures.requests(2, 7);
        scoring.scorePoll(poll(Map.of(new TopicPartition(TOPIC, 0), List.of(
                record(TOPIC, 0, 0, ScoringFixtures.hiddenState("a", MODEL, rows[0])),
                record(TOPIC, 0, 1, ScoringFixtures.hiddenState("b", MODEL, rows[1]))))));
        assertNotNull(scoring.take(TOPIC, 0, 0));
        assertEquals(DirectionRegistry.Outcome.ACCEPTED,
                registry.offer(MODEL, ScoringFixtures.seal(ScoringFixtures.directions(MODEL, 2, 21))));
        assertNull(scoring.take(TOPIC, 0, 1), "scored with version 1, which is no longer in force");
    }

    @Test
    void resultsStayWithTheStreamThreadThatPolledAndTheOldestGoFirst() throws Exception {
        float[][] row = ScoringFixtures.requests(1, 8)[0];
        byte[] value = ScoringFixtures.hiddenState("x", MODEL, row);
        int n = PollScoring.MAX_PENDING + 6;
        List<ConsumerRecord<byte[], byte[]>> p0 = new ArrayList<>(n);
        for (int i = 0; i < n; i++) p0.add(record(TOPIC, 0, i, value));
        scoring.scorePoll(poll(Map.of(new TopicPartition(TOPIC, 0), p0)));

        AtomicReference<PollScoring.Ahead> elsewhere = new AtomicReference<>();
        Thread other = new Thread(() -> elsewhere.set(scoring.take(TOPIC, 0, n - 1)));
        other.start();
        other.join();
        assertNull(elsewhere.get(), "another thread has its own table");
        for (int i = 0; i < 6; i++) assertNull(scoring.take(TOPIC, 0, i), "evicted " + i);
        assertNotNull(scoring.take(TOPIC, 0, 6));
        assertNotNull(scoring.take(TOPIC, 0, n - 1));
    }

    @Test
    void theInterceptorPassesThePollOnUnchangedAndNeedsTheMonitorsScoring() {
        PollScoringInterceptor interceptor = new PollScoringInterceptor();
        assertThrows(ConfigException.class, () -> interceptor.configure(Map.of()));
        Map<String, Object> configs = new HashMap<>();
        configs.put(PollScoring.CONFIG, scoring);
        interceptor.configure(configs);
        float[][] row = ScoringFixtures.requests(1, 9)[0];
        ConsumerRecords<byte[], byte[]> records = poll(Map.of(new TopicPartition(TOPIC, 3),
                List.of(record(TOPIC, 3, 42, ScoringFixtures.hiddenState("i", MODEL, row)))));
        assertSame(records, interceptor.onConsume(records));
        assertNotNull(scoring.take(TOPIC, 3, 42));
    }
}
