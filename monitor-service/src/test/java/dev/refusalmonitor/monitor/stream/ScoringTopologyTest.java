package dev.refusalmonitor.monitor.stream;

import java.util.List;

import dev.refusalmonitor.schemas.signing.TrustedKeys;

import dev.refusalmonitor.monitor.testing.TestKeys;

import com.google.protobuf.ByteString;
import dev.refusalmonitor.contract.TopicId;
import dev.refusalmonitor.monitor.config.MonitorConfig;
import dev.refusalmonitor.monitor.config.NoDirectionsPolicy;
import dev.refusalmonitor.monitor.kafka.Topics;
import dev.refusalmonitor.monitor.metrics.DirectionSetMetrics;
import dev.refusalmonitor.monitor.metrics.ScoringMetrics;
import dev.refusalmonitor.monitor.testing.ScoreAssertions;
import dev.refusalmonitor.monitor.testing.ScoringFixtures;
import dev.refusalmonitor.monitor.metrics.DirectionsRejectReason;
import dev.refusalmonitor.monitor.metrics.MetricNames;
import dev.refusalmonitor.schemas.DirectionSetCodec;
import dev.refusalmonitor.schemas.HiddenStateBuilder;
import dev.refusalmonitor.schemas.signing.DirectionSetSigner;
import dev.refusalmonitor.schemas.signing.SigningKeys;
import dev.refusalmonitor.schemas.v1.DirectionSet;
import dev.refusalmonitor.schemas.v1.DirectionSetEnvelope;
import dev.refusalmonitor.schemas.v1.DType;
import dev.refusalmonitor.schemas.v1.DeadLetter;
import dev.refusalmonitor.schemas.v1.DeadLetterReason;
import dev.refusalmonitor.schemas.v1.HiddenState;
import dev.refusalmonitor.schemas.v1.SafetyScore;
import dev.refusalmonitor.contract.directions.DirectionSetModel;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.Properties;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The topology as its data-flow picture says ({@link ScoringTopology}): a direction set on {@code directions} is in
 * force for the next record; a good hidden state becomes one score on {@code safety-scores} and nothing else; every
 * kind of bad input becomes one dead letter with its reason, the original bytes and the source coordinates, and
 * nothing else. Broker behaviour (exactly-once, rebalances) is in the {@code …IntegrationTest}s.
 */
class ScoringTopologyTest {
    private static final String MODEL = "spec-model";
    private static final Instant NOW = Instant.parse("2026-01-01T00:00:00Z");

    private TopologyTestDriver driver;
    private TestInputTopic<String, byte[]> directions;
    private TestInputTopic<String, byte[]> hiddenStates;
    private TestOutputTopic<String, byte[]> scores;
    private TestOutputTopic<String, byte[]> dlq;
    private TestOutputTopic<String, byte[]> retry;
    private final DirectionSetModel set = ScoringFixtures.directions(MODEL, 1, 7);
    private SimpleMeterRegistry meters;

    @BeforeEach
    void start() {
        startWith(NoDirectionsPolicy.DLQ);
    }

    private void startWith(NoDirectionsPolicy policy) {
        MonitorConfig config = MonitorConfig.defaults();
        Topics topics = Topics.from(config);
        Clock clock = Clock.fixed(NOW, ZoneOffset.UTC);
        meters = new SimpleMeterRegistry();
        DirectionSetMetrics directionMetrics = new DirectionSetMetrics();
        directionMetrics.bindTo(meters);
        ScoringMetrics scoringMetrics = new ScoringMetrics();
        scoringMetrics.bindTo(meters);
        ScoringTopology.Parts parts = new ScoringTopology.Parts(new DirectionRegistry(directionMetrics, clock,
                        DirectionTrust.signedBy(TrustedKeys.of(List.of(TestKeys.publicKey())))),
                scoringMetrics, policy, ScoreListener.NONE, clock);
        Properties props = new Properties();
        props.put("application.id", "scoring-topology-spec");
        props.put("bootstrap.servers", "unused:9092");
        driver = new TopologyTestDriver(ScoringTopology.build(topics, parts), props);
        directions = driver.createInputTopic(config.topic(TopicId.DIRECTIONS).name(), new StringSerializer(), new ByteArraySerializer());
        hiddenStates = driver.createInputTopic(config.topic(TopicId.HIDDEN_STATES).name(), new StringSerializer(), new ByteArraySerializer());
        scores = driver.createOutputTopic(config.topic(TopicId.SAFETY_SCORES).name(), new StringDeserializer(), new ByteArrayDeserializer());
        dlq = driver.createOutputTopic(config.topic(TopicId.HIDDEN_STATES_DLQ).name(), new StringDeserializer(), new ByteArrayDeserializer());
        retry = driver.createOutputTopic(config.topic(TopicId.HIDDEN_STATES_RETRY).name(), new StringDeserializer(), new ByteArrayDeserializer());
    }

