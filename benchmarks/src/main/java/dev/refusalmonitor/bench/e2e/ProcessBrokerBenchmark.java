package dev.refusalmonitor.bench.e2e;

import dev.refusalmonitor.bench.FittedSets;
import dev.refusalmonitor.bench.Machine;
import dev.refusalmonitor.contract.directions.DirectionSetModel;
import dev.refusalmonitor.math.fit.MahalanobisFit;
import dev.refusalmonitor.monitor.app.MonitorApp;
import dev.refusalmonitor.monitor.config.MonitorConfig;
import dev.refusalmonitor.schemas.v1.DType;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * End-to-end throughput with the Kafka broker in its own JVM (started by {@code benchmarks/run-e2e-process.sh}), for
 * realistic records: (a) one layer d = 4096 f32, (b) four layers d = 4096 bf16. For each: a plain consumer, the
 * Kafka Streams pass-through ({@link StreamsCeiling}: the monitor's settings, decode, no scoring), the monitor under
 * EOS and ALOS at each Mahalanobis rank of {@code -Dbench.ranks} (the fitted set cut with
 * {@link FittedSets#withLowRankK}), two monitor instances (this JVM + a {@link MonitorInstance} JVM, one consumer
 * group) and the kafka-python + numpy consumer. Also the broker's CPU over each reader (from /proc).
 *
 * <p>Usage: ProcessBrokerBenchmark OUT.md COMMAND BOOTSTRAP BROKER_PID F32_RECORDS BF16_RECORDS PYTHON_SCRIPT BROKER_NOTE
 */
public final class ProcessBrokerBenchmark {
    private static final int D = 4096;
    private static final Duration DEADLINE = Duration.ofMinutes(10);
    private static final java.util.Map<String, String> DRIFT_OFF = java.util.Map.of(MonitorConfig.DRIFT_ENABLED, "false");
    /** A warm-up pass with less JIT compiler CPU than this (both JVMs) ends the warm-up. */
    private static final long WARM_JIT_SETTLED_MS = 300;
    private static final int WARM_MAX_PASSES = Integer.getInteger("bench.warm-passes", 2);
    /** Every record scored on its own in the processor, as before poll batches (PollScoring). */
    private static final java.util.Map<String, String> ONE_BY_ONE = java.util.Map.of(MonitorConfig.SCORING_BATCH_SIZE, "1");

    private final EndToEndBenchmark b;
    private final String bootstrap;
    private final Path work;
    private final CpuSampler cpu;
    private static double rate(long n, long firstMs, long lastMs) {
        return n < 2 || lastMs <= firstMs ? 0 : (n - 1) / ((lastMs - firstMs) / 1e3);
    }

    /** Per round: records scored by this JVM + by the second instance, their rates. */
    private String split = "";

    private ProcessBrokerBenchmark(String bootstrap, long brokerPid, Path work) {
        this.b = new EndToEndBenchmark(bootstrap, work);
        b.brokerPid = brokerPid;
        this.bootstrap = bootstrap;
        this.work = work;
        this.cpu = new CpuSampler(brokerPid);
    }

    /**
     * One measured reader: records/s; during its drain (first to last record, when the reader reports it) this JVM's
     * and the broker's CPU per record (µs) and the share of all cores both used.
     */
    private record Rate(double perSecond, double selfUsPerRecord, double brokerUsPerRecord, double busy, double jitUsPerRecord, double brokerJitUsPerRecord) {
    }

    public static void main(String[] args) throws Exception {
        Path out = Path.of(args[0]);
        String bootstrap = args[2];
        long brokerPid = Long.parseLong(args[3]);
        int f32Records = Integer.parseInt(args[4]), bf16Records = Integer.parseInt(args[5]);
        Path python = Path.of(args[6]);
        String brokerNote = args[7];
        int[] ranks = Arrays.stream(System.getProperty("bench.ranks", "64,32,16").split(",")).mapToInt(Integer::parseInt).toArray();
        int instancesK = Integer.getInteger("bench.instances-k", MahalanobisFit.DEFAULT_LOW_RANK_K);
        ProcessBrokerBenchmark p = new ProcessBrokerBenchmark(bootstrap, brokerPid, Files.createTempDirectory("refusal-e2e-process"));

        StringBuilder md = new StringBuilder();
        md.append("### Broker in its own process (`benchmarks/run-e2e-process.sh`)\n\n");
        md.append("Command: `").append(args[1]).append("`\n\nMachine: ").append(Machine.describe()).append("\n\n");
        md.append(brokerNote).append(" Benchmark JVM (producer, consumers, monitor, Streams pass-through) separate from it; "
                + "topics with 2 partitions; monitor = MonitorApp defaults (2 stream threads, max.partition.fetch.bytes = 8 MiB, each poll scored in batches of 16), "
                + "commit.interval.ms = 100 for EOS and ALOS; every scorer on. Direction sets fitted by DirectionFitter on "
                + "planted-truth data (200 rows per class, k = 64), the other ranks cut from that fit (`FittedSets.withLowRankK`: "
                + "the same top eigenpairs and trace-based remainder a fit at that k gives). Median of " + Integer.getInteger("bench.rounds", 3) + " rounds "
                + "(the readers interleaved in each), after warm-up passes (each reader drains a warm-up topic; passes repeat until "
                + "the JIT compilers spend under " + WARM_JIT_SETTLED_MS + " ms in a pass, at most " + WARM_MAX_PASSES + "), and each measured drain follows a drain of half the warm-up topic by the same reader (the JIT "
                + "recompiles what the previous reader's profile specialised). Rates: monitor = records / "
                + "(last − first score); pass-through = records / (last − first forwarded); plain consumer = records / (last − first poll). "
                + "\"Pass-through + the scoring arithmetic only\" = the pass-through that also scores each record with the default-rank set "
                + "(DirectionSetScorer.scoreBatch over batches of 16, as the monitor scores each poll; a partial batch waits at most 5 ms) and does nothing else of the monitor. "
                + "\"vs pass-through\" = the ratio of the medians, and in brackets the median of the per-round ratios (each "
                + "round's monitor against the same round's pass-through, so a slow spell of this shared machine cancels). "
                + "CPU per record = CPU time between the reader's first and last record (sampled every 20 ms, from /proc for "
                + "the broker; JIT = each JVM's compiler threads) over the records; \"cores busy\" = both processes' CPU over that time as a share of the 2 cores "
                + "(near 100 % = the machine's CPU is the limit).\n\n");
        md.append("| records | reader | records/s (median) | range | vs Streams pass-through (same guarantee) | vs plain consumer | CPU µs/record: bench JVM + broker (of which JIT) | cores busy |\n");
        md.append("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |\n");
        List<String> notes = new ArrayList<>();
        p.workload(md, notes, "1 × 4096 f32", 1, DType.D_TYPE_F32, f32Records, ranks, instancesK, python);
        Files.writeString(out, md + "\n(partial: four-layer bf16 workload still running)\n");
        p.workload(md, notes, "4 × 4096 bf16", 4, DType.D_TYPE_BF16, bf16Records, ranks, instancesK, python);
        md.append('\n');
        for (String n : notes) md.append(n).append("\n\n");
        Files.writeString(out, md.toString());
        // The monitors' state directories (the topic data is in the broker's directory, which the script removes).
        try (var paths = Files.walk(p.work)) {
            paths.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        }
    }

    private void workload(StringBuilder md, List<String> notes, String name, int layers, DType dtype, int n, int[] ranks,
                          int instancesK, Path python) throws Exception {
        String tag = layers + "l" + (dtype == DType.D_TYPE_F32 ? "f32" : "bf16");
        split = "";
        long t0 = System.nanoTime();
        DirectionSetModel base = FittedSets.cached(D, layers, 200, 1024);
        System.err.printf("%s: set ready in %.0f s%n", name, (System.nanoTime() - t0) / 1e9);
        String input = "bench-" + tag + ".hidden-states";
        b.createTopic(input);
        b.produce(input, n, D, layers, dtype, 0, 0);
        String warm = "bench-" + tag + ".warmup";
        // Long enough for C2 to finish the monitor's hot paths: with 5,000 records the reader measured first in a round
        // ran measurably slower than the same configuration measured later.
        int warmN = Math.max(500, Math.min(n / 2, 20_000));
        b.createTopic(warm);
        b.produce(warm, warmN, D, layers, dtype, 0, 1);
        System.err.printf("%s: produced %d + %d records%n", name, n, warmN);
        notes.add(warmUp(name, tag, warm, base, warmN, ranks));

        int rounds = Integer.getInteger("bench.rounds", 3);
        int ensemble = base.ensembleLayers().length;
        java.util.Map<String, List<Rate>> runs = new java.util.LinkedHashMap<>();
        String plainName = "plain Java KafkaConsumer", ceilEosName = "Kafka Streams pass-through, exactly_once_v2",
                ceilAlosName = "Kafka Streams pass-through, at_least_once",
                arithEosName = "Kafka Streams pass-through + the scoring arithmetic only (k = " + MahalanobisFit.DEFAULT_LOW_RANK_K + ", batches of " + StreamsCeiling.BATCH + "), exactly_once_v2",
                arithAlosName = "Kafka Streams pass-through + the scoring arithmetic only (k = " + MahalanobisFit.DEFAULT_LOW_RANK_K + ", batches of " + StreamsCeiling.BATCH + "), at_least_once",
                twoName = "2 monitor instances (this JVM + a second JVM, one group), exactly_once_v2, k = " + instancesK,
                pyName = "kafka-python + numpy consumer (scoring layer only, produces nothing)",
                driftOffEos = "monitor, exactly_once_v2, k = " + MahalanobisFit.DEFAULT_LOW_RANK_K + ", drift off",
                driftOffAlos = "monitor, at_least_once, k = " + MahalanobisFit.DEFAULT_LOW_RANK_K + ", drift off",
                singleEos = "monitor, exactly_once_v2, k = " + MahalanobisFit.DEFAULT_LOW_RANK_K + ", one record at a time (scoring.batch.size = 1)",
                singleAlos = "monitor, at_least_once, k = " + MahalanobisFit.DEFAULT_LOW_RANK_K + ", one record at a time (scoring.batch.size = 1)";
        Path params = b.exportParameters(base, "params-" + tag);
        String[] py = new String[1];
        // Rounds interleave the readers, so a slow spell of this shared machine hits all of them; each figure is the
        // median of the rounds.
        // Each measured drain follows a shorter drain of the same reader on the warm-up topic: switching between
        // readers in one JVM makes the JIT recompile what the last reader's profile had specialised, and that belongs
        // to the switch, not to the reader (a deployed monitor runs one configuration).
        int preN = Math.max(500, warmN / 2);
        DirectionSetModel dflt = FittedSets.withLowRankK(base, MahalanobisFit.DEFAULT_LOW_RANK_K);
        for (int r = 0; r < rounds; r++) {
            String rt = tag + "-r" + r;
            runs.computeIfAbsent(plainName, x -> new ArrayList<>()).add(measure(() -> b.plainConsumer(input, n, rt + "-plain")));
            b.ceiling(rt + "-pre-ceiling-eos", warm, preN, true);
            runs.computeIfAbsent(ceilEosName, x -> new ArrayList<>()).add(measure(() -> b.ceiling(rt + "-ceiling-eos", input, n, true)));
            b.ceiling(rt + "-pre-ceiling-alos", warm, preN, false);
            runs.computeIfAbsent(ceilAlosName, x -> new ArrayList<>()).add(measure(() -> b.ceiling(rt + "-ceiling-alos", input, n, false)));
            // The arithmetic's share: the pass-through that also computes the default set's scores, nothing else.
            b.ceiling(rt + "-pre-arith-eos", warm, preN, true, dflt);
            runs.computeIfAbsent(arithEosName, x -> new ArrayList<>()).add(measure(() -> b.ceiling(rt + "-arith-eos", input, n, true, dflt)));
            b.ceiling(rt + "-pre-arith-alos", warm, preN, false, dflt);
            runs.computeIfAbsent(arithAlosName, x -> new ArrayList<>()).add(measure(() -> b.ceiling(rt + "-arith-alos", input, n, false, dflt)));
            // What fleet drift costs: the default rank with drift off.
            b.drain(rt + "-pre-eos-nodrift", warm, dflt, preN, true, DRIFT_OFF);
            runs.computeIfAbsent(driftOffEos, x -> new ArrayList<>()).add(measure(() -> b.drain(rt + "-eos-nodrift", input, dflt, n, true, DRIFT_OFF)));
            b.drain(rt + "-pre-alos-nodrift", warm, dflt, preN, false, DRIFT_OFF);
            runs.computeIfAbsent(driftOffAlos, x -> new ArrayList<>()).add(measure(() -> b.drain(rt + "-alos-nodrift", input, dflt, n, false, DRIFT_OFF)));
            // What scoring each poll in batches saves: the default configuration but one record at a time.
            b.drain(rt + "-pre-eos-single", warm, dflt, preN, true, ONE_BY_ONE);
            runs.computeIfAbsent(singleEos, x -> new ArrayList<>()).add(measure(() -> b.drain(rt + "-eos-single", input, dflt, n, true, ONE_BY_ONE)));
            b.drain(rt + "-pre-alos-single", warm, dflt, preN, false, ONE_BY_ONE);
            runs.computeIfAbsent(singleAlos, x -> new ArrayList<>()).add(measure(() -> b.drain(rt + "-alos-single", input, dflt, n, false, ONE_BY_ONE)));
            for (int k : ranks) {
                DirectionSetModel set = FittedSets.withLowRankK(base, k);
                b.drain(rt + "-pre-eos-k" + k, warm, set, preN, true);
                runs.computeIfAbsent("monitor, exactly_once_v2, k = " + k, x -> new ArrayList<>())
                        .add(measure(() -> b.drain(rt + "-eos-k" + k, input, set, n, true)));
                b.drain(rt + "-pre-alos-k" + k, warm, set, preN, false);
                runs.computeIfAbsent("monitor, at_least_once, k = " + k, x -> new ArrayList<>())
                        .add(measure(() -> b.drain(rt + "-alos-k" + k, input, set, n, false)));
            }
            runs.computeIfAbsent(twoName, x -> new ArrayList<>()).add(measure(() -> twoInstances(rt + "-two", input,
                    FittedSets.withLowRankK(base, instancesK), layers, instancesK, warm, warmN, n)));
            runs.computeIfAbsent(pyName, x -> new ArrayList<>()).add(measure(() -> {
                py[0] = b.pythonConsumer(python, input, n, params, base.scoringLayer());
                return Double.parseDouble(py[0].replaceAll(".*\"records_per_second\": ([0-9.eE+-]+).*", "$1"));
            }));
            System.err.printf("%s: round %d of %d done%n", name, r + 1, rounds);
        }
        Rate plain = median(runs.get(plainName));
        for (var e : runs.entrySet()) {
            List<Rate> passThrough = e.getKey().contains("exactly_once_v2") ? runs.get(ceilEosName)
                    : e.getKey().contains("at_least_once") ? runs.get(ceilAlosName) : null;
            row(md, name, e.getKey(), e.getValue(), passThrough, plain.perSecond);
        }
        int dk = MahalanobisFit.DEFAULT_LOW_RANK_K;
        if (runs.containsKey("monitor, exactly_once_v2, k = " + dk)) {
            double eos = pairedRatio(runs.get("monitor, exactly_once_v2, k = " + dk), runs.get(ceilEosName));
            double alos = pairedRatio(runs.get("monitor, at_least_once, k = " + dk), runs.get(ceilAlosName));
            notes.add(String.format(Locale.ROOT, "**%s, target monitor ≥ 0.8× the Streams pass-through at the default k = %d "
                    + "(every scorer on), median of the per-round ratios:** EOS %.2f× (%s), ALOS %.2f× (%s).", name, dk, eos, eos >= 0.8 ? "met" : "missed",
                    alos, alos >= 0.8 ? "met" : "missed"));
            double arithEos = pairedRatio(runs.get(arithEosName), runs.get(ceilEosName));
            double arithAlos = pairedRatio(runs.get(arithAlosName), runs.get(ceilAlosName));
            double overEos = pairedRatio(runs.get("monitor, exactly_once_v2, k = " + dk), runs.get(arithEosName));
            double overAlos = pairedRatio(runs.get("monitor, at_least_once, k = " + dk), runs.get(arithAlosName));
            notes.add(String.format(Locale.ROOT, "**%s, the scoring arithmetic alone (k = %d, batches of 16) added to the pass-through, "
                    + "median of the per-round ratios:** EOS %.2f×, ALOS %.2f× of the pass-through: the most a monitor computing these scores reaches on this machine. "
                    + "The monitor (every scorer, drift, metrics, dead letters) against that: EOS %.2f×, ALOS %.2f×.",
                    name, dk, arithEos, arithAlos, overEos, overAlos));
        }
        notes.add(String.format(Locale.ROOT, "%s: %d records (%d KiB of tensor data each), set with %d layers, scoring "
                        + "layer %d, Mahalanobis ensemble over %s (each a low-rank Mahalanobis per record), multi-layer probe %s. Two instances (this JVM + the second; the table's rate is the sum of the two instances' own rates, span rate = all records over the first to the last score of either): %s. Python: `%s`.",
                name, n, layers * D * (dtype == DType.D_TYPE_F32 ? 4 : 2) / 1024, base.layers().size(), base.scoringLayer(),
                ensemble == 0 ? "no layers" : Arrays.toString(base.ensembleLayers()),
                base.multiLayerProbe() == null ? "none" : base.multiLayerProbe().kind() + " " + Arrays.toString(base.multiLayerProbe().layers()),
                split, py[0].trim()));
    }

    /**
     * Drains the warm-up topic with every reader the rounds measure, pass after pass until the JIT compilers have
     * settled: one drain per reader left C2 compiling through the measured rounds (13–55 µs of compiler CPU per record
     * in the bench JVM, up to 31 in the broker), which a long-running service pays once.
     */
    private String warmUp(String name, String tag, String warm, DirectionSetModel base, int warmN, int[] ranks) throws Exception {
        StringBuilder passes = new StringBuilder();
        DirectionSetModel dflt = FittedSets.withLowRankK(base, MahalanobisFit.DEFAULT_LOW_RANK_K);
        for (int pass = 1; ; pass++) {
            String pt = tag + "-warm" + pass;
            double jitBefore = cpu.jitSeconds();
            for (int k : ranks) {
                b.drain(pt + "-eos-k" + k, warm, FittedSets.withLowRankK(base, k), warmN, true);
                b.drain(pt + "-alos-k" + k, warm, FittedSets.withLowRankK(base, k), warmN, false);
            }
            b.drain(pt + "-eos-nodrift", warm, dflt, warmN, true, DRIFT_OFF);
            b.drain(pt + "-alos-nodrift", warm, dflt, warmN, false, DRIFT_OFF);
            b.drain(pt + "-eos-single", warm, dflt, warmN, true, ONE_BY_ONE);
            b.drain(pt + "-alos-single", warm, dflt, warmN, false, ONE_BY_ONE);
            b.ceiling(pt + "-ceiling-eos", warm, warmN, true);
            b.ceiling(pt + "-ceiling-alos", warm, warmN, false);
            b.ceiling(pt + "-arith-eos", warm, warmN, true, dflt);
            b.ceiling(pt + "-arith-alos", warm, warmN, false, dflt);
            long jitMs = Math.round(1e3 * (cpu.jitSeconds() - jitBefore));
            System.err.printf("%s: warm-up pass %d: %d ms of JIT compiler CPU (both JVMs)%n", name, pass, jitMs);
            passes.append(passes.isEmpty() ? "" : ", ").append(jitMs).append(" ms");
            if (jitMs < WARM_JIT_SETTLED_MS || pass == WARM_MAX_PASSES) break;
        }
        return name + ": JIT compiler CPU of both JVMs in each warm-up pass (" + warmN + " records per reader): " + passes + ".";
    }

    /** The run with the median rate (the lower middle one for an even count). */
    private static Rate median(List<Rate> runs) {
        List<Rate> s = new ArrayList<>(runs);
        s.sort(java.util.Comparator.comparingDouble(Rate::perSecond));
        return s.get((s.size() - 1) / 2);
    }

    private static String range(List<Rate> runs) {
        double lo = runs.stream().mapToDouble(Rate::perSecond).min().orElse(0), hi = runs.stream().mapToDouble(Rate::perSecond).max().orElse(0);
        return String.format(Locale.ROOT, "%.0f–%.0f", lo, hi);
    }

    /** The median (the lower middle one for an even count) of one figure over the rounds. */
    private static double median(List<Rate> runs, java.util.function.ToDoubleFunction<Rate> figure) {
        return runs.stream().mapToDouble(figure).sorted().skip((runs.size() - 1) / 2).findFirst().orElse(Double.NaN);
    }

    /** The median over rounds of the reader's rate over the same round's reference rate. */
    private static double pairedRatio(List<Rate> reader, List<Rate> reference) {
        List<Double> ratios = new ArrayList<>();
        for (int r = 0; r < Math.min(reader.size(), reference.size()); r++) ratios.add(reader.get(r).perSecond / reference.get(r).perSecond);
        ratios.sort(null);
        return ratios.isEmpty() ? Double.NaN : ratios.get((ratios.size() - 1) / 2);
    }

    private static void row(StringBuilder md, String name, String reader, List<Rate> runs, List<Rate> passThrough, double plain) {
        Rate r = median(runs);
        String vs = passThrough == null ? "" : String.format(Locale.ROOT, "%.2f× (%.2f×)",
                r.perSecond / median(passThrough).perSecond, pairedRatio(runs, passThrough));
        double self = median(runs, Rate::selfUsPerRecord), broker = median(runs, Rate::brokerUsPerRecord), busy = median(runs, Rate::busy),
                jit = median(runs, Rate::jitUsPerRecord), brokerJit = median(runs, Rate::brokerJitUsPerRecord);
        md.append(String.format(Locale.ROOT, "| %s | %s | %.0f | %s | %s | %.2f× | %s | %s |%n", name, reader, r.perSecond, range(runs),
                vs, r.perSecond / plain, Double.isNaN(self) ? "" : String.format(Locale.ROOT, "%.0f (%.0f) + %.0f (%.0f)", self, jit, broker, brokerJit),
                Double.isNaN(busy) ? "" : String.format(Locale.ROOT, "%.0f %%", 100 * busy)));
        System.err.printf(Locale.ROOT, "%s | %s | %.0f | %s%n", name, reader, r.perSecond, vs);
    }

    private interface Reader {
        double run() throws Exception;
    }

    private Rate measure(Reader reader) throws Exception {
        b.lastSpan = null;
        double rate = reader.run();
        Span span = b.lastSpan;
        if (span == null) return new Rate(rate, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN);
        Thread.sleep(50); // a sample after the last record
        double[] used = cpu.between(span.firstNs(), span.lastNs());
        double seconds = (span.lastNs() - span.firstNs()) / 1e9;
        int cores = Runtime.getRuntime().availableProcessors();
        return new Rate(rate, 1e6 * used[0] / (span.n() - 1), 1e6 * used[1] / (span.n() - 1), (used[0] + used[1]) / (seconds * cores),
                1e6 * used[2] / (span.n() - 1), 1e6 * used[3] / (span.n() - 1));
    }

    /**
     * Two monitor instances in one consumer group: a {@link MonitorInstance} JVM (warmed up on WARM first) and one in
     * this JVM, started together (within the broker's 3 s initial rebalance delay, so both join one generation);
     * records/s from the first to the last score of either.
     */
    private double twoInstances(String prefix, String input, DirectionSetModel set, int layers, int k, String warm,
                                int warmN, int n) throws Exception {
        MonitorConfig config = b.config(prefix, input, true);
        b.prepare(config, set);
        String java = ProcessHandle.current().info().command().orElse("java");
        Path childWork = Files.createDirectories(work.resolve(prefix + "-child"));
        Process child = new ProcessBuilder(java, "-Xmx1536m", "--add-modules", "jdk.incubator.vector",
                "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", "-cp", System.getProperty("java.class.path"),
                MonitorInstance.class.getName(), bootstrap, childWork.toString(), prefix, input, "eos", String.valueOf(D),
                String.valueOf(layers), String.valueOf(k), warm, String.valueOf(warmN))
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        AtomicLong childCount = new AtomicLong(), childDead = new AtomicLong(), childFirst = new AtomicLong(), childLast = new AtomicLong();
        AtomicLong warmed = new AtomicLong();
        Thread readerThread = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null; ) {
                    if (line.equals("warmed")) warmed.set(1);
                    else if (line.startsWith("count ")) {
                        String[] f = line.split(" ");
                        childDead.set(Long.parseLong(f[1]));
                        childFirst.set(Long.parseLong(f[3]));
                        childLast.set(Long.parseLong(f[4]));
                        childCount.set(Long.parseLong(f[2]));
                    }
                }
            } catch (IOException ignored) {
                // the child ended
            }
        }, "child-reader");
        readerThread.setDaemon(true);
        readerThread.start();
        OutputStream childIn = child.getOutputStream();
        try {
            long deadline = System.nanoTime() + DEADLINE.toNanos();
            while (warmed.get() == 0) {
                if (System.nanoTime() > deadline || !child.isAlive()) throw new IllegalStateException("second instance did not warm up");
                Thread.sleep(50);
            }
            ScoreTimes listener = new ScoreTimes(System::currentTimeMillis);
            AtomicLong count = listener.count, dead = listener.dead, first = listener.first, last = listener.last;
            childIn.write("go\n".getBytes(StandardCharsets.UTF_8));
            childIn.flush();
            try (MonitorApp app = EndToEndBenchmark.startPrepared(config, listener)) {
                while (count.get() + dead.get() + childCount.get() + childDead.get() < n) {
                    if (System.nanoTime() > deadline || app.failed() || !child.isAlive())
                        throw new IllegalStateException(prefix + ": scored " + count.get() + " + " + childCount.get() + " of " + n);
                    Thread.sleep(20);
                }
                Thread.sleep(300); // the child's last report
            }
            if (dead.get() + childDead.get() > 0) throw new IllegalStateException(prefix + ": records were dead-lettered");
            long f = count.get() == 0 ? childFirst.get() : childCount.get() == 0 ? first.get() : Math.min(first.get(), childFirst.get());
            long l = Math.max(last.get(), childLast.get());
            // Each instance's own rate (its records over its first-to-last score), summed: the two together while both
            // score. The span rate (all records over the first to the last score of either) also counts the time one
            // instance scores alone when the other got its partition later.
            double own = rate(count.get(), first.get(), last.get()), other = rate(childCount.get(), childFirst.get(), childLast.get());
            double span = (n - 1) / ((l - f) / 1e3);
            System.err.printf("%s: this JVM scored %d (%.0f/s), the second %d (%.0f/s); span rate %.0f/s%n", prefix,
                    count.get(), own, childCount.get(), other, span);
            split += String.format(Locale.ROOT, "%s%d + %d records at %.0f + %.0f records/s (span rate %.0f)",
                    split.isEmpty() ? "" : "; ", count.get(), childCount.get(), own, other, span);
            return own + other;
        } finally {
            childIn.close();
            if (!child.waitFor(60, TimeUnit.SECONDS)) {
                child.destroy();
                child.waitFor(10, TimeUnit.SECONDS);
            }
        }
    }
}
