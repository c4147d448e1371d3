package dev.refusalmonitor.trainer.cli;

import dev.refusalmonitor.cli.CliException;

import dev.refusalmonitor.cli.ExitCodes;

import dev.refusalmonitor.activations.NpyArray;
import dev.refusalmonitor.activations.NpyDType;
import dev.refusalmonitor.activations.NpyWriter;
import dev.refusalmonitor.math.synthetic.PlantedTruthSpec;
import dev.refusalmonitor.math.synthetic.SyntheticActivations;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/**
 * {@code probe-trainer generate}: writes planted-truth synthetic activations as {@code harmful.npy} and
 * {@code harmless.npy} ([n, L, d] f32), plus {@code planted.npy} ([L, d], the true direction per layer).
 */
@Command(name = "generate", mixinStandardHelpOptions = true,
        description = "Write synthetic activations with a planted refusal direction (harmful.npy, harmless.npy, planted.npy).")
public final class GenerateCommand implements Callable<Integer> {

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Output directory (created if missing).")
    Path out;

    @Option(names = "--harmful", defaultValue = "400", paramLabel = "N", description = "Harmful rows (default: ${DEFAULT-VALUE}).")
    int nHarmful;

    @Option(names = "--harmless", defaultValue = "1200", paramLabel = "N", description = "Harmless rows (default: ${DEFAULT-VALUE}).")
    int nHarmless;

    @Option(names = "--d", defaultValue = "256", paramLabel = "D", description = "Hidden size d (default: ${DEFAULT-VALUE}).")
    int d;

    @Option(names = "--layers", defaultValue = "4", paramLabel = "L", description = "Number of layers (default: ${DEFAULT-VALUE}).")
    int layers;

    @Option(names = "--separation", defaultValue = "2.5", paramLabel = "SD",
            description = "Class-mean shift along the planted direction, in within-class sd, at the strongest layer (default: ${DEFAULT-VALUE}).")
    double separation;

    @Option(names = "--seed", defaultValue = "42", description = "Random seed (default: ${DEFAULT-VALUE}).")
    long seed;

    @Override
    public Integer call() throws IOException {
        if (nHarmful < 1 || nHarmless < 1) throw CliException.usage("--harmful and --harmless must be >= 1");
        PlantedTruthSpec spec = PlantedTruthSpec.of(nHarmful, nHarmless, d, layers, seed).withSeparation(separation);
        SyntheticActivations.Sample s = SyntheticActivations.generate(spec);
        Files.createDirectories(out);
        NpyWriter.write(out.resolve("harmful.npy"), stack(s.harmful(), nHarmful, d));
        NpyWriter.write(out.resolve("harmless.npy"), stack(s.harmless(), nHarmless, d));
        float[] planted = new float[layers * d];
        for (int l = 0; l < layers; l++) System.arraycopy(s.plantedDirections()[l], 0, planted, l * d, d);
        NpyWriter.write(out.resolve("planted.npy"), new NpyArray(new int[]{layers, d}, planted, NpyDType.F32));
        return ExitCodes.OK;
    }

    /** Per-layer [n, d] arrays to one [n, L, d] array. */
    static NpyArray stack(float[][] perLayer, int n, int d) {
        int layers = perLayer.length;
        float[] data = new float[Math.multiplyExact(Math.multiplyExact(n, layers), d)];
        for (int i = 0; i < n; i++)
            for (int l = 0; l < layers; l++)
                System.arraycopy(perLayer[l], i * d, data, (i * layers + l) * d, d);
        return new NpyArray(new int[]{n, layers, d}, data, NpyDType.F32);
    }
}
