package dev.refusalmonitor.monitor.stream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.refusalmonitor.activations.NpyArray;
import dev.refusalmonitor.activations.NpyDType;
import dev.refusalmonitor.activations.NpyWriter;
import dev.refusalmonitor.contract.directions.DirectionSetModel;
import dev.refusalmonitor.math.score.DirectionSetScorer;
import dev.refusalmonitor.monitor.app.MonitorApp;
import dev.refusalmonitor.monitor.cli.MonitorServiceCli;
import dev.refusalmonitor.monitor.config.MonitorConfig;
import dev.refusalmonitor.contract.TopicId;
import dev.refusalmonitor.monitor.metrics.MetricNames;
import dev.refusalmonitor.monitor.testing.BrokerTestBase;
import dev.refusalmonitor.monitor.testing.KafkaTestSupport;
import dev.refusalmonitor.monitor.testing.PrometheusText;
import dev.refusalmonitor.monitor.testing.ScoringFixtures;
import dev.refusalmonitor.monitor.testing.StreamTestSupport;
import dev.refusalmonitor.monitor.testing.StreamTestSupport.HttpAnswer;
import dev.refusalmonitor.schemas.HiddenStateBuilder;
import dev.refusalmonitor.schemas.HiddenStateDecoder;
import dev.refusalmonitor.schemas.v1.DeadLetter;
import dev.refusalmonitor.schemas.v1.DeadLetterReason;
import dev.refusalmonitor.schemas.v1.MahalanobisPath;
import dev.refusalmonitor.schemas.v1.SafetyScore;
import com.google.protobuf.InvalidProtocolBufferException;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.UUID;

import static dev.refusalmonitor.monitor.testing.ScoreAssertions.assertSameScores;
import static dev.refusalmonitor.monitor.testing.ScoreAssertions.bits;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The scoring topology in a running {@link MonitorApp} on a real in-JVM broker: exactly-once and at-least-once
 * delivery, dead-lettering of bad input, parity with the offline {@code score} command, and the health endpoints.
 */
class ScoringTopologyIntegrationTest extends BrokerTestBase {
    private static final String MODEL = "model-a";

    @Test
    void shouldWriteExactlyOneScorePerRecordUnderExactlyOnce() throws Exception {
        MonitorConfig config = config("eos", Map.of());
        assertEquals(StreamsConfig.EXACTLY_ONCE_V2, config.processingGuarantee(), "exactly-once is the default");
        DirectionSetModel set = ScoringFixtures.directions(MODEL, 1, 11);
        int n = 60;
        float[][][] rows = ScoringFixtures.requests(n, 101);
        try (MonitorApp app = MonitorApp.start(config, ScoreListener.NONE)) {
            publishDirections(config, set);
            awaitVersion(app, 1);
            KafkaTestSupport.waitForRunning(app.streams(), WAIT);
            List<String> ids = produceRequests(config, "eos-req-", rows);

            StreamTestSupport.awaitCommitted(kafka.bootstrapServers(), config.applicationId(),
                    hiddenStates(config), n, WAIT);
            List<ConsumerRecord<String, byte[]>> out = StreamTestSupport.readAll(kafka.bootstrapServers(),
                    scores(config), true, WAIT);
            assertEquals(n, out.size(), "one score per record, no duplicates");
            assertEquals(Set.copyOf(ids), keys(out), "a score for every request id");
            Map<String, SafetyScore> byId = byRequestId(out);
            for (int i = 0; i < n; i++)
                assertSameScores(ScoringFixtures.scoreOffline(set, rows[i]), byId.get(ids.get(i)), ids.get(i));
            assertTrue(StreamTestSupport.readAll(kafka.bootstrapServers(), dlq(config), true, WAIT).isEmpty(),
                    "nothing dead-lettered");
        }
    }

