package dev.refusalmonitor.math.drift;

import java.util.Arrays;

/**
 * A fixed-bin histogram of one score, mergeable with any histogram of the same layout. Memory is one {@code long} per
 * bin plus the (shared, immutable) edges; adding a value allocates nothing.
 *
 * <p>Two layouts:
 * <ul>
 *   <li><b>bounded</b> ({@link #bounded}, {@link #probability}): {@code bins} equal bins over [lo, hi]. Bin i holds
 *       [lo + i·w, lo + (i+1)·w) with w = (hi − lo)/bins; the last bin also holds hi. Values outside [lo, hi] are
 *       clamped into the first or last bin (a probability of 1 + 1e-12 from rounding is still a probability).</li>
 *   <li><b>edges with under/overflow</b> ({@link #withEdges}): for strictly increasing edges e_0 &lt; … &lt; e_k there
 *       are k + 1 bins: bin 0 = (−∞, e_0) (underflow), bin j = [e_{j−1}, e_j) for 1 ≤ j ≤ k − 1, and bin k =
 *       [e_{k−1}, +∞) (overflow). For unbounded scores such as the Mahalanobis refusal score d_S − d_H.</li>
 * </ul>
 * NaN is rejected (a NaN score is a scoring bug, not a bin). Not thread-safe.
 */
public final class ScoreHistogram {
    private final double lo;
    private final double hi;
    /** Null for the bounded layout; shared between copies and never written after construction. */
    private final double[] edges;
    private final long[] counts;
    private long total;

    private ScoreHistogram(double lo, double hi, double[] edges, int bins) {
        this.lo = lo;
        this.hi = hi;
        this.edges = edges;
        this.counts = new long[bins];
    }

    /** {@code bins} equal bins over [lo, hi]; values outside are clamped into the end bins. */
    public static ScoreHistogram bounded(double lo, double hi, int bins) {
        if (!(Double.isFinite(lo) && Double.isFinite(hi) && lo < hi)) {
            throw new IllegalArgumentException("bounded histogram needs finite lo < hi, got [" + lo + ", " + hi + "]");
        }
        if (bins < 2) throw new IllegalArgumentException("a histogram needs at least 2 bins, got " + bins);
        return new ScoreHistogram(lo, hi, null, bins);
    }

    /** {@code bins} equal bins over the probability range [0, 1] (20 to 50 bins is the usual choice). */
    public static ScoreHistogram probability(int bins) {
        return bounded(0.0, 1.0, bins);
    }

    /**
     * Bins from strictly increasing finite edges e_0 &lt; … &lt; e_k, plus an underflow bin (−∞, e_0) and an overflow bin
     * [e_k, +∞): k + 2 bins in all. Example: edges −10, −9, …, 10 give 22 bins.
     */
    public static ScoreHistogram withEdges(double... edges) {
        if (edges == null || edges.length < 1) throw new IllegalArgumentException("need at least one edge");
        for (int i = 0; i < edges.length; i++) {
            if (!Double.isFinite(edges[i])) throw new IllegalArgumentException("edge " + i + " is not finite: " + edges[i]);
            if (i > 0 && !(edges[i] > edges[i - 1])) {
                throw new IllegalArgumentException("edges must be strictly increasing: edge " + i + " = " + edges[i]
                        + " after " + edges[i - 1]);
            }
        }
        return new ScoreHistogram(Double.NaN, Double.NaN, edges.clone(), edges.length + 1);
    }

    /** Evenly spaced edges lo, lo + step, …, hi (inclusive), for {@link #withEdges}. */
    public static double[] linearEdges(double lo, double hi, int intervals) {
        if (!(Double.isFinite(lo) && Double.isFinite(hi) && lo < hi) || intervals < 1) {
            throw new IllegalArgumentException("linearEdges needs finite lo < hi and intervals ≥ 1, got [" + lo + ", "
                    + hi + "], " + intervals);
        }
        double[] e = new double[intervals + 1];
        for (int i = 0; i <= intervals; i++) e[i] = lo + (hi - lo) * i / intervals;
        e[intervals] = hi;
        return e;
    }

