package dev.refusalmonitor.schemas;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.refusalmonitor.schemas.v1.DeadLetterReason;
import dev.refusalmonitor.schemas.v1.HiddenState;
import dev.refusalmonitor.schemas.v1.LayerActivation;

import java.io.IOException;

/**
 * Validates and decodes a serialized {@code HiddenState} (wire-format version 1) as the monitor reads it, one
 * record at a time. Never throws for bad input: the result is either {@link Decoded} or {@link Rejected} with a
 * {@link DeadLetterReason} from the fixed set and a detail string that names fields, layers and sizes but never
 * contains hidden-state values.
 *
 * <p>Checks, in order: parseable protobuf (MALFORMED); {@code schema_version} set (0 = unset: MISSING_FIELD) and equal
 * to 1 (UNSUPPORTED_SCHEMA_VERSION); request id, model id and at least one layer present (MISSING_FIELD); per layer:
 * layer index not seen before (DUPLICATE_LAYER), dtype f32/f16/bf16 (UNSUPPORTED_DTYPE), dim &gt; 0 (MISSING_FIELD),
 * data length = dim × element size (SIZE_MISMATCH), every decoded value finite (NON_FINITE).
 *
 * <p>Version 0 is rejected rather than read as 1: an unset version means the producer never declared which
 * format it writes, and silently accepting it would make a future version 2 ambiguous.
 *
 * <p>Allocation: the bytes fields alias the input array (no copy); each layer allocates one {@code float[dim]}.
 * Stateless and thread-safe.
 */
public final class HiddenStateDecoder {
    /** The wire-format version this decoder reads. */
    public static final int SCHEMA_VERSION = 1;

    /** The outcome of decoding one record. */
    public sealed interface Result permits Decoded, Rejected {
    }

    /** A valid record. */
    public record Decoded(DecodedHiddenState state) implements Result {
    }

    /** An invalid record: why, for the dead-letter topic and the metric tag. */
    public record Rejected(DeadLetterReason reason, String detail) implements Result {
    }

    public HiddenStateDecoder() {
    }

    /** Decodes {@code bytes} (a whole Kafka record value). {@code bytes} is not modified and not retained. */
    public Result decode(byte[] bytes) {
        if (bytes == null) return new Rejected(DeadLetterReason.DEAD_LETTER_REASON_MALFORMED, "null record value");
        HiddenState msg;
        try {
            CodedInputStream in = CodedInputStream.newInstance(bytes);
            // Aliasing: the layer bytes become views of `bytes` instead of copies; we only read them during decode.
            in.enableAliasing(true);
            msg = HiddenState.parseFrom(in);
        } catch (InvalidProtocolBufferException e) {
            return new Rejected(DeadLetterReason.DEAD_LETTER_REASON_MALFORMED,
                    "not a parseable HiddenState (" + bytes.length + " bytes): " + e.getMessage());
        } catch (IOException e) {
            return new Rejected(DeadLetterReason.DEAD_LETTER_REASON_MALFORMED,
                    "not a parseable HiddenState (" + bytes.length + " bytes): " + e);
        }
        return decode(msg);
    }

