package dev.refusalmonitor.trainer.cli;

import dev.refusalmonitor.activations.ActivationFileException;
import dev.refusalmonitor.cli.ServiceCommandLine;

import dev.refusalmonitor.cli.CommandLines;
import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.PrintWriter;

/** {@code probe-trainer}: fits direction sets from labelled activations and publishes them. */
@Command(name = "probe-trainer", mixinStandardHelpOptions = true, version = "probe-trainer 0.1.0",
        description = "Fit refusal/harmfulness directions from labelled activations and publish them.",
        subcommands = {FitCommand.class, GenerateCommand.class, KeygenCommand.class, RunCommand.class, ListCommand.class, ShowCommand.class,
                RollbackCommand.class, WithdrawCommand.class, PublishCommand.class, CommandLine.HelpCommand.class})
public final class ProbeTrainerCli implements Runnable {
    /** The service name of the settings convention: keys refusal.trainer.*, environment REFUSAL_TRAINER_*. */
    public static final String SERVICE = "trainer";

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "a command is required (fit, generate, keygen, run, list, show, rollback, withdraw, publish)");
    }

    /** The configured command line, for {@code main} and tests. */
    public static CommandLine commandLine(PrintWriter out, PrintWriter err) {
        return commandLine(out, err, System.getenv());
    }

    /** As above, with settings from {@code env} (REFUSAL_TRAINER_*, KAFKA_*, REFUSAL_TRAINER_CONFIG_FILE). */
    public static CommandLine commandLine(PrintWriter out, PrintWriter err, java.util.Map<String, String> env) {
        return ServiceCommandLine.create(new ProbeTrainerCli(), SERVICE, env, out, err, ActivationFileException.class);
    }

    public static void main(String[] args) {
        CommandLines.runAndExit(ProbeTrainerCli::commandLine, args);
    }
}
