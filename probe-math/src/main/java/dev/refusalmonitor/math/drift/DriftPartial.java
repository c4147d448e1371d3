package dev.refusalmonitor.math.drift;

/**
 * Requests of one slice counted by one scoring task before they are handed to the slice's owner: all scored with one
 * direction-set version and, with time-based windows, all in one time bucket, so a partial never straddles a window
 * boundary the owner would draw. Not thread-safe.
 */
public final class DriftPartial {
    private final SliceKey key;
    private final long directionsVersion;
    private final long bucketStart;
    private final WindowAggregate counts;
    private long firstEventMs = Long.MAX_VALUE;
    private long lastEventMs = Long.MIN_VALUE;

    /**
     * An empty partial.
     *
     * @param bucketStart start of the time bucket its requests fall in (0 with count-only windows)
     */
    public DriftPartial(SliceKey key, long directionsVersion, long bucketStart, WindowAggregate empty) {
        if (empty.n() != 0) throw new IllegalArgumentException("a new partial starts empty");
        this.key = key;
        this.directionsVersion = directionsVersion;
        this.bucketStart = bucketStart;
        this.counts = empty;
    }

    /** A partial read back from storage (counts already restored). */
    public static DriftPartial of(SliceKey key, long directionsVersion, long bucketStart, long firstEventMs,
                                  long lastEventMs, WindowAggregate counts) {
        if (counts.n() > 0 && firstEventMs > lastEventMs) {
            throw new IllegalArgumentException("first event " + firstEventMs + " after last " + lastEventMs);
        }
        DriftPartial p = new DriftPartial(key, directionsVersion, bucketStart, counts.emptyCopy());
        p.counts.merge(counts);
        p.firstEventMs = firstEventMs;
        p.lastEventMs = lastEventMs;
        return p;
    }

    /** The time bucket of {@code eventTimeMs} (0 with count-only windows). */
    public static long bucketOf(long eventTimeMs, long windowDurationMs) {
        return windowDurationMs > 0 ? Math.floorDiv(eventTimeMs, windowDurationMs) * windowDurationMs : 0;
    }

    /** Whether a request of this version and bucket may join this partial. */
    public boolean accepts(long version, long bucket) {
        return version == directionsVersion && bucket == bucketStart;
    }

    /** Counts one request (arguments as {@link WindowAggregate#add}). */
    public void add(double probeProbability, boolean flagged, boolean castFired, boolean ood,
                    double mahalanobisRefusal, String sector, long eventTimeMs) {
        counts.add(probeProbability, flagged, castFired, ood, mahalanobisRefusal, sector);
        firstEventMs = Math.min(firstEventMs, eventTimeMs);
        lastEventMs = Math.max(lastEventMs, eventTimeMs);
    }

    public SliceKey key() {
        return key;
    }

    public long directionsVersion() {
        return directionsVersion;
    }

    public long bucketStart() {
        return bucketStart;
    }

    public long firstEventMs() {
        return firstEventMs;
    }

    public long lastEventMs() {
        return lastEventMs;
    }

    /** The counts (live view: do not modify). */
    public WindowAggregate counts() {
        return counts;
    }
}