    @Test
    void shouldScoreEveryRecordAtLeastOnceUnderAtLeastOnce() {
        MonitorConfig config = config("alos", Map.of(MonitorConfig.PROCESSING_GUARANTEE, StreamsConfig.AT_LEAST_ONCE));
        assertEquals(StreamsConfig.AT_LEAST_ONCE, config.processingGuarantee());
        int n = 40;
        float[][][] rows = ScoringFixtures.requests(n, 102);
        try (MonitorApp app = MonitorApp.start(config, ScoreListener.NONE)) {
            publishDirections(config, ScoringFixtures.directions(MODEL, 1, 11));
            awaitVersion(app, 1);
            KafkaTestSupport.waitForRunning(app.streams(), WAIT);
            List<String> ids = produceRequests(config, "alos-req-", rows);

            StreamTestSupport.awaitCommitted(kafka.bootstrapServers(), config.applicationId(), hiddenStates(config), n, WAIT);
            List<ConsumerRecord<String, byte[]>> out = StreamTestSupport.readAll(kafka.bootstrapServers(),
                    scores(config), false, WAIT);
            assertTrue(out.size() >= n, "at least one score per record, got " + out.size());
            assertEquals(Set.copyOf(ids), keys(out), "a score for every request id");
        }
    }

    @Test
    void shouldDeadLetterBadRecordsWithReasonsAndScoreTheGoodOnes() throws Exception {
        MonitorConfig config = config("dlq", Map.of());
        DirectionSetModel set = ScoringFixtures.directions(MODEL, 1, 11);
        float[][][] good = ScoringFixtures.requests(20, 103);
        float[][] valid = good[0];

        Map<String, byte[]> bad = new LinkedHashMap<>();
        Map<String, DeadLetterReason> expectedReason = new HashMap<>();
        byte[] random = new byte[64];
        new SplittableRandom(5).nextBytes(random);
        random[0] = 0x07; // field 0 is never valid protobuf, so the bytes cannot parse by accident
        assertTrue(new HiddenStateDecoder().decode(random) instanceof HiddenStateDecoder.Rejected r
                && r.reason() == DeadLetterReason.DEAD_LETTER_REASON_MALFORMED, "fixture: random bytes are malformed");
        put(bad, expectedReason, "bad-malformed", random, DeadLetterReason.DEAD_LETTER_REASON_MALFORMED);
        put(bad, expectedReason, "bad-version-0", HiddenStateBuilder.create("bad-version-0", MODEL)
                        .layer(3, valid[0]).layer(5, valid[1]).build().toBuilder().setSchemaVersion(0).build().toByteArray(),
                DeadLetterReason.DEAD_LETTER_REASON_MISSING_FIELD);
        float[] withNaN = valid[1].clone();
        withNaN[7] = Float.NaN;
        put(bad, expectedReason, "bad-nan", ScoringFixtures.hiddenState("bad-nan", MODEL, new float[][] {valid[0], withNaN}),
                DeadLetterReason.DEAD_LETTER_REASON_NON_FINITE);
        put(bad, expectedReason, "bad-dim", ScoringFixtures.hiddenState("bad-dim", MODEL,
                        new float[][] {Arrays.copyOf(valid[0], ScoringFixtures.D + 1), Arrays.copyOf(valid[1], ScoringFixtures.D + 1)}),
                DeadLetterReason.DEAD_LETTER_REASON_DIMENSION_MISMATCH);
        put(bad, expectedReason, "bad-layer", HiddenStateBuilder.create("bad-layer", MODEL).layer(3, valid[0]).toByteArray(),
                DeadLetterReason.DEAD_LETTER_REASON_MISSING_LAYER);
        put(bad, expectedReason, "bad-model", ScoringFixtures.hiddenState("bad-model", "model-unknown", valid),
                DeadLetterReason.DEAD_LETTER_REASON_NO_DIRECTIONS);
        assertEquals(2, new DirectionSetScorer(set).requiredLayers().length,
                "fixture: the set needs both layers, so a record with one of them misses a layer");

        // Interleave: a bad record after every few good ones.
        List<Map.Entry<String, byte[]>> records = new ArrayList<>();
        Iterator<Map.Entry<String, byte[]>> badIt = bad.entrySet().iterator();
        List<String> goodIds = new ArrayList<>();
        for (int i = 0; i < good.length; i++) {
            String id = "dlq-req-" + i;
            goodIds.add(id);
            records.add(Map.entry(id, ScoringFixtures.hiddenState(id, MODEL, good[i])));
            if (i % 3 == 2 && badIt.hasNext()) records.add(badIt.next());
        }
        badIt.forEachRemaining(records::add);

        try (MonitorApp app = MonitorApp.start(config, ScoreListener.NONE)) {
            publishDirections(config, set);
            awaitVersion(app, 1);
            KafkaTestSupport.waitForRunning(app.streams(), WAIT);
            List<RecordMetadata> where = StreamTestSupport.produce(kafka.bootstrapServers(), hiddenStates(config), records);
            StreamTestSupport.awaitCommitted(kafka.bootstrapServers(), config.applicationId(), hiddenStates(config),
                    records.size(), WAIT);

            List<ConsumerRecord<String, byte[]>> scored = StreamTestSupport.readAll(kafka.bootstrapServers(), scores(config), true, WAIT);
            assertEquals(good.length, scored.size(), "every good record scored once, no bad one");
            assertEquals(Set.copyOf(goodIds), keys(scored));
            Map<String, SafetyScore> byId = byRequestId(scored);
            for (int i = 0; i < good.length; i++)
                assertSameScores(ScoringFixtures.scoreOffline(set, good[i]), byId.get(goodIds.get(i)), goodIds.get(i));

            List<ConsumerRecord<String, byte[]>> dead = StreamTestSupport.readAll(kafka.bootstrapServers(), dlq(config), true, WAIT);
            assertEquals(bad.size(), dead.size(), "one dead letter per bad record");
            assertEquals(bad.keySet(), keys(dead));
            for (ConsumerRecord<String, byte[]> r : dead) {
                DeadLetter d = DeadLetter.parseFrom(r.value());
                String key = r.key();
                int at = indexOf(records, key);
                assertEquals(expectedReason.get(key), d.getReason(), key + ": reason");
                assertFalse(d.getDetail().isBlank(), key + ": detail");
                assertArrayEquals(bad.get(key), d.getOriginalValue().toByteArray(), key + ": original value bytes");
                assertEquals(key, d.getOriginalKey().toStringUtf8(), key + ": original key");
                assertEquals(hiddenStates(config), d.getSourceTopic(), key + ": source topic");
                assertEquals(where.get(at).partition(), d.getSourcePartition(), key + ": source partition");
                assertEquals(where.get(at).offset(), d.getSourceOffset(), key + ": source offset");
                assertTrue(d.getFailedAtUnixMs() > 0, key + ": failed_at");
            }

            String metrics = StreamTestSupport.get(app.http().baseUri().resolve("/metrics")).body();
            for (DeadLetterReason reason : DeadLetterReason.values()) {
                if (reason == DeadLetterReason.DEAD_LETTER_REASON_UNSPECIFIED || reason == DeadLetterReason.UNRECOGNIZED) continue;
                double expected = expectedReason.containsValue(reason) ? 1 : 0;
                assertEquals(expected, PrometheusText.value(metrics, MetricNames.PROM_DLQ,
                        Map.of(MetricNames.TAG_REASON, MetricNames.reasonTag(reason))), "DLQ metric for " + reason);
            }
            assertEquals(good.length, PrometheusText.value(metrics, MetricNames.PROM_RECORDS,
                    Map.of(MetricNames.TAG_OUTCOME, MetricNames.OUTCOME_SCORED, MetricNames.TAG_MODEL, MODEL)));
            // Each dead letter is counted once: in dlq_total by reason (summed: every bad record), not in records_total.
            double dlqSum = 0;
            for (DeadLetterReason reason : DeadLetterReason.values()) {
                if (reason == DeadLetterReason.DEAD_LETTER_REASON_UNSPECIFIED || reason == DeadLetterReason.UNRECOGNIZED) continue;
                dlqSum += PrometheusText.value(metrics, MetricNames.PROM_DLQ, Map.of(MetricNames.TAG_REASON, MetricNames.reasonTag(reason)));
            }
            assertEquals(bad.size(), dlqSum);
            assertFalse(metrics.contains("outcome=\"dlq\""), "no dead letter in records_total");
        }
    }

