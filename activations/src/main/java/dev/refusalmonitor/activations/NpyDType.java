package dev.refusalmonitor.activations;

/** The NumPy element types we read and write (always little-endian on disk). */
public enum NpyDType {
    F16("<f2", 2), F32("<f4", 4), F64("<f8", 8);

    private final String descr;
    private final int size;

    NpyDType(String descr, int size) {
        this.descr = descr;
        this.size = size;
    }

    /** The NumPy {@code descr} string, e.g. {@code <f4}. */
    public String descr() {
        return descr;
    }

    public int size() {
        return size;
    }
}
