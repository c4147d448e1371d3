package dev.refusalmonitor.trainer.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.PrintWriter;

/** {@code probe-trainer}: fits direction sets from labelled activations and publishes them. */
@Command(name = "probe-trainer", mixinStandardHelpOptions = true, version = "probe-trainer 0.1.0",
        description = "Fit refusal/harmfulness directions from labelled activations and publish them.",
        subcommands = {FitCommand.class, GenerateCommand.class, RunCommand.class, ListCommand.class, ShowCommand.class,
                RollbackCommand.class, PublishCommand.class, CommandLine.HelpCommand.class})
public final class ProbeTrainerCli implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "a command is required (fit, generate, run, list, show, rollback, publish)");
    }

    /** The configured command line, for {@code main} and tests. */
    public static CommandLine commandLine(PrintWriter out, PrintWriter err) {
        return commandLine(out, err, System.getenv());
    }

    /** As above, with option defaults from {@code env} (PROBE_TRAINER_*, PROBE_TRAINER_CONFIG_FILE). */
    public static CommandLine commandLine(PrintWriter out, PrintWriter err, java.util.Map<String, String> env) {
        CommandLine cl = new CommandLine(new ProbeTrainerCli());
        cl.setDefaultValueProvider(new TrainerDefaults(env));
        return CommandLines.configure(cl, out, err);
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
