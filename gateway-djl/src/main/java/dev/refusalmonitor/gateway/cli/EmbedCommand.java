package dev.refusalmonitor.gateway.cli;

import dev.refusalmonitor.cli.CliException;

import dev.refusalmonitor.cli.ExitCodes;

import dev.refusalmonitor.activations.ActivationSetWriter;
import dev.refusalmonitor.activations.NpyDType;
import dev.refusalmonitor.gateway.GatewayException;
import dev.refusalmonitor.gateway.PooledHiddenStates;
import dev.refusalmonitor.gateway.Prompt;
import dev.refusalmonitor.gateway.TransformerHiddenStates;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code gateway embed}: pooled hidden states of every prompt to one {@code .npy} [n, L, d] f32. */
@Command(name = "embed", mixinStandardHelpOptions = true,
        description = {"Embed prompts and write their pooled hidden states as .npy [n, L, d] float32 "
                + "(layers ascending; the layer list is printed).",
                "Run once per label (e.g. --label harmful --out harmful.npy) to get the inputs of 'probe-trainer fit'."})
public final class EmbedCommand implements Callable<Integer> {

    @Mixin
    ModelOptions options;

    @Option(names = "--out", required = true, paramLabel = "FILE.npy", description = "Output .npy file.")
    Path out;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws GatewayException, IOException {
        if (!out.getFileName().toString().endsWith(".npy")) throw CliException.usage("--out must end in .npy, got " + out);
        List<Prompt> prompts = options.readPrompts();
        try (TransformerHiddenStates model = TransformerHiddenStates.open(options.spec())) {
            PooledHiddenStates states = model.embed(prompts.stream().map(Prompt::instruction).toList(), options.pooling,
                    options.layers);
            Path parent = out.toAbsolutePath().getParent();
            if (parent != null) Files.createDirectories(parent);
            ActivationSetWriter.writeNpy(out, states.toActivationSet(out), NpyDType.F32);
            spec.commandLine().getOut().println("wrote " + out + ": n = " + states.n() + ", layers "
                    + Arrays.toString(states.layers()) + ", d = " + states.d()
                    + (options.label == null ? "" : ", label " + (options.label == dev.refusalmonitor.schemas.v1.HarmLabel.HARM_LABEL_HARMFUL ? "harmful" : "harmless")));
        }
        return ExitCodes.OK;
    }
}
