package dev.refusalmonitor.schemas;

import com.google.protobuf.ByteString;
import dev.refusalmonitor.schemas.v1.DeadLetter;
import dev.refusalmonitor.schemas.v1.DeadLetterReason;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * Builds the records of the dead-letter topic ({@code hidden-states.dlq}).
 *
 * <p>A dead letter must always fit the topic, whatever the input was: the original value is kept whole up to
 * {@code maxOriginalBytes} and cut to that prefix beyond it ({@code original_value_truncated}), the original key up to
 * {@link #MAX_ORIGINAL_KEY_BYTES}, the detail up to {@link #MAX_DETAIL_CHARS}. The sizes of the whole originals and the
 * SHA-256 of the whole value are always recorded, so a truncated dead letter still identifies its record. With the
 * defaults a dead letter stays below {@link #DEFAULT_MAX_ORIGINAL_BYTES} + 4 KiB, which fits a broker's default
 * {@code message.max.bytes} (1 MiB) and a producer's default {@code max.request.size} (1 MiB).
 */
public final class DeadLetters {
    /** The DeadLetter wire-format version written here. */
    public static final int SCHEMA_VERSION = 1;
    /** Default limit of kept original value bytes: 900 KiB, room to spare under Kafka's 1 MiB defaults. */
    public static final int DEFAULT_MAX_ORIGINAL_BYTES = 900 * 1024;
    /** The original key is kept up to this many bytes. */
    public static final int MAX_ORIGINAL_KEY_BYTES = 1024;
    /** The detail text is cut to this many characters. */
    public static final int MAX_DETAIL_CHARS = 1024;

    private DeadLetters() {
    }

    /**
     * A dead letter for the record at {@code topic}/{@code partition}/{@code offset}, keeping up to
     * {@value #DEFAULT_MAX_ORIGINAL_BYTES} bytes of the original value.
     */
    public static DeadLetter deadLetter(DeadLetterReason reason, String detail, String topic, int partition,
                                        long offset, byte[] key, byte[] value, long failedAtUnixMs) {
        return deadLetter(reason, detail, topic, partition, offset, key, value, failedAtUnixMs, DEFAULT_MAX_ORIGINAL_BYTES);
    }

    /**
     * A dead letter for the record at {@code topic}/{@code partition}/{@code offset}. The original key and value are
     * kept byte for byte (null becomes empty) up to their limits, so a record that was not truncated can be replayed;
     * {@code detail} must not contain hidden-state values (the decoder's details never do).
     *
     * @param maxOriginalBytes how many bytes of the original value to keep (≥ 0)
     */
    public static DeadLetter deadLetter(DeadLetterReason reason, String detail, String topic, int partition,
                                        long offset, byte[] key, byte[] value, long failedAtUnixMs, int maxOriginalBytes) {
        if (reason == null || reason == DeadLetterReason.DEAD_LETTER_REASON_UNSPECIFIED
                || reason == DeadLetterReason.UNRECOGNIZED) {
            throw new IllegalArgumentException("a dead letter needs a specific reason, got " + reason);
        }
        if (maxOriginalBytes < 0) throw new IllegalArgumentException("maxOriginalBytes must be >= 0, got " + maxOriginalBytes);
        byte[] k = key == null ? new byte[0] : key;
        byte[] v = value == null ? new byte[0] : value;
        boolean keyCut = k.length > MAX_ORIGINAL_KEY_BYTES;
        boolean valueCut = v.length > maxOriginalBytes;
        return DeadLetter.newBuilder()
                .setSchemaVersion(SCHEMA_VERSION)
                .setReason(reason)
                .setDetail(clip(detail, MAX_DETAIL_CHARS))
                .setSourceTopic(clip(topic, 256))
                .setSourcePartition(partition)
                .setSourceOffset(offset)
                .setOriginalKey(ByteString.copyFrom(k, 0, keyCut ? MAX_ORIGINAL_KEY_BYTES : k.length))
                .setOriginalValue(ByteString.copyFrom(v, 0, valueCut ? maxOriginalBytes : v.length))
                .setFailedAtUnixMs(failedAtUnixMs)
                .setOriginalKeySize(k.length)
                .setOriginalValueSize(v.length)
                .setOriginalValueSha256(sha256Hex(v))
                .setOriginalKeyTruncated(keyCut)
                .setOriginalValueTruncated(valueCut)
                .build();
    }

    /** A dead letter for a decoder rejection. */
    public static DeadLetter deadLetter(HiddenStateDecoder.Rejected rejected, String topic, int partition,
                                        long offset, byte[] key, byte[] value, long failedAtUnixMs) {
        return deadLetter(rejected.reason(), rejected.detail(), topic, partition, offset, key, value, failedAtUnixMs);
    }

    /** {@code s} cut to {@code max} characters (with a marker saying how long it was); null becomes empty. */
    public static String clip(String s, int max) {
        if (s == null) return "";
        if (s.length() <= max) return s;
        String tail = "... [" + s.length() + " chars]";
        int keep = Math.max(0, max - tail.length());
        // Do not split a surrogate pair.
        if (keep > 0 && Character.isHighSurrogate(s.charAt(keep - 1))) keep--;
        return s.substring(0, keep) + tail;
    }

    /** Lower-case hex SHA-256 of {@code bytes}. */
    public static String sha256Hex(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }
}
