package dev.refusalmonitor.math.drift;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Drift detection when N monitor instances share one slice's traffic (BENCHMARKS.md, "Drift detection"), for the
 * fleet design the monitor runs (every instance counts requests into {@link DriftPartial}s of
 * {@code partialRecords}, hands them on when full and, like the wall-clock punctuation, every {@code flushEvery}
 * requests of the whole fleet; one {@link SliceDrift} owner merges them) against the former per-instance design (N
 * independent trackers, each on its 1/N of the traffic, an alarm when any of them drifts). Same traffic, rule and
 * defaults as {@link DriftDetectionBenchmark}; each request goes to a uniformly drawn instance. Delays are counted
 * in requests of the whole slice and reported in units of one window (200 requests), checked at every 200th request,
 * so one instance of the per-instance design gives exactly DriftDetectionBenchmark's figures.
 *
 * <p>Run like DriftDetectionBenchmark, with main class {@code FleetDriftBenchmark} and options {@code --instances
 * 1,3}, {@code --trials}, {@code --fa-streams}, {@code --fa-windows}, {@code --partial} (20), {@code --flush-every}
 * (600).
 */
public final class FleetDriftBenchmark {
    private FleetDriftBenchmark() {
    }

    /** A way of watching one slice's traffic spread over instances. */
    interface Design {
        void observe(int instance, double p, boolean flagged, boolean fired, double oodTail, double maha, String sector,
                     long t);

        /** The last closed window (any instance's, for the per-instance design) drifted. */
        boolean drifted();

        /** Called every {@code flushEvery} requests: the punctuation. */
        void punctuate();

        /** Compared windows and drifted compared windows so far. */
        long[] comparedAndDrifted();
    }

    static final class Fleet implements Design {
        private final DriftConfig cfg;
        private final SliceKey key = SliceKey.modelTotal("m");
        private final SliceDrift owner;
        private final DriftPartial[] open;
        private final int partialRecords;
        private DriftReport last;
        private long compared, driftedWindows;

        Fleet(DriftConfig cfg, int instances, int partialRecords) {
            this.cfg = cfg;
            this.owner = new SliceDrift(cfg, key);
            this.open = new DriftPartial[instances];
            this.partialRecords = partialRecords;
        }

        @Override
        public void observe(int i, double p, boolean flagged, boolean fired, double oodTail, double maha, String sector,
                            long t) {
            if (open[i] == null) open[i] = new DriftPartial(key, 0, 0, SliceDrift.emptyWindow(cfg));
            open[i].add(p, flagged, fired, DriftTracker.isOod(oodTail, cfg), maha, sector, t);
            if (open[i].counts().n() >= partialRecords) handOn(i);
        }

        private void handOn(int i) {
            owner.merge(open[i], r -> {
                last = r;
                if (r.referenceReady()) {
                    compared++;
                    if (r.drifted()) driftedWindows++;
                }
            });
            open[i] = null;
        }

        @Override
        public void punctuate() {
            for (int i = 0; i < open.length; i++) if (open[i] != null) handOn(i);
        }

        @Override
        public boolean drifted() {
            return last != null && last.drifted();
        }

        @Override
        public long[] comparedAndDrifted() {
            return new long[]{compared, driftedWindows};
        }
    }

    static final class PerInstance implements Design {
        private final DriftTracker[] trackers;
        private final DriftReport[] last;
        private final SliceKey key = SliceKey.of("m", null, null);
        private long compared, driftedWindows;

        PerInstance(DriftConfig cfg, int instances) {
            trackers = new DriftTracker[instances];
            last = new DriftReport[instances];
            for (int i = 0; i < instances; i++) {
                int n = i;
                trackers[i] = new DriftTracker(cfg, r -> {
                    last[n] = r;
                    if (r.referenceReady()) {
                        compared++;
                        if (r.drifted()) driftedWindows++;
                    }
                });
            }
        }

        @Override
        public void observe(int i, double p, boolean flagged, boolean fired, double oodTail, double maha, String sector,
                            long t) {
            trackers[i].observe(key, p, flagged, fired, oodTail, maha, sector, t);
        }

        @Override
        public boolean drifted() {
            for (DriftReport r : last) if (r != null && r.drifted()) return true;
            return false;
        }

        @Override
        public void punctuate() {
        }

        @Override
        public long[] comparedAndDrifted() {
            return new long[]{compared, driftedWindows};
        }
    }

    interface DesignFactory {
        Design create();
    }

