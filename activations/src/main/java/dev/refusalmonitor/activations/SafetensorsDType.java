package dev.refusalmonitor.activations;

/**
 * Element types of the safetensors format (the {@code dtype} strings of its JSON header) with their sizes.
 * {@link SafetensorsReader} reads the floating types F16, BF16, F32, F64 as floats and I32, I64 as longs; the others
 * are recognised (so a file holding them is still validated) but cannot be read as activations.
 */
public enum SafetensorsDType {
    BOOL(1), U8(1), I8(1), F8_E5M2(1), F8_E4M3(1), I16(2), U16(2), F16(2), BF16(2), I32(4), U32(4), F32(4),
    I64(8), U64(8), F64(8);

    private final int size;

    SafetensorsDType(int size) {
        this.size = size;
    }

    /** Bytes per element. */
    public int size() {
        return size;
    }

    /** True for F16, BF16, F32, F64: readable with {@link SafetensorsReader#readFloats}. */
    public boolean isFloat() {
        return this == F16 || this == BF16 || this == F32 || this == F64;
    }

    /** True for I32, I64: readable with {@link SafetensorsReader#readLongs}. */
    public boolean isInteger() {
        return this == I32 || this == I64;
    }

    /** The dtype for a header string, or null if the format has no such dtype. */
    static SafetensorsDType parse(String s) {
        for (SafetensorsDType t : values()) if (t.name().equals(s)) return t;
        return null;
    }
}
