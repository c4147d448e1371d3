package dev.refusalmonitor.math.drift;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Benchmark (not a unit test) of the drift decision rule on synthetic traffic. It lives under src/test so the product
 * jar does not ship it; run it with
 * <pre>
 * mvn -o -q -pl probe-math -am test-compile exec:java -Dexec.classpathScope=test \
 *     -Dexec.mainClass=dev.refusalmonitor.math.drift.DriftDetectionBenchmark [-Dexec.args="--k 1.0 --h 4.0"]
 * </pre>
 *
 * <p>Traffic: a share π of harmful requests (π = 0.10 at baseline) whose probe probability is Beta(8, 2), the rest
 * Beta(1, 12); flagged = p ≥ 0.5; Mahalanobis refusal score N(+3, 1.5²) for harmful, N(−3, 1.5²) otherwise; CAST
 * fires on 85 % of harmful and 5 % of harmless; OOD tail probability uniform on [0, 1]; sector "refuse" for
 * 90 % of harmful, else "comply_with_warning", and "comply" for harmless. All draws come from a SplittableRandom
 * seeded per trial.
 *
 * <p>(a) Detection delay: after R reference windows and 10 stationary windows, π rises so that the expected flagged
 * rate is 5 percentage points higher (π solved from the per-class flagged probabilities); the delay is the
 * 1-based index of the first post-shift window whose report says drifted (a miss counts as "never" after 40
 * windows). (b) False alarms: long stationary streams; drifted windows per 1000 compared windows, and alarm onsets
 * (a drifted window after a non-drifted one) per 1000. (c) Refit: after R reference windows and 10 stationary windows
 * a new direction set (v2) flags at p ≥ 0.7 instead of 0.5 (the flagged rate drops by about 1.8 points with no change
 * in traffic); the share of trials with any drifted window in the 40 windows after it, with the version passed to the
 * tracker (a fresh reference per version) and without (the reference built under v1). (d) Shift after the refit: R
 * windows of v2 reference and 10 stationary windows after the refit, then the +5-point shift of (a) under v2; its
 * detection delay.
 */
public final class DriftDetectionBenchmark {
    static final double BASE_HARMFUL = 0.10;
    static final double SHIFT_PP = 0.05;
    static final int STATIONARY_BEFORE_SHIFT = 10;
    static final int MAX_DELAY = 40;

    private DriftDetectionBenchmark() {
    }

    /** One synthetic request stream. */
    static final class Traffic {
        private final SplittableRandom rng;
        double harmfulShare;
        double threshold = 0.5;
        long version;

        Traffic(long seed, double harmfulShare) {
            this.rng = new SplittableRandom(seed);
            this.harmfulShare = harmfulShare;
        }

        void next(DriftTracker tracker, SliceKey key, long t) {
            next((p, flagged, fired, oodTail, maha, sector) ->
                    tracker.observe(key, p, flagged, fired, oodTail, maha, sector, t, version));
        }

        /** Draws one request and hands it to {@code sink}. */
        void next(Request sink) {
            boolean harmful = rng.nextDouble() < harmfulShare;
            double p = harmful ? beta(8, 2) : beta(1, 12);
            double maha = (harmful ? 3 : -3) + 1.5 * rng.nextGaussian();
            boolean fired = rng.nextDouble() < (harmful ? 0.85 : 0.05);
            double oodTail = rng.nextDouble();
            String sector = harmful ? (rng.nextDouble() < 0.9 ? "refuse" : "comply_with_warning") : "comply";
            sink.accept(p, p >= threshold, fired, oodTail, maha, sector);
        }

        /** A uniform draw from the traffic's generator (e.g. which instance gets the request). */
        int nextInt(int bound) {
            return rng.nextInt(bound);
        }

        double beta(double a, double b) {
            double x = gamma(a), y = gamma(b);
            return x / (x + y);
        }

        /** Marsaglia–Tsang gamma(a, 1) for a ≥ 1. */
        double gamma(double a) {
            double d = a - 1.0 / 3, c = 1 / Math.sqrt(9 * d);
            while (true) {
                double x = rng.nextGaussian(), v = 1 + c * x;
                if (v <= 0) continue;
                v = v * v * v;
                double u = rng.nextDouble();
                if (Math.log(u) < 0.5 * x * x + d - d * v + d * Math.log(v)) return d * v;
            }
        }
    }

    /** One drawn request. */
    interface Request {
        void accept(double p, boolean flagged, boolean fired, double oodTail, double maha, String sector);
    }

