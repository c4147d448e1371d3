package dev.refusalmonitor.bench.kernel;

import dev.refusalmonitor.bench.FittedSets;
import dev.refusalmonitor.math.FloatKernels;
import dev.refusalmonitor.contract.directions.DirectionSetModel;
import dev.refusalmonitor.contract.directions.LayerDirections;
import dev.refusalmonitor.math.score.CastScorer;
import dev.refusalmonitor.math.score.DirectionSetScorer;
import dev.refusalmonitor.math.score.MahalanobisScorer;
import dev.refusalmonitor.math.score.ProbeScorer;
import dev.refusalmonitor.math.score.Scores;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

import java.util.concurrent.TimeUnit;

/**
 * The per-record scoring kernel against the floor of reading its data once. Each invocation scores the next row of a
 * pool of {@value #POOL} distinct rows (as records arrive with fresh vectors, not one row hot in L1).
 *
 * <p>Configurations: {@code lowrank4096} = d 4096, one layer, low-rank Mahalanobis (k = 64, the fitter's default, no
 * exact factor since d &gt; 1024); {@code exact1024} = d 1024 with the exact whitening factor, scored on the exact path.
 * Baselines: {@code sumRow} sums the record's d floats; {@code sumTouched} sums every float the full score reads
 * (the row, the k eigenvector rows or the packed d(d+1)/2 factor, and the per-layer vectors), the memory-traffic floor.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class ScoringKernelBenchmark {
    static final int POOL = 256;

    @Param({"lowrank4096", "exact1024"})
    public String config;

    private int d;
    private float[] rows;
    private int next;
    private int[] layerIndex;
    private float[][] layerValue;
    private DirectionSetScorer scorer;
    private DirectionSetScorer.MahalanobisMode mode;
    private DirectionSetScorer.Scratch scratch;
    private Scores scores;
    static final int BATCH = 16;
    private DirectionSetScorer.Scratch batchScratch;
    private int[][] batchIndices;
    private float[][][] batchValues;
    private Scores[] batchScores;
    private MahalanobisScorer mahalanobis;
    private MahalanobisScorer.Scratch mahaScratch;
    private MahalanobisScorer.Result mahaResult;
    private boolean exact;
    private CastScorer cast;
    private ProbeScorer probe;
    private float[] dimDirection;
    private float[][] touched;

    @Setup(Level.Trial)
    public void setUp() {
        boolean lowRank = config.equals("lowrank4096");
        d = lowRank ? 4096 : 1024;
        // 200 rows per class is enough for every fit; the kernel's cost depends on d and k, not on n.
        DirectionSetModel set = FittedSets.cachedOneLayer(d, 200, 1024);
        LayerDirections l = set.layer(set.scoringLayer());
        exact = !lowRank;
        if (exact != l.mahalanobis().hasExact())
            throw new IllegalStateException(config + ": the fitted set's exact factor presence is " + l.mahalanobis().hasExact());
        scorer = new DirectionSetScorer(set);
        mode = exact ? DirectionSetScorer.MahalanobisMode.EXACT : DirectionSetScorer.MahalanobisMode.LOW_RANK;
        scratch = scorer.newScratch();
        scores = new Scores();
        batchScratch = scorer.newBatchScratch(BATCH);
        batchIndices = new int[BATCH][];
        batchValues = new float[BATCH][1][d];
        batchScores = new Scores[BATCH];
        for (int b = 0; b < BATCH; b++) {
            batchIndices[b] = new int[]{set.scoringLayer()};
            batchScores[b] = new Scores();
        }
        mahalanobis = new MahalanobisScorer(l.meanHarmful(), l.meanHarmless(), l.mahalanobis());
        mahaScratch = mahalanobis.newScratch();
        mahaResult = new MahalanobisScorer.Result();
        cast = new CastScorer(l.cast());
        probe = new ProbeScorer(l.probe());
        dimDirection = l.dimDirection();
        rows = FittedSets.rows(d, POOL, 99);
        layerIndex = new int[]{set.scoringLayer()};
        layerValue = new float[][]{new float[d]};
        float[] factor = exact ? l.mahalanobis().exactWhitening() : l.mahalanobis().eigenvectors();
        touched = new float[][]{rows, factor, l.meanHarmful(), l.meanHarmless(), l.dimDirection(), l.fisherDirection(),
                l.probe().coefficients(), l.cast().conditionVector()};
    }

    /** The next pool row's offset. */
    private int nextRow() {
        int off = next * d;
        next = next + 1 == POOL ? 0 : next + 1;
        return off;
    }

    @Benchmark
    public Scores score() {
        // The stream hands the scorer one float[] per layer: copy the pool row in, as the decoder's bulk copy does.
        System.arraycopy(rows, nextRow(), layerValue[0], 0, d);
        return scorer.score(layerIndex, layerValue, mode, scratch, scores);
    }

    /** Per record: 16 records scored together, as the monitor scores each poll (PollScoring). */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public Scores[] scoreBatch16() {
        for (int b = 0; b < BATCH; b++) System.arraycopy(rows, nextRow(), batchValues[b][0], 0, d);
        scorer.scoreBatch(BATCH, batchIndices, batchValues, mode, batchScratch, batchScores);
        return batchScores;
    }

    @Benchmark
    public double sumRow() {
        return sum(rows, nextRow(), d);
    }

    @Benchmark
    public double sumTouched() {
        int off = nextRow();
        double s = sum(rows, off, d);
        for (int i = 1; i < touched.length; i++) s += sum(touched[i], 0, touched[i].length);
        return s;
    }

    @Benchmark
    public double dot() {
        return FloatKernels.dot(rows, nextRow(), dimDirection, 0, d);
    }

    @Benchmark
    public MahalanobisScorer.Result mahalanobis() {
        return mahalanobis.score(rows, nextRow(), exact, mahaScratch, mahaResult);
    }

    @Benchmark
    public double castSimilarity() {
        return cast.similarity(rows, nextRow());
    }

    @Benchmark
    public double probeProbability() {
        return probe.probability(rows, nextRow());
    }

    /**
     * One pass over n floats at memory speed: Σ a², the SIMD dot kernel of the row with itself (each float is loaded
     * once), the fastest way this code base has to touch every float.
     */
    static double sum(float[] a, int off, int n) {
        return FloatKernels.dot(a, off, a, off, n);
    }
}
