package dev.refusalmonitor.cli;

import dev.refusalmonitor.activations.ActivationSet;
import dev.refusalmonitor.activations.LoadOptions;
import dev.refusalmonitor.activations.Pooling;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/** How activation files are read: shared by {@code fit} and {@code score} (a picocli mixin). */
public final class ActivationInputOptions {

    @Option(names = "--layers", split = ",", paramLabel = "L",
            description = "Layers to use (Hugging Face hidden_states indices, 0 = embeddings), e.g. 2,3. Default: every layer in the input.")
    public List<Integer> layers;

    @Option(names = "--axis-layers", split = ",", paramLabel = "L",
            description = "Layer index of each entry of a .npy/vLLM file's layer axis. Default: entry i is layer i.")
    List<Integer> axisLayers;

    @Option(names = "--pooling", defaultValue = "last_token", paramLabel = "P",
            description = "Pooling of per-token vLLM hidden-state files: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}).")
    public Pooling pooling;

    public LoadOptions loadOptions() {
        LoadOptions o = LoadOptions.DEFAULT.withPooling(pooling);
        if (axisLayers != null) o = o.withAxisLayers(axisLayers.stream().mapToInt(Integer::intValue).toArray());
        if (layers != null) o = o.withLayers(layers.stream().mapToInt(Integer::intValue).toArray());
        return o;
    }

    public ActivationSet load(Path file) throws IOException {
        return ActivationSet.load(file, loadOptions());
    }
}