    @AfterEach
    void stop() {
        driver.close();
    }

    @Test
    void shouldScoreAGoodRecordWithTheSetInForceAndWriteNothingElse() throws Exception {
        directions.pipeInput(MODEL, ScoringFixtures.seal(set));
        float[][] rows = ScoringFixtures.requests(1, 3)[0];
        hiddenStates.pipeInput("req-1", ScoringFixtures.hiddenState("req-1", MODEL, rows));

        KeyValue<String, byte[]> out = scores.readKeyValue();
        assertEquals("req-1", out.key);
        SafetyScore score = SafetyScore.parseFrom(out.value);
        assertEquals(set.version(), score.getDirectionsVersion());
        ScoreAssertions.assertSameScores(ScoringFixtures.scoreOffline(set, rows), score, "the stream's score");
        assertTrue(scores.isEmpty());
        assertTrue(dlq.isEmpty());
        assertTrue(retry.isEmpty());
    }

    @Test
    void shouldScoreWithANewVersionFromTheNextRecordOn() throws Exception {
        directions.pipeInput(MODEL, ScoringFixtures.seal(set));
        float[][] rows = ScoringFixtures.requests(1, 3)[0];
        hiddenStates.pipeInput("req-1", ScoringFixtures.hiddenState("req-1", MODEL, rows));
        DirectionSetModel v2 = ScoringFixtures.directions(MODEL, 2, 8);
        directions.pipeInput(MODEL, ScoringFixtures.seal(v2));
        hiddenStates.pipeInput("req-2", ScoringFixtures.hiddenState("req-2", MODEL, rows));

        assertEquals(1, SafetyScore.parseFrom(scores.readValue()).getDirectionsVersion());
        assertEquals(2, SafetyScore.parseFrom(scores.readValue()).getDirectionsVersion());
        assertTrue(dlq.isEmpty());
    }

