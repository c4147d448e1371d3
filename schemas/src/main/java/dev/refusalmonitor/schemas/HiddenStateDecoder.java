package dev.refusalmonitor.schemas;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.refusalmonitor.schemas.v1.DeadLetterReason;
import dev.refusalmonitor.schemas.v1.HiddenState;
import dev.refusalmonitor.schemas.v1.LayerActivation;

import java.io.IOException;
import java.util.HashSet;
import java.util.Set;

/**
 * Validates and decodes a serialized {@code HiddenState} (wire-format version 1) as the monitor reads it, one
 * record at a time. Never throws for bad input: the result is either {@link Decoded} or {@link Rejected} with a
 * {@link DeadLetterReason} from the fixed set and a detail string that names fields, layers and sizes but never
 * contains hidden-state values.
 *
 * <p>Before anything is parsed or allocated, the record is held to its {@link Limits}: at most
 * {@link Limits#maxRecordBytes} bytes (RECORD_TOO_LARGE); one pass over the raw bytes, without allocating, counts the
 * layers (at most {@link Limits#maxLayers}: TOO_MANY_LAYERS), checks the string fields' lengths (at most
 * {@link Limits#maxFieldBytes}: FIELD_TOO_LONG) and bounds unknown fields ({@link #MAX_UNKNOWN_FIELDS}: MALFORMED). A
 * layer's {@code dim} is checked against {@link Limits#maxDim} (DIM_TOO_LARGE) before its values are allocated, and
 * decoded values must be finite and at most {@link Limits#maxAbsValue} in magnitude (OUT_OF_RANGE). Every step is
 * linear in the record's size, so a record's decode time is bounded by {@code maxRecordBytes}.
 *
 * <p>Then, in order: parseable protobuf (MALFORMED); {@code schema_version} set (0 = unset: MISSING_FIELD) and equal
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
    /** Unknown fields tolerated per record (top level and inside layers and labels); more is MALFORMED. */
    public static final int MAX_UNKNOWN_FIELDS = 1024;
    /** Up to this many layers a record's duplicate check scans the indices seen; past it, a map. */
    private static final int SCAN_DUPLICATES_UP_TO = 32;

    /**
     * What one record may cost. Every limit is checked before the memory it guards is allocated.
     *
     * @param maxRecordBytes largest record value, in bytes
     * @param maxLayers most layers in one record
     * @param maxDim largest {@code dim} of one layer
     * @param maxFieldBytes longest request id, model id, model revision, tenant or route, in UTF-8 bytes
     * @param maxAbsValue largest |value| accepted; larger finite values are OUT_OF_RANGE (the scorers are exact only
     *                    up to a scale; see the monitor's README)
     */
    public record Limits(int maxRecordBytes, int maxLayers, int maxDim, int maxFieldBytes, double maxAbsValue) {
        /**
         * 4 MiB records, 256 layers, d ≤ 65536, 512-byte ids, any finite value (the wire format accepts every finite
         * value, golden vectors included; the monitor sets its own {@code maxAbsValue}).
         */
        public static final Limits DEFAULTS = new Limits(4 * 1024 * 1024, 256, 65_536, 512, Double.POSITIVE_INFINITY);

        /** These limits with another {@code maxAbsValue}. */
        public Limits withMaxAbsValue(double max) {
            return new Limits(maxRecordBytes, maxLayers, maxDim, maxFieldBytes, max);
        }

        public Limits {
            if (maxRecordBytes < 1) throw new IllegalArgumentException("maxRecordBytes must be >= 1, got " + maxRecordBytes);
            if (maxLayers < 1) throw new IllegalArgumentException("maxLayers must be >= 1, got " + maxLayers);
            if (maxDim < 1) throw new IllegalArgumentException("maxDim must be >= 1, got " + maxDim);
            if (maxFieldBytes < 1) throw new IllegalArgumentException("maxFieldBytes must be >= 1, got " + maxFieldBytes);
            if (!(maxAbsValue > 0)) throw new IllegalArgumentException("maxAbsValue must be > 0, got " + maxAbsValue);
        }
    }

    /** The outcome of decoding one record. */
    public sealed interface Result permits Decoded, Rejected {
    }

    /** A valid record. */
    public record Decoded(DecodedHiddenState state) implements Result {
    }

    /** An invalid record: why, for the dead-letter topic and the metric tag. */
    public record Rejected(DeadLetterReason reason, String detail) implements Result {
    }

    private final Limits limits;

    /** A decoder with {@link Limits#DEFAULTS}. */
    public HiddenStateDecoder() {
        this(Limits.DEFAULTS);
    }

    public HiddenStateDecoder(Limits limits) {
        this.limits = limits;
    }

    public Limits limits() {
        return limits;
    }

    /** Decodes {@code bytes} (a whole Kafka record value). {@code bytes} is not modified and not retained. */
    public Result decode(byte[] bytes) {
        if (bytes == null) return new Rejected(DeadLetterReason.DEAD_LETTER_REASON_MALFORMED, "null record value");
        if (bytes.length > limits.maxRecordBytes()) {
            return new Rejected(DeadLetterReason.DEAD_LETTER_REASON_RECORD_TOO_LARGE, "record has " + bytes.length
                    + " bytes, the limit is " + limits.maxRecordBytes());
        }
        Rejected shape = prescan(bytes);
        if (shape != null) return shape;
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

    // HiddenState field numbers (hidden_state.proto).
    private static final int F_REQUEST_ID = 2, F_MODEL_ID = 3, F_MODEL_REVISION = 4, F_TENANT = 5, F_ROUTE = 6,
            F_LAYERS = 9, F_LABELS = 10, KNOWN_TOP_LEVEL_MAX = 11;

    /**
     * One pass over the raw bytes that allocates nothing: counts layers, checks string lengths and bounds unknown
     * fields, so that parsing (which allocates per layer and per unknown field) only ever sees a bounded record.
     * Returns null when the record may be parsed; a malformed encoding is left to the parser to report.
     */
    private Rejected prescan(byte[] bytes) {
        CodedInputStream in = CodedInputStream.newInstance(bytes);
        int layers = 0;
        int unknown = 0;
        try {
            while (true) {
                int tag = in.readTag();
                if (tag == 0) break;
                int field = tag >>> 3;
                int wireType = tag & 7;
                if (wireType == 2 && field >= F_REQUEST_ID && field <= F_ROUTE) {
                    int len = in.readRawVarint32();
                    if (len > limits.maxFieldBytes()) {
                        return new Rejected(DeadLetterReason.DEAD_LETTER_REASON_FIELD_TOO_LONG, fieldName(field) + " has "
                                + Integer.toUnsignedString(len) + " bytes, the limit is " + limits.maxFieldBytes());
                    }
                    if (len < 0) return null;
                    in.skipRawBytes(len);
                } else if (wireType == 2 && (field == F_LAYERS || field == F_LABELS)) {
                    if (field == F_LAYERS && ++layers > limits.maxLayers()) {
                        return new Rejected(DeadLetterReason.DEAD_LETTER_REASON_TOO_MANY_LAYERS, "more than "
                                + limits.maxLayers() + " layers (the limit)");
                    }
                    int len = in.readRawVarint32();
                    if (len < 0) return null;
                    int limit = in.pushLimit(len);
                    // Inside a LayerActivation (fields 1-4) or Labels (fields 1-4): count what is not ours.
                    while (true) {
                        int t = in.readTag();
                        if (t == 0) break;
                        if ((t >>> 3) > 4 && ++unknown > MAX_UNKNOWN_FIELDS) return tooManyUnknown();
                        if (!in.skipField(t)) return null;
                    }
                    in.popLimit(limit);
                } else {
                    if ((field < 1 || field >= KNOWN_TOP_LEVEL_MAX) && ++unknown > MAX_UNKNOWN_FIELDS) return tooManyUnknown();
                    if (!in.skipField(tag)) return null;
                }
            }
        } catch (IOException | RuntimeException e) {
            return null; // the parser reports it as MALFORMED with its own message
        }
        return null;
    }

    private static Rejected tooManyUnknown() {
        return new Rejected(DeadLetterReason.DEAD_LETTER_REASON_MALFORMED, "more than " + MAX_UNKNOWN_FIELDS
                + " unknown fields");
    }

    private static String fieldName(int field) {
        return switch (field) {
            case F_REQUEST_ID -> "request_id";
            case F_MODEL_ID -> "model_id";
            case F_MODEL_REVISION -> "model_revision";
            case F_TENANT -> "tenant";
            case F_ROUTE -> "route";
            default -> "field " + field;
        };
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
        for (String[] f : new String[][]{{"request_id", msg.getRequestId()}, {"model_id", msg.getModelId()},
                {"model_revision", msg.getModelRevision()}, {"tenant", msg.getTenant()}, {"route", msg.getRoute()}}) {
            // Characters ≤ UTF-8 bytes: a string within the limit in characters may still be over it in bytes.
            if (f[1].length() > limits.maxFieldBytes()
                    || f[1].getBytes(java.nio.charset.StandardCharsets.UTF_8).length > limits.maxFieldBytes()) {
                return new Rejected(DeadLetterReason.DEAD_LETTER_REASON_FIELD_TOO_LONG, f[0] + " is longer than "
                        + limits.maxFieldBytes() + " bytes (the limit)");
            }
        }
        int count = msg.getLayersCount();
        if (count == 0) return missing("no layers");
        if (count > limits.maxLayers()) {
            return new Rejected(DeadLetterReason.DEAD_LETTER_REASON_TOO_MANY_LAYERS, count + " layers, the limit is "
                    + limits.maxLayers());
        }

        int[] indices = new int[count];
        float[][] values = new float[count][];
        // Duplicates: a scan of the indices seen so far for the usual few layers, a map (linear) past that.
        java.util.Map<Integer, Integer> seen = count > SCAN_DUPLICATES_UP_TO ? new java.util.HashMap<>(count * 2) : null;
        int limitBits = limitBits(limits.maxAbsValue());
        for (int i = 0; i < count; i++) {
            LayerActivation layer = msg.getLayers(i);
            int index = layer.getLayer();
            if (index < 0) {
                // uint32 above 2^31-1: no model has that many layers.
                return new Rejected(DeadLetterReason.DEAD_LETTER_REASON_MALFORMED, layerName(index) + " is not a valid layer index");
            }
            int first = seen != null ? seen.getOrDefault(index, -1) : indexOf(indices, i, index);
            if (first >= 0) {
                return new Rejected(DeadLetterReason.DEAD_LETTER_REASON_DUPLICATE_LAYER,
                        layerName(index) + " appears more than once (entries " + first + " and " + i + ")");
            }
            if (seen != null) seen.put(index, i);
            indices[i] = index;
            if (!TensorCodec.isSupported(layer.getDtype())) {
                return new Rejected(DeadLetterReason.DEAD_LETTER_REASON_UNSUPPORTED_DTYPE, layerName(index) + ": dtype "
                        + dtypeName(layer) + " is not supported (D_TYPE_F32, D_TYPE_F16, D_TYPE_BF16)");
            }
            int dim = layer.getDim();
            if (dim == 0) return missing(layerName(index) + ": dim is 0 (unset)");
            if (dim < 0 || dim > limits.maxDim()) {
                return new Rejected(DeadLetterReason.DEAD_LETTER_REASON_DIM_TOO_LARGE, layerName(index) + ": dim "
                        + Integer.toUnsignedString(dim) + " is over the limit " + limits.maxDim());
            }
            int size = TensorCodec.elementSize(layer.getDtype());
            long expected = Integer.toUnsignedLong(dim) * size;
            int actual = layer.getData().size();
            if (dim < 0 || actual != expected) {
                return new Rejected(DeadLetterReason.DEAD_LETTER_REASON_SIZE_MISMATCH,
                        layerName(index) + ": data has " + actual + " bytes, expected " + expected + " (dim "
                                + Integer.toUnsignedString(dim) + " x " + size + " bytes for " + layer.getDtype() + ")");
            }
            float[] v = new float[dim];
            TensorCodec.decode(layer.getDtype(), layer.getData(), dim, v, 0);
            // One pass decides that every value is finite and within the limit (every record takes it); only a
            // layer that fails it is searched again for the reason and the element.
            if (anyOutside(v, limitBits)) {
                int bad = firstNonFinite(v);
                if (bad >= 0) {
                    return new Rejected(DeadLetterReason.DEAD_LETTER_REASON_NON_FINITE,
                            layerName(index) + ": non-finite value (NaN or infinity) at element " + bad + " of " + dim);
                }
                int far = firstAbove(v, limits.maxAbsValue());
                return new Rejected(DeadLetterReason.DEAD_LETTER_REASON_OUT_OF_RANGE,
                        layerName(index) + ": |value| above " + limits.maxAbsValue() + " at element " + far + " of " + dim);
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

    private static String layerName(int index) {
        return "layer " + Integer.toUnsignedString(index);
    }

    /** Entry of {@code index} among {@code indices[0..n)}, or -1. */
    private static int indexOf(int[] indices, int n, int index) {
        for (int j = 0; j < n; j++) if (indices[j] == index) return j;
        return -1;
    }

    /**
     * The bits of the largest finite float ≤ max (max ≥ 0): for a float x, |x| > max or x is NaN or infinite exactly
     * when (bits(x) &amp; 0x7fffffff) exceeds this, because non-negative floats order as their bit patterns and NaN and
     * infinity lie above every finite one.
     */
    static int limitBits(double max) {
        float f = max >= Float.MAX_VALUE ? Float.MAX_VALUE : (float) max;
        if (f > max) f = Math.nextDown(f);
        return Float.floatToRawIntBits(f);
    }

    /** Whether any value is NaN, infinite or above the limit of {@link #limitBits}, in one branch-free pass. */
    static boolean anyOutside(float[] v, int limitBits) {
        // limitBits − |bits| is negative exactly for a value past the limit; OR-ing keeps the sign of any of them.
        int acc = 0;
        for (float x : v) acc |= limitBits - (Float.floatToRawIntBits(x) & 0x7fffffff);
        return acc < 0;
    }

    /** Index of the first value with |v| > max, or -1 (v is all finite here). */
    static int firstAbove(float[] v, double max) {
        for (int i = 0; i < v.length; i++) if (Math.abs(v[i]) > max) return i;
        return -1;
    }

    /** Index of the first NaN or infinity, or -1. */
    static int firstNonFinite(float[] v) {
        for (int i = 0; i < v.length; i++) if (!Float.isFinite(v[i])) return i;
        return -1;
    }
}
