package dev.refusalmonitor.trainer.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.PrintWriter;

/** {@code probe-trainer}: fits direction sets from labelled activations and publishes them. */
@Command(name = "probe-trainer", mixinStandardHelpOptions = true, version = "probe-trainer 0.1.0",
        description = "Fit refusal/harmfulness directions from labelled activations and publish them.",
        subcommands = {FitCommand.class, GenerateCommand.class, CommandLine.HelpCommand.class})
public final class ProbeTrainerCli implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "a command is required (fit, generate)");
    }

    /** The configured command line, for {@code main} and tests. */
    public static CommandLine commandLine(PrintWriter out, PrintWriter err) {
        return CommandLines.configure(new CommandLine(new ProbeTrainerCli()), out, err);
    }

    public static void main(String[] args) {
        PrintWriter out = new PrintWriter(System.out, true);
        PrintWriter err = new PrintWriter(System.err, true);
        int code = commandLine(out, err).execute(args);
        out.flush();
        err.flush();
        System.exit(code);
    }
}
