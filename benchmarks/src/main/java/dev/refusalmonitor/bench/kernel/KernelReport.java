package dev.refusalmonitor.bench.kernel;

import dev.refusalmonitor.bench.Machine;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.Map;
import java.util.TreeMap;

/**
 * Runs {@link ScoringKernelBenchmark} through JMH and writes the "Scoring kernel" section of BENCHMARKS.md.
 * Usage: KernelReport OUT.md COMMAND [forks warmupIterations measurementIterations secondsPerIteration]
 */
public final class KernelReport {
    private static final double TARGET_RATIO = 3.0;

    private KernelReport() {
    }

    public static void main(String[] args) throws RunnerException, IOException {
        if (args.length != 2 && args.length != 6)
            throw new IllegalArgumentException("usage: KernelReport OUT.md COMMAND [forks warmup measurement seconds]");
        Path out = Path.of(args[0]);
        int forks = args.length == 6 ? Integer.parseInt(args[2]) : 2;
        int warmup = args.length == 6 ? Integer.parseInt(args[3]) : 5;
        int measure = args.length == 6 ? Integer.parseInt(args[4]) : 10;
        int seconds = args.length == 6 ? Integer.parseInt(args[5]) : 1;
        String machine = Machine.describe();
        Collection<RunResult> results = new Runner(new OptionsBuilder()
                .include(ScoringKernelBenchmark.class.getName())
                .forks(forks).warmupIterations(warmup).measurementIterations(measure)
                .warmupTime(TimeValue.seconds(seconds)).measurementTime(TimeValue.seconds(seconds))
                .jvmArgs("-Xmx2g", "-Dai.djl.offline=true", "--add-modules", "jdk.incubator.vector")
                .build()).run();

        // config -> benchmark -> {mean ns, error ns}
        Map<String, Map<String, double[]>> byConfig = new TreeMap<>();
        for (RunResult r : results) {
            String bench = r.getParams().getBenchmark();
            bench = bench.substring(bench.lastIndexOf('.') + 1);
            byConfig.computeIfAbsent(r.getParams().getParam("config"), k -> new TreeMap<>())
                    .put(bench, new double[]{r.getPrimaryResult().getScore(), r.getPrimaryResult().getScoreError()});
        }
        StringBuilder md = new StringBuilder();
        md.append("## Scoring kernel (JMH)\n\n");
        md.append("Command: `").append(args[1]).append("`\n\n");
        md.append("Machine: ").append(machine).append("\n\n");
        md.append(String.format("JMH 1.37, average time per record, %d fork(s) × %d × %d s measured after %d × %d s warm-up; "
                + "± is JMH's 99.9 %% error.%n%n", forks, measure, seconds, warmup, seconds));
        md.append("`lowrank4096`: d = 4096, one layer, low-rank Mahalanobis (k = 64); `exact1024`: d = 1024, exact "
                + "whitening factor. Sets fitted by DirectionFitter on planted-truth data (200 rows per class); "
                + "rows cycle through a pool of 256 distinct vectors. `score` = DirectionSetScorer.score (all scorers, "
                + "plus the copy of the row into the layer array the decoder would fill); `scoreBatch16` = DirectionSetScorer.scoreBatch over 16 records, per record (how the monitor scores each poll; the same bits as `score`); `sumRow` = one SIMD summing pass "
                + "over the row's d floats (Σx² by the f32 dot kernel: each float loaded once); `sumTouched` = the same "
                + "pass over every float `score` would read with all parameters in f32 (row, eigenvector rows or packed "
                + "factor, means and direction vectors; the scorer keeps some eigenvector rows as int16, so it reads "
                + "fewer bytes than this); `dot` = one f32 SIMD dot product (DIM or Fisher).\n\n");
        md.append("| config | benchmark | ns/record | ± |\n| --- | --- | ---: | ---: |\n");
        for (Map.Entry<String, Map<String, double[]>> c : byConfig.entrySet())
            for (Map.Entry<String, double[]> b : c.getValue().entrySet())
                md.append(String.format("| %s | %s | %.0f | %.0f |%n", c.getKey(), b.getKey(), b.getValue()[0], b.getValue()[1]));
        md.append("\n| config | score / sumRow | score / sumTouched | target ≤ ").append(TARGET_RATIO).append("× |\n")
                .append("| --- | ---: | ---: | --- |\n");
        for (Map.Entry<String, Map<String, double[]>> c : byConfig.entrySet()) {
            double score = c.getValue().get("score")[0];
            double row = c.getValue().get("sumRow")[0];
            double touched = c.getValue().get("sumTouched")[0];
            md.append(String.format("| %s | %.1f× | %.1f× | %s against the row, %s against the touched floats |%n",
                    c.getKey(), score / row, score / touched,
                    score / row <= TARGET_RATIO ? "met" : "missed", score / touched <= TARGET_RATIO ? "met" : "missed"));
        }
        md.append('\n');
        Files.writeString(out, md.toString());
    }
}
