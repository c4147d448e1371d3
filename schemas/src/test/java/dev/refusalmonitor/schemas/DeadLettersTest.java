package dev.refusalmonitor.schemas;

import com.google.protobuf.ByteString;
import dev.refusalmonitor.schemas.v1.DeadLetter;
import dev.refusalmonitor.schemas.v1.DeadLetterReason;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class DeadLettersTest {

    @Test
    void carriesEveryFieldAndTheOriginalBytes() throws Exception {
        byte[] key = {1, 2, 3};
        byte[] value = {(byte) 0xff, 0, 7};
        DeadLetter d = DeadLetters.deadLetter(DeadLetterReason.DEAD_LETTER_REASON_SIZE_MISMATCH, "layer 3: ...",
                "hidden-states", 4, 1234L, key, value, 1_700_000_000_000L);
        DeadLetter back = DeadLetter.parseFrom(d.toByteArray());
        assertEquals(1, back.getSchemaVersion());
        assertEquals(DeadLetterReason.DEAD_LETTER_REASON_SIZE_MISMATCH, back.getReason());
        assertEquals("layer 3: ...", back.getDetail());
        assertEquals("hidden-states", back.getSourceTopic());
        assertEquals(4, back.getSourcePartition());
        assertEquals(1234L, back.getSourceOffset());
        assertEquals(ByteString.copyFrom(key), back.getOriginalKey());
        assertEquals(ByteString.copyFrom(value), back.getOriginalValue());
        assertEquals(1_700_000_000_000L, back.getFailedAtUnixMs());
        key[0] = 9;
        assertEquals(1, d.getOriginalKey().byteAt(0), "the dead letter keeps its own copy");
    }

    @Test
    void fromADecoderRejectionWithNullKey() {
        HiddenStateDecoder.Result r = new HiddenStateDecoder().decode(new byte[] {(byte) 0xff});
        DeadLetter d = DeadLetters.deadLetter((HiddenStateDecoder.Rejected) r, "hidden-states", 0, 5, null,
                new byte[] {(byte) 0xff}, 1L);
        assertEquals(DeadLetterReason.DEAD_LETTER_REASON_MALFORMED, d.getReason());
        assertEquals(ByteString.EMPTY, d.getOriginalKey());
        assertEquals(1, d.getOriginalValue().size());
    }

    @Test
    void refusesAnUnspecifiedReason() {
        assertThrows(IllegalArgumentException.class, () -> DeadLetters.deadLetter(
                DeadLetterReason.DEAD_LETTER_REASON_UNSPECIFIED, "", "t", 0, 0, null, null, 0));
    }
}
