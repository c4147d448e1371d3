package dev.refusalmonitor.monitor.cli;

import dev.refusalmonitor.activations.ActivationSet;
import dev.refusalmonitor.contract.directions.DirectionSetModel;
import dev.refusalmonitor.math.score.DirectionSetScorer;
import dev.refusalmonitor.math.score.Scores;
import dev.refusalmonitor.monitor.score.ScoreJson;
import dev.refusalmonitor.schemas.DirectionSetCodec;
import dev.refusalmonitor.schemas.InvalidDirectionSetException;
import dev.refusalmonitor.cli.CliException;
import dev.refusalmonitor.cli.ExitCodes;
import dev.refusalmonitor.cli.ActivationInputOptions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.FilterWriter;
import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.Callable;

/**
 * {@code monitor-service score}: scores an activation array offline with the very scorer the stream uses, one JSON
 * object per row.
 */
@Command(name = "score", mixinStandardHelpOptions = true,
        description = "Score activations offline with a direction set; one JSON line per row (same code as the stream).")
public final class ScoreCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--directions", required = true, paramLabel = "FILE", description = "directions.pb written by probe-trainer fit.")
    Path directions;

    @Option(names = "--input", required = true, paramLabel = "FILE",
            description = "Activations: .npy [n, d] or [n, L, d], .safetensors, or a directory of vLLM hidden-state files.")
    Path input;

    @Option(names = "--out", paramLabel = "FILE", description = "Write JSON lines here (default: standard output).")
    Path out;

    @Option(names = "--exact", description = "Force the exact Mahalanobis path (an error if the set has no exact factor).")
    boolean exact;

    @Option(names = "--low-rank", description = "Force the low-rank Mahalanobis path.")
    boolean lowRank;

    @Mixin
    ActivationInputOptions inputOptions;

    @Override
    public Integer call() throws Exception {
        if (exact && lowRank) throw CliException.usage("--exact and --low-rank exclude each other");
        if (!dev.refusalmonitor.math.FloatKernels.SIMD) spec.commandLine().getErr().println(SimdNotice.TEXT);
        DirectionSetModel set = loadDirections(directions);
        DirectionSetScorer scorer = new DirectionSetScorer(set);
        if (exact && !scorer.hasExact())
            throw CliException.usage(directions + ": the set stores no exact Mahalanobis factor (d = " + set.d()
                    + "); refit with a larger --exact-max-dim, or drop --exact");
        ActivationSet x = inputOptions.load(input);
        if (x.d() != set.d())
            throw CliException.usage(input + ": d = " + x.d() + " but " + directions + " has d = " + set.d());
        int[] needed = scorer.requiredLayers();
        for (int l : needed)
            if (!x.hasLayer(l))
                throw CliException.usage(input + ": has layers " + Arrays.toString(x.layers()) + " but the direction set needs "
                        + Arrays.toString(needed) + " (use --axis-layers to say which layer each array entry is)");
        DirectionSetScorer.MahalanobisMode mode = exact ? DirectionSetScorer.MahalanobisMode.EXACT
                : lowRank ? DirectionSetScorer.MahalanobisMode.LOW_RANK : DirectionSetScorer.MahalanobisMode.AUTO;

        int d = x.d();
        float[][] rows = new float[needed.length][d];
        float[][] arrays = new float[needed.length][];
        for (int i = 0; i < needed.length; i++) arrays[i] = x.layer(needed[i]);
        DirectionSetScorer.Scratch scratch = scorer.newScratch();
        Scores scores = new Scores();
        // Closing the ScoreJson closes its writer: a file is closed, standard output only flushed.
        Writer w = out == null ? new FilterWriter(spec.commandLine().getOut()) {
            @Override
            public void close() throws IOException {
                flush();
            }
        } : Files.newBufferedWriter(out, StandardCharsets.UTF_8);
        try (ScoreJson json = new ScoreJson(w)) {
            for (int r = 0; r < x.n(); r++) {
                for (int i = 0; i < needed.length; i++) System.arraycopy(arrays[i], r * d, rows[i], 0, d);
                scorer.score(needed, rows, mode, scratch, scores);
                json.write(r, scores);
            }
        }
        return ExitCodes.OK;
    }

    /** Reads and validates a sealed direction set file; bad files are usage errors naming the file. */
    public static DirectionSetModel loadDirections(Path file) throws IOException {
        if (Files.isDirectory(file))
            throw CliException.usage(file + ": is a directory; give the directions.pb file written by probe-trainer fit");
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw CliException.usage(file + ": no such file");
        } catch (IOException e) {
            // Unreadable input is bad input (exit 2), and the message must name the file.
            throw CliException.usage(file + ": cannot read: " + e.getMessage());
        }
        try {
            return DirectionSetCodec.open(bytes);
        } catch (InvalidDirectionSetException e) {
            throw new CliException(ExitCodes.USAGE, file + ": not a usable direction set: " + e.getMessage());
        }
    }
}
