package dev.refusalmonitor.math.drift;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One window's counts for one slice: n, Σ probe probability, flagged, CAST fired and OOD counts, counts per sector
 * (a fixed, bounded list of names plus one {@link #OTHER_SECTOR} bucket for any other or missing name), and
 * histograms of the probe probability and of the Mahalanobis refusal score d_S − d_H. Memory is O(bins + sectors);
 * {@link #add} allocates nothing. Mergeable (a reference is the merge of windows). Not thread-safe.
 */
public final class WindowAggregate {
    /** Sector bucket for a sector name outside the configured list, or none. */
    public static final String OTHER_SECTOR = "_other";

    private final List<String> sectorNames;
    private final long[] sectorCounts;
    private final ScoreHistogram probability;
    private final ScoreHistogram mahalanobis;
    private long n;
    private double sumProbeProbability;
    private long flagged;
    private long castFired;
    private long ood;

    /**
     * An empty aggregate.
     *
     * @param sectorNames         the sector names to count separately (bounded; copied)
     * @param probabilityTemplate layout for the probe-probability histogram (not modified; its counts are ignored)
     * @param mahalanobisTemplate layout for the Mahalanobis refusal-score histogram (not modified)
     */
    public WindowAggregate(List<String> sectorNames, ScoreHistogram probabilityTemplate,
                           ScoreHistogram mahalanobisTemplate) {
        if (sectorNames.contains(OTHER_SECTOR)) {
            throw new IllegalArgumentException("sector name " + OTHER_SECTOR + " is reserved for unlisted sectors");
        }
        if (sectorNames.stream().distinct().count() != sectorNames.size()) {
            throw new IllegalArgumentException("sector names repeat: " + sectorNames);
        }
        this.sectorNames = List.copyOf(sectorNames);
        this.sectorCounts = new long[sectorNames.size() + 1];
        this.probability = probabilityTemplate.emptyCopy();
        this.mahalanobis = mahalanobisTemplate.emptyCopy();
    }

    /** An empty aggregate with the same sectors and histogram layouts. */
    public WindowAggregate emptyCopy() {
        return new WindowAggregate(sectorNames, probability, mahalanobis);
    }

    /**
     * Counts one request. Modifies this aggregate.
     *
     * @param probeProbability   probe p(H) in [0, 1]
     * @param flagged            probe probability ≥ the set's threshold
     * @param castFired          the CAST condition fired
     * @param ood                the OOD tail probability was below the configured level
     * @param mahalanobisRefusal d_S − d_H (positive = closer to harmful)
     * @param sector             the refusal-plane sector name; null or unlisted counts as {@link #OTHER_SECTOR}
     */
    public void add(double probeProbability, boolean flagged, boolean castFired, boolean ood,
                    double mahalanobisRefusal, String sector) {
        if (!(probeProbability >= 0 && probeProbability <= 1)) {
            throw new IllegalArgumentException("probe probability must be in [0, 1], got " + probeProbability);
        }
        if (Double.isNaN(mahalanobisRefusal)) throw new IllegalArgumentException("Mahalanobis refusal score is NaN");
        n++;
        sumProbeProbability += probeProbability;
        if (flagged) this.flagged++;
        if (castFired) this.castFired++;
        if (ood) this.ood++;
        sectorCounts[sectorIndex(sector)]++;
        probability.add(probeProbability);
        mahalanobis.add(mahalanobisRefusal);
    }

    private int sectorIndex(String sector) {
        if (sector != null) {
            // A linear scan: the list is a handful of names, and indexOf would allocate nothing either.
            for (int i = 0; i < sectorNames.size(); i++) if (sectorNames.get(i).equals(sector)) return i;
        }
        return sectorNames.size();
    }

    /** Adds {@code other}'s counts to this one's. Modifies this aggregate; {@code other} is not modified. */
    public void merge(WindowAggregate other) {
        if (!sectorNames.equals(other.sectorNames)) {
            throw new IllegalArgumentException("sector lists differ: " + sectorNames + " vs " + other.sectorNames);
        }
        probability.merge(other.probability);
        mahalanobis.merge(other.mahalanobis);
        n += other.n;
        sumProbeProbability += other.sumProbeProbability;
        flagged += other.flagged;
        castFired += other.castFired;
        ood += other.ood;
        for (int i = 0; i < sectorCounts.length; i++) sectorCounts[i] += other.sectorCounts[i];
    }

    /**
     * Replaces every count (a window read back from a state store). The sector counts follow
     * {@link #sectorBuckets()}; both histograms and the sector counts must sum to n. Modifies this aggregate.
     */
    public void restore(long n, double sumProbeProbability, long flagged, long castFired, long ood, long[] sectorCounts,
                        long[] probabilityBins, long[] mahalanobisBins) {
        if (sectorCounts.length != this.sectorCounts.length) {
            throw new IllegalArgumentException("got " + sectorCounts.length + " sector counts for "
                    + this.sectorCounts.length + " sector buckets");
        }
        long sectors = 0;
        for (long c : sectorCounts) {
            if (c < 0) throw new IllegalArgumentException("negative sector count " + c);
            sectors = Math.addExact(sectors, c);
        }
        if (n < 0 || flagged < 0 || flagged > n || castFired < 0 || castFired > n || ood < 0 || ood > n || sectors != n
                || !(sumProbeProbability >= 0 && sumProbeProbability <= n)) {
            throw new IllegalArgumentException("inconsistent window counts: n=" + n + ", flagged=" + flagged + ", cast="
                    + castFired + ", ood=" + ood + ", sectors=" + sectors + ", sum p=" + sumProbeProbability);
        }
        probability.restore(probabilityBins);
        mahalanobis.restore(mahalanobisBins);
        if (probability.total() != n || mahalanobis.total() != n) {
            throw new IllegalArgumentException("histogram totals " + probability.total() + ", " + mahalanobis.total()
                    + " differ from n=" + n);
        }
        System.arraycopy(sectorCounts, 0, this.sectorCounts, 0, sectorCounts.length);
        this.n = n;
        this.sumProbeProbability = sumProbeProbability;
        this.flagged = flagged;
        this.castFired = castFired;
        this.ood = ood;
    }

    /** A copy of the sector counts in {@link #sectorBuckets()} order. */
    public long[] sectorCounts() {
        return sectorCounts.clone();
    }

    /** Zeroes every count. */
    public void clear() {
        n = 0;
        sumProbeProbability = 0;
        flagged = castFired = ood = 0;
        java.util.Arrays.fill(sectorCounts, 0L);
        probability.clear();
        mahalanobis.clear();
    }

    public long n() {
        return n;
    }

    public double sumProbeProbability() {
        return sumProbeProbability;
    }

    public long flaggedCount() {
        return flagged;
    }

    public long castFiredCount() {
        return castFired;
    }

    public long oodCount() {
        return ood;
    }

    /** Mean probe probability; NaN when empty. */
    public double probeProbabilityMean() {
        return n == 0 ? Double.NaN : sumProbeProbability / n;
    }

    public double flaggedRate() {
        return n == 0 ? Double.NaN : (double) flagged / n;
    }

    public double castFireRate() {
        return n == 0 ? Double.NaN : (double) castFired / n;
    }

    public double oodRate() {
        return n == 0 ? Double.NaN : (double) ood / n;
    }

    /** The configured sector names followed by {@link #OTHER_SECTOR}. */
    public List<String> sectorBuckets() {
        List<String> all = new ArrayList<>(sectorNames);
        all.add(OTHER_SECTOR);
        return Collections.unmodifiableList(all);
    }

    /** Count for a sector bucket name (configured name or {@link #OTHER_SECTOR}); 0 for an unknown name. */
    public long sectorCount(String sector) {
        if (OTHER_SECTOR.equals(sector)) return sectorCounts[sectorNames.size()];
        int i = sectorNames.indexOf(sector);
        return i < 0 ? 0 : sectorCounts[i];
    }

    /** Share of each sector bucket (configured order, then {@link #OTHER_SECTOR}); shares are NaN when empty. */
    public Map<String, Double> sectorShares() {
        Map<String, Double> m = new LinkedHashMap<>();
        for (int i = 0; i < sectorCounts.length; i++) {
            String name = i < sectorNames.size() ? sectorNames.get(i) : OTHER_SECTOR;
            m.put(name, n == 0 ? Double.NaN : (double) sectorCounts[i] / n);
        }
        return Collections.unmodifiableMap(m);
    }

    /** Sector counts in bucket order, without a copy (for the statistics). */
    long[] sectorCountsView() {
        return sectorCounts;
    }

    /** The probe-probability histogram (live view: do not modify). */
    public ScoreHistogram probabilityHistogram() {
        return probability;
    }

    /** The Mahalanobis refusal-score histogram (live view: do not modify). */
    public ScoreHistogram mahalanobisHistogram() {
        return mahalanobis;
    }
}