    /** Windows (of 200 requests of the whole slice) from the shift to the first check that sees a drifted window. */
    static int delay(DesignFactory f, DriftConfig cfg, int instances, long seed, double shifted, int flushEvery,
                     int warmupWindows) {
        Design d = f.create();
        DriftDetectionBenchmark.Traffic traffic = new DriftDetectionBenchmark.Traffic(seed, DriftDetectionBenchmark.BASE_HARMFUL);
        int w = cfg.windowSize();
        long[] t = {0};
        Runnable one = () -> {
            int i = traffic.nextInt(instances);
            traffic.next((p, flagged, fired, tail, maha, sector) -> d.observe(i, p, flagged, fired, tail, maha, sector, t[0]));
            t[0]++;
            if (t[0] % flushEvery == 0) d.punctuate();
        };
        for (long i = 0; i < (long) warmupWindows * w; i++) one.run();
        traffic.harmfulShare = shifted;
        for (int win = 1; win <= DriftDetectionBenchmark.MAX_DELAY * instances; win++) {
            for (int i = 0; i < w; i++) one.run();
            if (d.drifted()) return win;
        }
        return Integer.MAX_VALUE;
    }

    static long[] falseAlarms(DesignFactory f, DriftConfig cfg, int instances, long seed, int windows, int flushEvery) {
        Design d = f.create();
        DriftDetectionBenchmark.Traffic traffic = new DriftDetectionBenchmark.Traffic(seed, DriftDetectionBenchmark.BASE_HARMFUL);
        long total = (long) (cfg.referenceWindows() + windows) * cfg.windowSize() * instances;
        for (long t = 0; t < total; t++) {
            int i = traffic.nextInt(instances);
            long now = t;
            traffic.next((p, flagged, fired, tail, maha, sector) -> d.observe(i, p, flagged, fired, tail, maha, sector, now));
            if ((t + 1) % flushEvery == 0) d.punctuate();
        }
        return d.comparedAndDrifted();
    }

    public static void main(String[] args) {
        Locale.setDefault(Locale.ROOT);
        int trials = 300, faStreams = 30, faWindows = 1000, partial = 20, flushEvery = 600;
        List<Integer> counts = List.of(1, 3);
        for (int i = 0; i < args.length; i += 2) {
            String v = args[i + 1];
            switch (args[i]) {
                case "--instances" -> counts = Arrays.stream(v.split(",")).map(Integer::parseInt).toList();
                case "--trials" -> trials = Integer.parseInt(v);
                case "--fa-streams" -> faStreams = Integer.parseInt(v);
                case "--fa-windows" -> faWindows = Integer.parseInt(v);
                case "--partial" -> partial = Integer.parseInt(v);
                case "--flush-every" -> flushEvery = Integer.parseInt(v);
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        DriftConfig cfg = DriftConfig.builder().build();
        double shifted = DriftDetectionBenchmark.shiftedHarmfulShare();
        System.out.printf("window %d, R %d, partials of %d, punctuation every %d requests; harmful share %.4f -> %.4f%n",
                cfg.windowSize(), cfg.referenceWindows(), partial, flushEvery, DriftDetectionBenchmark.BASE_HARMFUL, shifted);
        for (int n : counts) {
            int instances = n;
            int pr = partial, fe = flushEvery;
            List<String> names = List.of("fleet (product)", "per-instance (before)");
            List<DesignFactory> factories = List.of(() -> new Fleet(cfg, instances, pr), () -> new PerInstance(cfg, instances));
            for (int k = 0; k < 2; k++) {
                long start = System.nanoTime();
                DesignFactory f = factories.get(k);
                // Warm-up: the reference plus 10 stationary windows, of the design's own windows.
                int warmup = (cfg.referenceWindows() + DriftDetectionBenchmark.STATIONARY_BEFORE_SHIFT) * (k == 0 ? 1 : instances);
                int[] delays = new int[trials];
                for (int s = 0; s < trials; s++) delays[s] = delay(f, cfg, instances, 1_000_000L + s, shifted, fe, warmup);
                Arrays.sort(delays);
                int within3 = 0, missed = 0;
                for (int d : delays) {
                    if (d <= 3) within3++;
                    if (d == Integer.MAX_VALUE) missed++;
                }
                long compared = 0, drifted = 0;
                for (int s = 0; s < faStreams; s++) {
                    long[] r = falseAlarms(f, cfg, instances, 2_000_000L + s, faWindows, fe);
                    compared += r[0];
                    drifted += r[1];
                }
                // Per 1000 windows of 200 requests of the whole slice (the per-instance design compares N windows in that time).
                double perSliceWindows = compared / (double) (k == 0 ? 1 : instances);
                System.out.printf("%d instance(s), %s: delay median %s p90 %s windows of %d requests, within 3: %.1f%%, "
                                + "missed %d/%d | stationary: %.2f drifted windows per 1000 slice windows (%d compared "
                                + "windows) | warm-up %d requests | %.1f s%n", instances, names.get(k),
                        fmt(delays[(trials - 1) / 2]), fmt(delays[(int) Math.ceil(0.9 * trials) - 1]), cfg.windowSize(),
                        100.0 * within3 / trials, missed, trials, 1000.0 * drifted / perSliceWindows, compared,
                        (long) cfg.referenceWindows() * cfg.windowSize() * (k == 0 ? 1 : instances),
                        (System.nanoTime() - start) / 1e9);
            }
        }
    }

    private static String fmt(int d) {
        return d == Integer.MAX_VALUE ? "never" : Integer.toString(d);
    }
}