    /** A histogram with the same layout and no counts. */
    public ScoreHistogram emptyCopy() {
        return new ScoreHistogram(lo, hi, edges, counts.length);
    }

    /** A histogram with the same layout and counts. */
    public ScoreHistogram copy() {
        ScoreHistogram h = emptyCopy();
        h.merge(this);
        return h;
    }

    /** The bin index x falls in (see the class comment). */
    public int binOf(double x) {
        if (Double.isNaN(x)) throw new IllegalArgumentException("cannot bin NaN");
        if (edges == null) {
            int b = (int) Math.floor((x - lo) / (hi - lo) * counts.length);
            return b < 0 ? 0 : Math.min(b, counts.length - 1);
        }
        // Number of edges ≤ x is exactly the bin index: 0 = underflow, edges.length = overflow.
        int pos = Arrays.binarySearch(edges, x);
        return pos >= 0 ? pos + 1 : -pos - 1;
    }

    /** Counts x once. Modifies this histogram. */
    public void add(double x) {
        counts[binOf(x)]++;
        total++;
    }

    /** Adds {@code other}'s counts to this one's. Modifies this histogram; {@code other} is not modified. */
    public void merge(ScoreHistogram other) {
        requireSameLayout(other);
        for (int i = 0; i < counts.length; i++) counts[i] += other.counts[i];
        total += other.total;
    }

    /** Zeroes every count, keeping the layout. */
    public void clear() {
        Arrays.fill(counts, 0L);
        total = 0;
    }

    public int binCount() {
        return counts.length;
    }

    public long count(int bin) {
        return counts[bin];
    }

    /** Number of values added (the sum of the bin counts). */
    public long total() {
        return total;
    }

    /** The bin counts, copied into {@code out} (null = allocate), which is returned. */
    public long[] counts(long[] out) {
        if (out == null) out = new long[counts.length];
        if (out.length != counts.length) {
            throw new IllegalArgumentException("out has length " + out.length + ", histogram has " + counts.length
                    + " bins");
        }
        System.arraycopy(counts, 0, out, 0, counts.length);
        return out;
    }

    /**
     * Replaces the counts with {@code bins} (one per bin; copied), e.g. when a window is read back from a state store.
     * Modifies this histogram.
     */
    public void restore(long[] bins) {
        if (bins.length != counts.length) {
            throw new IllegalArgumentException("got " + bins.length + " bin counts for a histogram of " + counts.length + " bins");
        }
        long sum = 0;
        for (long c : bins) {
            if (c < 0) throw new IllegalArgumentException("negative bin count " + c);
            sum = Math.addExact(sum, c);
        }
        System.arraycopy(bins, 0, counts, 0, counts.length);
        total = sum;
    }

    /** Read-only access for the statistics without a copy. */
    long[] countsView() {
        return counts;
    }

    /** True when both histograms bin every value identically. */
    public boolean sameLayout(ScoreHistogram other) {
        if (counts.length != other.counts.length) return false;
        if (edges == null) return other.edges == null && lo == other.lo && hi == other.hi;
        return other.edges != null && (edges == other.edges || Arrays.equals(edges, other.edges));
    }

    void requireSameLayout(ScoreHistogram other) {
        if (!sameLayout(other)) {
            throw new IllegalArgumentException("histogram layouts differ: " + describe() + " vs " + other.describe());
        }
    }

    /** A short description of the layout, e.g. {@code bounded[0.0,1.0]x20} or {@code edges[-10.0..10.0]+under/over}. */
    public String describe() {
        if (edges == null) return "bounded[" + lo + "," + hi + "]x" + counts.length;
        return "edges[" + edges[0] + ".." + edges[edges.length - 1] + "](" + edges.length + " edges)+under/over";
    }

    @Override
    public String toString() {
        return describe() + " n=" + total + " " + Arrays.toString(counts);
    }
}