    /** Harmful share giving an expected flagged rate SHIFT_PP above baseline, from per-class flagged probabilities. */
    static double shiftedHarmfulShare() {
        Traffic t = new Traffic(12345, 0);
        int n = 2_000_000, fh = 0, fs = 0;
        for (int i = 0; i < n; i++) {
            if (t.beta(8, 2) >= 0.5) fh++;
            if (t.beta(1, 12) >= 0.5) fs++;
        }
        double qh = (double) fh / n, qs = (double) fs / n;
        return BASE_HARMFUL + SHIFT_PP / (qh - qs);
    }

    /** Last report seen by the sink. */
    static final class LastReport {
        DriftReport last;
        int closed;
    }

    static int detectionDelay(DriftConfig cfg, long seed, double shifted, int[] preShiftAlarms) {
        LastReport sink = new LastReport();
        DriftTracker tracker = new DriftTracker(cfg, r -> {
            sink.last = r;
            sink.closed++;
        });
        SliceKey key = SliceKey.of("m", null, null);
        Traffic traffic = new Traffic(seed, BASE_HARMFUL);
        int w = cfg.windowSize();
        long t = 0;
        for (int i = 0; i < (cfg.referenceWindows() + STATIONARY_BEFORE_SHIFT) * w; i++) {
            traffic.next(tracker, key, t++);
            if (sink.closed > 0 && (t % w) == 0 && sink.last.drifted()) preShiftAlarms[0]++;
        }
        traffic.harmfulShare = shifted;
        for (int win = 1; win <= MAX_DELAY; win++) {
            for (int i = 0; i < w; i++) traffic.next(tracker, key, t++);
            if (sink.last.drifted()) return win;
        }
        return Integer.MAX_VALUE;
    }

    /** {drifted windows, alarm onsets, compared windows, windows where the distribution part fired}. */
    static long[] falseAlarms(DriftConfig cfg, long seed, int windows) {
        long[] out = new long[4];
        boolean[] prev = {false};
        DriftTracker tracker = new DriftTracker(cfg, r -> {
            if (!r.referenceReady()) return;
            out[2]++;
            if (r.reasons().contains(DriftReport.REASON_DISTRIBUTION)) out[3]++;
            if (r.drifted()) {
                out[0]++;
                if (!prev[0]) out[1]++;
            }
            prev[0] = r.drifted();
        });
        SliceKey key = SliceKey.of("m", null, null);
        Traffic traffic = new Traffic(seed, BASE_HARMFUL);
        long total = (long) (cfg.referenceWindows() + windows) * cfg.windowSize();
        for (long i = 0; i < total; i++) traffic.next(tracker, key, i);
        return out;
    }

    /**
     * (c) and (d): {any drifted window in the 40 windows after the refit (0/1), delay of the shift after the refit}.
     *
     * @param versioned pass the direction-set version to the tracker (the product) or not (the tracker before)
     */
    static int[] refit(DriftConfig cfg, long seed, double shiftedAtV2, boolean versioned) {
        LastReport sink = new LastReport();
        boolean[] drifted = {false};
        DriftTracker tracker = new DriftTracker(cfg, r -> {
            sink.last = r;
            sink.closed++;
            if (r.drifted()) drifted[0] = true;
        });
        SliceKey key = SliceKey.of("m", null, null);
        Traffic traffic = new Traffic(seed, BASE_HARMFUL);
        traffic.version = versioned ? 1 : 0;
        int w = cfg.windowSize();
        long t = 0;
        for (int i = 0; i < (cfg.referenceWindows() + STATIONARY_BEFORE_SHIFT) * w; i++) traffic.next(tracker, key, t++);
        drifted[0] = false;
        traffic.threshold = 0.7;
        traffic.version = versioned ? 2 : 0;
        for (int i = 0; i < MAX_DELAY * w; i++) traffic.next(tracker, key, t++);
        int alarmed = drifted[0] ? 1 : 0;
        if (!versioned) return new int[]{alarmed, -1};
        // The fresh reference is complete after R windows; then 10 stationary windows and the shift.
        int remaining = Math.max(0, cfg.referenceWindows() + STATIONARY_BEFORE_SHIFT - MAX_DELAY);
        for (int i = 0; i < remaining * w; i++) traffic.next(tracker, key, t++);
        traffic.harmfulShare = shiftedAtV2;
        for (int win = 1; win <= MAX_DELAY; win++) {
            for (int i = 0; i < w; i++) traffic.next(tracker, key, t++);
            if (sink.last.drifted()) return new int[]{alarmed, win};
        }
        return new int[]{alarmed, Integer.MAX_VALUE};
    }

    /** Harmful share giving a flagged rate SHIFT_PP above baseline when flagging at p ≥ threshold. */
    static double shiftedHarmfulShare(double threshold) {
        Traffic t = new Traffic(12345, 0);
        int n = 2_000_000, fh = 0, fs = 0;
        for (int i = 0; i < n; i++) {
            if (t.beta(8, 2) >= threshold) fh++;
            if (t.beta(1, 12) >= threshold) fs++;
        }
        return BASE_HARMFUL + SHIFT_PP / ((double) fh / n - (double) fs / n);
    }

