package dev.refusalmonitor.trainer.reservoir;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * A bounded uniform sample of one class's rows (Vitter's Algorithm R): after {@code seen} offers, each offered row is
 * kept with probability min(1, capacity / seen), so old and new traffic are both represented. Rows carry one
 * vector per layer of the reservoir's layer set and an integer response label.
 *
 * <p>Memory: the row storage grows geometrically up to {@code capacity × L × d} floats and is never larger
 * ({@link #allocatedBytes()}). Not thread-safe; {@link SampleReservoir} serialises access.
 */
public final class ClassReservoir {
    private final int capacity;
    private final int layerCount;
    private final int d;
    private final SplittableRandom random;
    /** Per layer, row-major [allocatedRows, d]. */
    private final float[][] rows;
    private int[] responses;
    private int allocatedRows;
    private int size;
    private long seen;

    /**
     * @param capacity most rows kept (&ge; 1)
     * @param layerCount L, vectors per row
     * @param d values per vector
     * @param seed seeds the replacement choices
     */
    public ClassReservoir(int capacity, int layerCount, int d, long seed) {
        if (capacity < 1) throw new IllegalArgumentException("reservoir capacity must be >= 1, got " + capacity);
        if (layerCount < 1) throw new IllegalArgumentException("layer count must be >= 1, got " + layerCount);
        if (d < 1) throw new IllegalArgumentException("d must be >= 1, got " + d);
        long floats = (long) capacity * d;
        if (floats > Integer.MAX_VALUE - 8)
            throw new IllegalArgumentException("reservoir of " + capacity + " rows x d = " + d
                    + " exceeds a Java array per layer; lower the reservoir size");
        this.capacity = capacity;
        this.layerCount = layerCount;
        this.d = d;
        this.random = new SplittableRandom(seed);
        this.rows = new float[layerCount][0];
        this.responses = new int[0];
    }

    /**
     * Offers one row. {@code vectors[l]} is the row's vector for the l-th layer of the set, each of length d (copied,
     * not retained).
     *
     * @return the slot the row went to, or -1 when Algorithm R dropped it
     */
    public int offer(float[][] vectors, int response) {
        if (vectors.length != layerCount)
            throw new IllegalArgumentException(vectors.length + " layer vectors for a reservoir of " + layerCount + " layers");
        for (float[] v : vectors)
            if (v.length != d) throw new IllegalArgumentException("vector of length " + v.length + " for d = " + d);
        seen++;
        int slot;
        if (size < capacity) {
            ensureRows(size + 1);
            slot = size++;
        } else {
            long j = random.nextLong(seen);
            if (j >= capacity) return -1;
            slot = (int) j;
        }
        for (int l = 0; l < layerCount; l++) System.arraycopy(vectors[l], 0, rows[l], slot * d, d);
        responses[slot] = response;
        return slot;
    }

    private void ensureRows(int needed) {
        if (needed <= allocatedRows) return;
        int grown = (int) Math.min(capacity, Math.max(needed, Math.max(16L, 2L * allocatedRows)));
        for (int l = 0; l < layerCount; l++) rows[l] = Arrays.copyOf(rows[l], grown * d);
        responses = Arrays.copyOf(responses, grown);
        allocatedRows = grown;
    }

    /** Rows kept now (&le; capacity). */
    public int size() {
        return size;
    }

    /** Rows offered since creation. */
    public long seen() {
        return seen;
    }

    public int capacity() {
        return capacity;
    }

    /** Bytes held by the row storage now (vectors and labels). */
    public long allocatedBytes() {
        return (long) allocatedRows * layerCount * d * Float.BYTES + (long) allocatedRows * Integer.BYTES;
    }

    /** Bytes the row storage holds when full: capacity × L × d floats plus one int label per row. */
    public long capacityBytes() {
        return (long) capacity * layerCount * d * Float.BYTES + (long) capacity * Integer.BYTES;
    }

    /** A copy of layer {@code layerIndex}'s kept rows, row-major [size, d]. */
    public float[] copyLayer(int layerIndex) {
        return Arrays.copyOf(rows[layerIndex], size * d);
    }

    /** A copy of the kept rows' response labels. */
    public int[] copyResponses() {
        return Arrays.copyOf(responses, size);
    }
}