    /** Validates and decodes an already parsed record. */
    public Result decode(HiddenState msg) {
        int version = msg.getSchemaVersion();
        if (version == 0) {
            return new Rejected(DeadLetterReason.DEAD_LETTER_REASON_MISSING_FIELD,
                    "schema_version is unset (0); producers must set " + SCHEMA_VERSION);
        }
        if (version != SCHEMA_VERSION) {
            return new Rejected(DeadLetterReason.DEAD_LETTER_REASON_UNSUPPORTED_SCHEMA_VERSION,
                    "schema_version " + Integer.toUnsignedString(version) + " is not supported (this reader reads "
                            + SCHEMA_VERSION + ")");
        }
        if (msg.getRequestId().isEmpty()) return missing("request_id is empty");
        if (msg.getModelId().isEmpty()) return missing("model_id is empty");
        int count = msg.getLayersCount();
        if (count == 0) return missing("no layers");

        int[] indices = new int[count];
        float[][] values = new float[count][];
        for (int i = 0; i < count; i++) {
            LayerActivation layer = msg.getLayers(i);
            int index = layer.getLayer();
            String name = "layer " + Integer.toUnsignedString(index);
            if (index < 0) {
                // uint32 above 2^31-1: no model has that many layers.
                return new Rejected(DeadLetterReason.DEAD_LETTER_REASON_MALFORMED, name + " is not a valid layer index");
            }
            for (int j = 0; j < i; j++) {
                if (indices[j] == index) {
                    return new Rejected(DeadLetterReason.DEAD_LETTER_REASON_DUPLICATE_LAYER,
                            name + " appears more than once (entries " + j + " and " + i + ")");
                }
            }
            indices[i] = index;
            if (!TensorCodec.isSupported(layer.getDtype())) {
                return new Rejected(DeadLetterReason.DEAD_LETTER_REASON_UNSUPPORTED_DTYPE,
                        name + ": dtype " + dtypeName(layer) + " is not supported (D_TYPE_F32, D_TYPE_F16, D_TYPE_BF16)");
            }
            int dim = layer.getDim();
            if (dim == 0) return missing(name + ": dim is 0 (unset)");
            int size = TensorCodec.elementSize(layer.getDtype());
            long expected = Integer.toUnsignedLong(dim) * size;
            int actual = layer.getData().size();
            if (dim < 0 || actual != expected) {
                return new Rejected(DeadLetterReason.DEAD_LETTER_REASON_SIZE_MISMATCH,
                        name + ": data has " + actual + " bytes, expected " + expected + " (dim "
                                + Integer.toUnsignedString(dim) + " x " + size + " bytes for " + layer.getDtype() + ")");
            }
            float[] v = new float[dim];
            TensorCodec.decode(layer.getDtype(), layer.getData(), dim, v, 0);
            int bad = firstNonFinite(v);
            if (bad >= 0) {
                return new Rejected(DeadLetterReason.DEAD_LETTER_REASON_NON_FINITE,
                        name + ": non-finite value (NaN or infinity) at element " + bad + " of " + dim);
            }
            values[i] = v;
        }
        return new Decoded(new DecodedHiddenState(msg.getRequestId(), msg.getModelId(), msg.getModelRevision(),
                msg.getTenant(), msg.getRoute(), msg.getEventTimeUnixMs(), msg.getTokenPosition(),
                msg.getPromptTokens(), indices, values, msg.hasLabels() ? msg.getLabels() : null));
    }

    private static Rejected missing(String detail) {
        return new Rejected(DeadLetterReason.DEAD_LETTER_REASON_MISSING_FIELD, detail);
    }

    private static String dtypeName(LayerActivation layer) {
        return layer.getDtype() == dev.refusalmonitor.schemas.v1.DType.UNRECOGNIZED
                ? "value " + layer.getDtypeValue() : layer.getDtype().name();
    }

    /** Index of the first NaN or infinity, or -1. */
    static int firstNonFinite(float[] v) {
        // Every record is scanned, so the common all-finite case runs branch-free: (bits & exponent) + 2^23 reaches
        // 2^31 exactly when the exponent bits are all ones (NaN or infinity); OR-ing those over a block needs one
        // test per block. Only a block that trips is searched element by element.
        final int block = 512;
        for (int start = 0; start < v.length; start += block) {
            int end = Math.min(v.length, start + block);
            int acc = 0;
            for (int i = start; i < end; i++) acc |= (Float.floatToRawIntBits(v[i]) & 0x7f800000) + 0x00800000;
            if (acc < 0) {
                for (int i = start; i < end; i++)
                    if ((Float.floatToRawIntBits(v[i]) & 0x7f800000) == 0x7f800000) return i;
            }
        }
        return -1;
    }
}
