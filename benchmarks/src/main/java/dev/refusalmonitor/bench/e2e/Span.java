package dev.refusalmonitor.bench.e2e;

/** A reader's drain: n records from the first (at {@code firstNs}, System.nanoTime) to the last at {@code lastNs}. */
record Span(long n, long firstNs, long lastNs) {
    /** Records per second over the span (n − 1 intervals). */
    double perSecond() {
        return (n - 1) / ((lastNs - firstNs) / 1e9);
    }
}