    public static void main(String[] args) {
        Locale.setDefault(Locale.ROOT);
        DriftConfig.Builder b = DriftConfig.builder();
        int trials = 1000, faStreams = 100, faWindows = 1000;
        List<ReferenceMode> modes = List.of(ReferenceMode.PINNED, ReferenceMode.TRAILING);
        for (int i = 0; i < args.length; i += 2) {
            String v = args[i + 1];
            switch (args[i]) {
                case "--k" -> b.cusumK(Double.parseDouble(v));
                case "--h" -> b.cusumH(Double.parseDouble(v));
                case "--psi" -> b.psiThreshold(Double.parseDouble(v));
                case "--ks-alpha" -> b.ksAlpha(Double.parseDouble(v));
                case "--reference-windows" -> b.referenceWindows(Integer.parseInt(v));
                case "--window" -> b.windowSize(Integer.parseInt(v));
                case "--trials" -> trials = Integer.parseInt(v);
                case "--fa-streams" -> faStreams = Integer.parseInt(v);
                case "--fa-windows" -> faWindows = Integer.parseInt(v);
                case "--mode" -> modes = List.of(ReferenceMode.valueOf(v));
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        double shifted = shiftedHarmfulShare();
        System.out.printf("harmful share %.4f -> %.4f for a +%.0f pp flagged-rate shift%n", BASE_HARMFUL, shifted,
                SHIFT_PP * 100);
        for (ReferenceMode mode : modes) {
            DriftConfig cfg = b.referenceMode(mode).build();
            long start = System.nanoTime();
            int[] delays = new int[trials];
            int[] pre = {0};
            for (int s = 0; s < trials; s++) delays[s] = detectionDelay(cfg, 1_000_000L + s, shifted, pre);
            Arrays.sort(delays);
            int within3 = 0, missed = 0;
            for (int d : delays) {
                if (d <= 3) within3++;
                if (d == Integer.MAX_VALUE) missed++;
            }
            long[] fa = new long[4];
            for (int s = 0; s < faStreams; s++) {
                long[] r = falseAlarms(cfg, 2_000_000L + s, faWindows);
                for (int j = 0; j < 4; j++) fa[j] += r[j];
            }
            double secs = (System.nanoTime() - start) / 1e9;
            int refitTrials = Math.max(1, trials / 5);
            double shiftedV2 = shiftedHarmfulShare(0.7);
            int alarmsVersioned = 0, alarmsUnversioned = 0;
            int[] refitDelays = new int[refitTrials];
            for (int s = 0; s < refitTrials; s++) {
                int[] v = refit(cfg, 3_000_000L + s, shiftedV2, true);
                alarmsVersioned += v[0];
                refitDelays[s] = v[1];
                alarmsUnversioned += refit(cfg, 3_000_000L + s, shiftedV2, false)[0];
            }
            Arrays.sort(refitDelays);
            int refitMissed = 0;
            for (int d : refitDelays) if (d == Integer.MAX_VALUE) refitMissed++;
            System.out.printf("%s refit to p>=0.7 (no traffic change): trials with a drifted window in the 40 windows "
                            + "after it: %d/%d with the version (fresh reference), %d/%d without | +5 pp shift after the "
                            + "refit: delay median %s p90 %s, missed %d/%d%n", mode, alarmsVersioned, refitTrials,
                    alarmsUnversioned, refitTrials, fmt(refitDelays[(refitTrials - 1) / 2]),
                    fmt(refitDelays[(int) Math.ceil(0.9 * refitTrials) - 1]), refitMissed, refitTrials);
            System.out.printf("%s window=%d R=%d k=%.2f h=%.2f psi>%.2f&ks_p<%.0e | delay median %s p90 %s, "
                            + "within 3: %.1f%%, missed: %d/%d, pre-shift drifted windows: %d/%d | stationary: "
                            + "%.2f drifted windows and %.2f onsets per 1000 (%d windows; distribution part %d) | %.1f s%n",
                    mode, cfg.windowSize(), cfg.referenceWindows(), cfg.cusumK(), cfg.cusumH(), cfg.psiThreshold(),
                    cfg.ksAlpha(), fmt(delays[(trials - 1) / 2]), fmt(delays[(int) Math.ceil(0.9 * trials) - 1]),
                    100.0 * within3 / trials, missed, trials, pre[0], trials * STATIONARY_BEFORE_SHIFT,
                    1000.0 * fa[0] / fa[2], 1000.0 * fa[1] / fa[2], fa[2], fa[3], secs);
        }
    }

    private static String fmt(int d) {
        return d == Integer.MAX_VALUE ? "never" : Integer.toString(d);
    }

}