    @Test
    void shouldGiveTheOfflineScoreCommandsNumbersBitForBit(@TempDir Path dir) throws Exception {
        MonitorConfig config = config("parity", Map.of());
        DirectionSetModel set = ScoringFixtures.directions(MODEL, 1, 11);
        int n = 40;
        float[][][] rows = ScoringFixtures.requests(n, 104);
        List<String> ids;
        Map<String, SafetyScore> stream;
        try (MonitorApp app = MonitorApp.start(config, ScoreListener.NONE)) {
            publishDirections(config, set);
            awaitVersion(app, 1);
            KafkaTestSupport.waitForRunning(app.streams(), WAIT);
            ids = produceRequests(config, "parity-req-", rows);
            StreamTestSupport.awaitCommitted(kafka.bootstrapServers(), config.applicationId(), hiddenStates(config), n, WAIT);
            List<ConsumerRecord<String, byte[]>> out = StreamTestSupport.readAll(kafka.bootstrapServers(), scores(config), true, WAIT);
            assertEquals(n, out.size());
            stream = byRequestId(out);
            // Scored ahead in their polls' batches (PollScoring), which must not change a bit of what follows.
            double batched = PrometheusText.value(app.metrics().scrape(), MetricNames.PROM_BATCH_SCORED, Map.of());
            assertTrue(batched > 0 && batched <= n, "records scored in batches: " + batched);
        }

        // The same floats as an [n, L, d] f32 array, and the same set as directions.pb.
        int[] layers = ScoringFixtures.layers();
        int d = ScoringFixtures.D;
        float[] data = new float[n * layers.length * d];
        for (int r = 0; r < n; r++)
            for (int l = 0; l < layers.length; l++) System.arraycopy(rows[r][l], 0, data, (r * layers.length + l) * d, d);
        Path npy = dir.resolve("rows.npy");
        NpyWriter.write(npy, new NpyArray(new int[] {n, layers.length, d}, data, NpyDType.F32));
        Path directions = dir.resolve("directions.pb");
        Files.write(directions, ScoringFixtures.seal(set));
        Path json = dir.resolve("scores.jsonl");
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = MonitorServiceCli.commandLine(new PrintWriter(out), new PrintWriter(err)).execute("score",
                "--directions", directions.toString(), "--input", npy.toString(),
                "--axis-layers", layers[0] + "," + layers[1], "--out", json.toString());
        assertEquals(0, code, "score command failed: " + err);

        List<String> lines = Files.readAllLines(json, StandardCharsets.UTF_8);
        assertEquals(n, lines.size(), "one JSON line per row");
        ObjectMapper mapper = new ObjectMapper();
        for (int r = 0; r < n; r++) {
            JsonNode line = mapper.readTree(lines.get(r));
            SafetyScore s = stream.get(ids.get(r));
            assertNotNull(s, "stream score for " + ids.get(r));
            assertEquals(r, line.get("row").asLong(), "row order");
            compareJsonLine(line, s, "row " + r + " / " + ids.get(r));
        }
    }