    static Stream<Arguments> badInput() {
        ScoringFixtures.directions(MODEL, 1, 7);
        float[][] rows = ScoringFixtures.requests(1, 5)[0];
        int[] layers = ScoringFixtures.layers();
        HiddenState good = HiddenStateBuilder.create("r", MODEL).layer(layers[0], rows[0]).layer(layers[1], rows[1]).build();
        float[] nan = rows[1].clone();
        nan[3] = Float.NaN;
        return Stream.of(
                Arguments.of(DeadLetterReason.DEAD_LETTER_REASON_MALFORMED, new byte[]{(byte) 0xff, 0x01, 0x02}),
                Arguments.of(DeadLetterReason.DEAD_LETTER_REASON_UNSUPPORTED_SCHEMA_VERSION,
                        good.toBuilder().setSchemaVersion(99).build().toByteArray()),
                Arguments.of(DeadLetterReason.DEAD_LETTER_REASON_MISSING_FIELD,
                        good.toBuilder().clearModelId().build().toByteArray()),
                Arguments.of(DeadLetterReason.DEAD_LETTER_REASON_UNSUPPORTED_DTYPE,
                        good.toBuilder().setLayers(0, good.getLayers(0).toBuilder().setDtype(DType.D_TYPE_UNSPECIFIED)).build().toByteArray()),
                Arguments.of(DeadLetterReason.DEAD_LETTER_REASON_SIZE_MISMATCH,
                        good.toBuilder().setLayers(0, good.getLayers(0).toBuilder()
                                .setData(good.getLayers(0).getData().substring(4))).build().toByteArray()),
                Arguments.of(DeadLetterReason.DEAD_LETTER_REASON_DUPLICATE_LAYER,
                        good.toBuilder().setLayers(1, good.getLayers(1).toBuilder().setLayer(layers[0])).build().toByteArray()),
                Arguments.of(DeadLetterReason.DEAD_LETTER_REASON_NON_FINITE,
                        HiddenStateBuilder.create("r", MODEL).layer(layers[0], rows[0]).layer(layers[1], nan).toByteArray()),
                Arguments.of(DeadLetterReason.DEAD_LETTER_REASON_DIMENSION_MISMATCH,
                        HiddenStateBuilder.create("r", MODEL).layer(layers[0], Arrays.copyOf(rows[0], ScoringFixtures.D + 1))
                                .layer(layers[1], Arrays.copyOf(rows[1], ScoringFixtures.D + 1)).toByteArray()),
                Arguments.of(DeadLetterReason.DEAD_LETTER_REASON_MISSING_LAYER,
                        HiddenStateBuilder.create("r", MODEL).layer(layers[0], rows[0]).toByteArray()),
                Arguments.of(DeadLetterReason.DEAD_LETTER_REASON_NO_DIRECTIONS,
                        HiddenStateBuilder.create("r", "unknown-model").layer(layers[0], rows[0]).layer(layers[1], rows[1]).toByteArray()));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badInput")
    void shouldDeadLetterBadInputWithItsReasonTheOriginalBytesAndTheSourceAndWriteNothingElse(
            DeadLetterReason reason, byte[] value) throws Exception {
        directions.pipeInput(MODEL, ScoringFixtures.seal(set));
        hiddenStates.pipeInput("bad-1", value);

        KeyValue<String, byte[]> out = dlq.readKeyValue();
        assertEquals("bad-1", out.key);
        DeadLetter letter = DeadLetter.parseFrom(out.value);
        assertEquals(reason, letter.getReason(), letter.getDetail());
        assertArrayEquals(value, letter.getOriginalValue().toByteArray(), "the original bytes, for replay");
        assertEquals(ByteString.copyFromUtf8("bad-1"), letter.getOriginalKey());
        assertEquals(Topics.from(MonitorConfig.defaults()).hiddenStates().name(), letter.getSourceTopic());
        assertEquals(0, letter.getSourceOffset());
        assertEquals(NOW.toEpochMilli(), letter.getFailedAtUnixMs());
        assertTrue(dlq.isEmpty());
        assertTrue(scores.isEmpty());
        assertTrue(retry.isEmpty());
    }

    @Test
    void shouldParkRecordsWithoutDirectionsUnchangedWhenThePolicyIsTheRetryTopic() {
        driver.close();
        startWith(NoDirectionsPolicy.RETRY_TOPIC);
        byte[] value = ScoringFixtures.hiddenState("req-1", "no-set-yet", ScoringFixtures.requests(1, 3)[0]);
        hiddenStates.pipeInput("req-1", value);

        var parked = retry.readRecord();
        assertArrayEquals(value, parked.value());
        assertTrue(new String(parked.headers().lastHeader(ScoringProcessor.PARKED_REASON_HEADER).value())
                .contains("no-set-yet"));
        assertTrue(retry.isEmpty());
        assertTrue(dlq.isEmpty());
        assertTrue(scores.isEmpty());
    }

    @Test
    void shouldKeepTheSetInForceWhenADirectionsRecordIsInvalid() throws Exception {
        directions.pipeInput(MODEL, ScoringFixtures.seal(set));
        directions.pipeInput(MODEL, "not a direction set".getBytes());
        hiddenStates.pipeInput("req-1", ScoringFixtures.hiddenState("req-1", MODEL, ScoringFixtures.requests(1, 3)[0]));

        assertEquals(set.version(), SafetyScore.parseFrom(scores.readValue()).getDirectionsVersion());
        assertTrue(dlq.isEmpty());
    }

    @Test
    void shouldRefuseAForgedSetWithARecomputedChecksumAndKeepScoringWithTheSetInForce() throws Exception {
        directions.pipeInput(MODEL, ScoringFixtures.seal(set));
        // What an attacker with write access does: take the signed set, raise every probe threshold so nothing is
        // flagged, bump the version, recompute the SHA-256, keep the signature and key id.
        DirectionSetEnvelope signed = DirectionSetEnvelope.parseFrom(ScoringFixtures.seal(set));
        DirectionSet.Builder payload = DirectionSet.parseFrom(signed.getPayload()).toBuilder().setVersion(2);
        for (int i = 0; i < payload.getLayersCount(); i++)
            payload.setLayers(i, payload.getLayers(i).toBuilder()
                    .setProbe(payload.getLayers(i).getProbe().toBuilder().setDecisionThreshold(1.0)));
        byte[] forgedPayload = payload.build().toByteArray();
        DirectionSetEnvelope forged = signed.toBuilder().setPayload(ByteString.copyFrom(forgedPayload))
                .setSha256(DirectionSetCodec.sha256Hex(forgedPayload)).setVersion(2).build();
        directions.pipeInput(MODEL, forged.toByteArray());
        hiddenStates.pipeInput("req-1", ScoringFixtures.hiddenState("req-1", MODEL, ScoringFixtures.requests(1, 3)[0]));

        assertEquals(1, SafetyScore.parseFrom(scores.readValue()).getDirectionsVersion(), "the forged v2 is not in force");
        assertEquals(1.0, rejected(DirectionsRejectReason.BAD_SIGNATURE));
    }

    @Test
    void shouldRefuseUnsignedSetsAndSetsSignedByAnUntrustedKey() throws Exception {
        directions.pipeInput(MODEL, DirectionSetCodec.seal(set));
        DirectionSetSigner stranger = DirectionSetSigner.of(SigningKeys.generate());
        directions.pipeInput(MODEL, DirectionSetCodec.seal(set, stranger));
        hiddenStates.pipeInput("req-1", ScoringFixtures.hiddenState("req-1", MODEL, ScoringFixtures.requests(1, 3)[0]));

        assertEquals(DeadLetterReason.DEAD_LETTER_REASON_NO_DIRECTIONS, DeadLetter.parseFrom(dlq.readValue()).getReason());
        assertEquals(1.0, rejected(DirectionsRejectReason.UNSIGNED));
        assertEquals(1.0, rejected(DirectionsRejectReason.UNTRUSTED_KEY));
        assertTrue(scores.isEmpty());
    }

    @Test
    void shouldNotLetAPlainTombstoneBlindAModel() throws Exception {
        directions.pipeInput(MODEL, ScoringFixtures.seal(set));
        directions.pipeInput(MODEL, (byte[]) null);
        hiddenStates.pipeInput("req-1", ScoringFixtures.hiddenState("req-1", MODEL, ScoringFixtures.requests(1, 3)[0]));

        assertEquals(set.version(), SafetyScore.parseFrom(scores.readValue()).getDirectionsVersion());
        assertEquals(1.0, rejected(DirectionsRejectReason.TOMBSTONE));
        assertTrue(dlq.isEmpty());
    }

    @Test
    void shouldWithdrawAModelOnlyWithASignedWithdrawalAndNotBringBackOlderVersions() throws Exception {
        directions.pipeInput(MODEL, ScoringFixtures.seal(set));
        directions.pipeInput(MODEL, DirectionSetCodec.withdrawal(MODEL, 2, 0, null).toByteArray());
        float[][] rows = ScoringFixtures.requests(1, 3)[0];
        hiddenStates.pipeInput("req-1", ScoringFixtures.hiddenState("req-1", MODEL, rows));
        assertEquals(1, SafetyScore.parseFrom(scores.readValue()).getDirectionsVersion(), "an unsigned withdrawal is refused");
        assertEquals(1.0, rejected(DirectionsRejectReason.UNSIGNED));

        directions.pipeInput(MODEL, DirectionSetCodec.withdrawal(MODEL, 2, 0, TestKeys.signer()).toByteArray());
        hiddenStates.pipeInput("req-2", ScoringFixtures.hiddenState("req-2", MODEL, rows));
        assertEquals(DeadLetterReason.DEAD_LETTER_REASON_NO_DIRECTIONS, DeadLetter.parseFrom(dlq.readValue()).getReason());

        directions.pipeInput(MODEL, ScoringFixtures.seal(set)); // v1 again: older than the withdrawal
        hiddenStates.pipeInput("req-3", ScoringFixtures.hiddenState("req-3", MODEL, rows));
        assertEquals(DeadLetterReason.DEAD_LETTER_REASON_NO_DIRECTIONS, DeadLetter.parseFrom(dlq.readValue()).getReason());

        directions.pipeInput(MODEL, ScoringFixtures.seal(ScoringFixtures.directions(MODEL, 3, 9)));
        hiddenStates.pipeInput("req-4", ScoringFixtures.hiddenState("req-4", MODEL, rows));
        assertEquals(3, SafetyScore.parseFrom(scores.readValue()).getDirectionsVersion(), "a newer set brings it back");
        assertTrue(scores.isEmpty());
    }

    private double rejected(DirectionsRejectReason reason) {
        var c = meters.find(MetricNames.DIRECTIONS_REJECTED).tag(MetricNames.TAG_REASON, reason.tag()).counter();
        return c == null ? 0 : c.count();
    }
}
