package dev.refusalmonitor.schemas;

import com.google.protobuf.ByteString;
import dev.refusalmonitor.schemas.v1.DeadLetter;
import dev.refusalmonitor.schemas.v1.DeadLetterReason;

/** Builds the records of the dead-letter topic ({@code hidden-states.dlq}). */
public final class DeadLetters {
    /** The DeadLetter wire-format version written here. */
    public static final int SCHEMA_VERSION = 1;

    private DeadLetters() {
    }

    /**
     * A dead letter for the record at {@code topic}/{@code partition}/{@code offset}. The original key and value are
     * kept byte for byte (null becomes empty) so the record can be replayed; {@code detail} must not contain
     * hidden-state values (the decoder's details never do).
     */
    public static DeadLetter deadLetter(DeadLetterReason reason, String detail, String topic, int partition,
                                        long offset, byte[] key, byte[] value, long failedAtUnixMs) {
        if (reason == null || reason == DeadLetterReason.DEAD_LETTER_REASON_UNSPECIFIED
                || reason == DeadLetterReason.UNRECOGNIZED) {
            throw new IllegalArgumentException("a dead letter needs a specific reason, got " + reason);
        }
        return DeadLetter.newBuilder()
                .setSchemaVersion(SCHEMA_VERSION)
                .setReason(reason)
                .setDetail(detail == null ? "" : detail)
                .setSourceTopic(topic == null ? "" : topic)
                .setSourcePartition(partition)
                .setSourceOffset(offset)
                .setOriginalKey(key == null ? ByteString.EMPTY : ByteString.copyFrom(key))
                .setOriginalValue(value == null ? ByteString.EMPTY : ByteString.copyFrom(value))
                .setFailedAtUnixMs(failedAtUnixMs)
                .build();
    }

    /** A dead letter for a decoder rejection. */
    public static DeadLetter deadLetter(HiddenStateDecoder.Rejected rejected, String topic, int partition,
                                        long offset, byte[] key, byte[] value, long failedAtUnixMs) {
        return deadLetter(rejected.reason(), rejected.detail(), topic, partition, offset, key, value, failedAtUnixMs);
    }
}