    @Test
    void shouldBeReadyOnlyWithDirectionsAndRunningAndLiveWhileRunning() {
        MonitorConfig config = config("health", Map.of());
        try (MonitorApp app = MonitorApp.start(config, ScoreListener.NONE)) {
            URI base = app.http().baseUri();
            HttpAnswer early = StreamTestSupport.get(base.resolve("/readyz"));
            assertEquals(503, early.status(), "not ready before any directions: " + early.body());

            KafkaTestSupport.waitForRunning(app.streams(), WAIT);
            // With two stream threads Streams may rebalance once more after the first RUNNING: wait for a steady answer.
            KafkaTestSupport.waitUntil("/readyz to see Streams RUNNING", WAIT,
                    () -> StreamTestSupport.get(base.resolve("/readyz")).body().contains("no direction set"));
            HttpAnswer noDirections = StreamTestSupport.get(base.resolve("/readyz"));
            assertEquals(503, noDirections.status(), "running but no directions: " + noDirections.body());
            assertTrue(noDirections.body().contains("no direction set"), noDirections.body());
            assertEquals(200, StreamTestSupport.get(base.resolve("/healthz")).status(), "live while running");

            publishDirections(config, ScoringFixtures.directions(MODEL, 1, 11));
            KafkaTestSupport.waitUntil("/readyz to answer 200 after directions were published", WAIT,
                    () -> StreamTestSupport.get(base.resolve("/readyz")).status() == 200);
            assertEquals(1, app.registry().get(MODEL).version());
            HttpAnswer live = StreamTestSupport.get(base.resolve("/healthz"));
            assertEquals(200, live.status(), live.body());
        }
    }

