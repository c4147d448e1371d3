package dev.refusalmonitor.gateway;

import dev.refusalmonitor.schemas.v1.DType;
import dev.refusalmonitor.schemas.v1.HarmLabel;
import dev.refusalmonitor.schemas.v1.HiddenState;
import dev.refusalmonitor.schemas.v1.LayerActivation;
import dev.refusalmonitor.schemas.v1.TokenPosition;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Properties;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HiddenStateRecordsTest {
    // n = 2 prompts, layers {0, 3}, d = 2; values chosen so their little-endian bytes are easy to write by hand.
    private static final PooledHiddenStates STATES = new PooledHiddenStates(2, 2, new int[]{0, 3},
            new float[][]{{1f, -2f, 0.5f, 3f}, {0.25f, 8f, -1f, 1.5f}}, new int[]{7, 9});
    private static final HiddenStateRecords.Context CTX =
            new HiddenStateRecords.Context("m", "rev1", null, "chat", TokenPooling.MEAN);

    @Test
    void shouldCarryEveryFieldWithLittleEndianF32Layers() {
        HiddenState s = HiddenStateRecords.build(CTX, "req-1", 1234L, STATES, 1, null, null);
        assertEquals(1, s.getSchemaVersion());
        assertEquals("req-1", s.getRequestId());
        assertEquals("m", s.getModelId());
        assertEquals("rev1", s.getModelRevision());
        assertEquals("", s.getTenant());
        assertEquals("chat", s.getRoute());
        assertEquals(1234L, s.getEventTimeUnixMs());
        assertEquals(TokenPosition.TOKEN_POSITION_MEAN_OVER_PROMPT, s.getTokenPosition());
        assertEquals(9, s.getPromptTokens());
        assertFalse(s.hasLabels());
        assertEquals(2, s.getLayersCount());
        LayerActivation l0 = s.getLayers(0);
        assertEquals(0, l0.getLayer());
        assertEquals(DType.D_TYPE_F32, l0.getDtype());
        assertEquals(2, l0.getDim());
        // row 1 of layer 0 = [0.5, 3.0]: 0.5f = 0x3F000000, 3.0f = 0x40400000, least significant byte first.
        assertArrayEquals(new byte[]{0, 0, 0, 0x3F, 0, 0, 0x40, 0x40}, l0.getData().toByteArray());
        LayerActivation l3 = s.getLayers(1);
        assertEquals(3, l3.getLayer());
        // row 1 of layer 3 = [-1.0, 1.5]: 0xBF800000, 0x3FC00000.
        assertArrayEquals(new byte[]{0, 0, (byte) 0x80, (byte) 0xBF, 0, 0, (byte) 0xC0, 0x3F}, l3.getData().toByteArray());
    }

    @Test
    void shouldSetLabelsOnTrainingSamples() {
        HiddenState s = HiddenStateRecords.build(
                new HiddenStateRecords.Context("m", null, null, null, TokenPooling.LAST_TOKEN), "r", 0L, STATES, 0,
                HarmLabel.HARM_LABEL_HARMFUL, "fraud");
        assertTrue(s.hasLabels());
        assertEquals(HarmLabel.HARM_LABEL_HARMFUL, s.getLabels().getHarm());
        assertEquals("fraud", s.getLabels().getCategory());
        assertEquals(HiddenStateRecords.LABEL_SOURCE, s.getLabels().getSource());
        assertEquals(TokenPosition.TOKEN_POSITION_LAST_PROMPT_TOKEN, s.getTokenPosition());
        assertEquals("", s.getModelRevision());
    }

    @Test
    void shouldKeyRecordsByRequestIdAndSendTheSerializedMessage() throws Exception {
        HiddenState s = HiddenStateRecords.build(CTX, "req-ü", 1L, STATES, 0, null, null);
        ProducerRecord<String, byte[]> r = HiddenStatePublisher.record("hidden-states", s);
        assertEquals("hidden-states", r.topic());
        assertArrayEquals("req-ü".getBytes(StandardCharsets.UTF_8), HiddenStatePublisher.keyBytes(r));
        assertEquals(s, HiddenState.parseFrom(r.value()));

        MockProducer<String, byte[]> mock = new MockProducer<>(true, null, new StringSerializer(), new ByteArraySerializer());
        try (HiddenStatePublisher p = new HiddenStatePublisher(mock, "mock:9092")) {
            p.send("training-samples", s);
            p.flush();
            assertEquals(1, p.sent());
        }
        assertEquals(1, mock.history().size());
        assertEquals("req-ü", mock.history().get(0).key());
        assertEquals("training-samples", mock.history().get(0).topic());

        assertThrows(IllegalArgumentException.class, () -> HiddenStatePublisher.record("t",
                HiddenStateRecords.build(CTX, "", 1L, STATES, 0, null, null)));
    }

    @Test
    void shouldReportAFailedDeliveryOnFlush() {
        MockProducer<String, byte[]> mock = new MockProducer<>(false, null, new StringSerializer(), new ByteArraySerializer());
        HiddenStatePublisher p = new HiddenStatePublisher(mock, "down:9092");
        GatewayException e = assertThrows(GatewayException.class, () -> {
            p.send("hidden-states", HiddenStateRecords.build(CTX, "r", 1L, STATES, 0, null, null));
            mock.errorNext(new org.apache.kafka.common.errors.TimeoutException("Expiring 1 record(s)"));
            p.flush();
        });
        assertTrue(e.getMessage().contains("down:9092") && e.getMessage().contains("Expiring"), e.getMessage());
    }

    @Test
    void shouldDefaultToAnIdempotentBoundedProducerAndLetOverridesWin() {
        Properties overrides = new Properties();
        overrides.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "zstd");
        Properties p = HiddenStatePublisher.producerConfig("h:1", overrides);
        assertEquals("h:1", p.get(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG));
        assertEquals("true", p.get(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG));
        assertEquals("all", p.get(ProducerConfig.ACKS_CONFIG));
        assertEquals("zstd", p.get(ProducerConfig.COMPRESSION_TYPE_CONFIG));
        assertEquals("30000", p.get(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG));
        assertEquals("15000", p.get(ProducerConfig.MAX_BLOCK_MS_CONFIG));
    }
}