    // ---- helpers

    /** Compares every field of one offline JSON line with the stream's score; an unknown field fails. */
    private static void compareJsonLine(JsonNode line, SafetyScore s, String what) {
        Set<String> seen = new HashSet<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = line.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> f = it.next();
            String name = f.getKey();
            JsonNode v = f.getValue();
            seen.add(name);
            String w = what + ": " + name;
            switch (name) {
                case "row" -> { }
                case "dim" -> bits(number(v), s.getDim(), w);
                case "dim_standardized" -> bits(number(v), s.getDimStandardized(), w);
                case "fisher" -> bits(number(v), s.getFisher(), w);
                case "probe_probability" -> bits(number(v), s.getProbeProbability(), w);
                case "flagged" -> assertEquals(v.booleanValue(), s.getFlagged(), w);
                case "mahalanobis_refusal" -> bits(number(v), s.getMahalanobisRefusal(), w);
                case "mahalanobis_ood" -> bits(number(v), s.getMahalanobisOod(), w);
                case "ood_tail_probability" -> bits(number(v), s.getOodTailProbability(), w);
                case "mahalanobis_path" -> assertEquals(v.textValue().equals("exact") ? MahalanobisPath.MAHALANOBIS_PATH_EXACT
                        : v.textValue().equals("low_rank") ? MahalanobisPath.MAHALANOBIS_PATH_LOW_RANK
                        : MahalanobisPath.UNRECOGNIZED, s.getMahalanobisPath(), w);
                case "cast_similarity" -> bits(number(v), s.getCastSimilarity(), w);
                case "cast_fired" -> assertEquals(v.booleanValue(), s.getCastFired(), w);
                case "angle_deg" -> bits(number(v), s.getAngleDeg(), w);
                case "sector" -> assertEquals(v.isNull() ? "" : v.textValue(), s.getSector(), w);
                case "layer" -> assertEquals(v.longValue(), s.getLayer(), w);
                case "directions_version" -> assertEquals(v.longValue(), s.getDirectionsVersion(), w);
                case "mahalanobis_ensemble" -> {
                    assertTrue(s.hasMahalanobisEnsemble(), w + " offline but not in the stream");
                    bits(number(v), s.getMahalanobisEnsemble(), w);
                }
                default -> fail(what + ": JSON field '" + name + "' has no counterpart compared here");
            }
        }
        if (s.hasMahalanobisEnsemble()) assertTrue(seen.contains("mahalanobis_ensemble"), what + ": ensemble only in the stream");
        assertTrue(seen.containsAll(List.of("dim", "probe_probability", "mahalanobis_ood", "cast_similarity",
                "directions_version")), what + ": fields missing from " + seen);
    }

    /** A JSON number, or NaN / ±Infinity as Jackson writes them by default (quoted). */
    private static double number(JsonNode v) {
        if (v.isNumber()) return v.doubleValue();
        if (v.isTextual()) return Double.parseDouble(v.textValue());
        throw new AssertionError("not a number: " + v);
    }

    private static void put(Map<String, byte[]> bad, Map<String, DeadLetterReason> reasons, String key, byte[] value,
                            DeadLetterReason reason) {
        bad.put(key, value);
        reasons.put(key, reason);
    }

    private static int indexOf(List<Map.Entry<String, byte[]>> records, String key) {
        for (int i = 0; i < records.size(); i++) if (records.get(i).getKey().equals(key)) return i;
        throw new AssertionError("no record " + key);
    }

    private static MonitorConfig config(String name, Map<String, String> extra) {
        String prefix = name + "-" + UUID.randomUUID().toString().substring(0, 8);
        return StreamTestSupport.config(kafka.bootstrapServers(), prefix, stateDir, extra);
    }

    private static void publishDirections(MonitorConfig config, DirectionSetModel set) {
        StreamTestSupport.produce(kafka.bootstrapServers(), config.topic(TopicId.DIRECTIONS).name(),
                List.of(Map.entry(set.modelId(), ScoringFixtures.seal(set))));
    }

    private static void awaitVersion(MonitorApp app, long version) {
        KafkaTestSupport.waitUntil("directions version " + version + " for " + MODEL + " in force", WAIT, () -> {
            LoadedDirections d = app.registry().get(MODEL);
            return d != null && d.version() == version;
        });
    }

    private static List<String> produceRequests(MonitorConfig config, String idPrefix, float[][][] rows) {
        List<String> ids = new ArrayList<>();
        List<Map.Entry<String, byte[]>> records = new ArrayList<>();
        for (int i = 0; i < rows.length; i++) {
            String id = idPrefix + i;
            ids.add(id);
            records.add(Map.entry(id, ScoringFixtures.hiddenState(id, MODEL, rows[i])));
        }
        StreamTestSupport.produce(kafka.bootstrapServers(), hiddenStates(config), records);
        return ids;
    }

    private static Set<String> keys(List<ConsumerRecord<String, byte[]>> records) {
        Set<String> out = new HashSet<>();
        for (ConsumerRecord<String, byte[]> r : records) out.add(r.key());
        return out;
    }

    /** Parses score records by request id; fails on a duplicate id or a key that differs from the record's id. */
    private static Map<String, SafetyScore> byRequestId(List<ConsumerRecord<String, byte[]>> records) {
        Map<String, SafetyScore> out = new HashMap<>();
        for (ConsumerRecord<String, byte[]> r : records) {
            SafetyScore s;
            try {
                s = SafetyScore.parseFrom(r.value());
            } catch (InvalidProtocolBufferException e) {
                throw new AssertionError("score record " + r.key() + " does not parse", e);
            }
            assertEquals(r.key(), s.getRequestId(), "score key is the request id");
            assertEquals(MODEL, s.getModelId());
            assertEquals("tenant-a", s.getTenant());
            if (out.put(s.getRequestId(), s) != null) fail("duplicate score for " + s.getRequestId());
        }
        return out;
    }

    private static String hiddenStates(MonitorConfig c) {
        return c.topic(TopicId.HIDDEN_STATES).name();
    }

    private static String scores(MonitorConfig c) {
        return c.topic(TopicId.SAFETY_SCORES).name();
    }

    private static String dlq(MonitorConfig c) {
        return c.topic(TopicId.HIDDEN_STATES_DLQ).name();
    }
}
