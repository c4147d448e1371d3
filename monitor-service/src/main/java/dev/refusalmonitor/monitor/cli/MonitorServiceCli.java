package dev.refusalmonitor.monitor.cli;

import dev.refusalmonitor.cli.CommandLines;
import dev.refusalmonitor.activations.ActivationFileException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.PrintWriter;

/** {@code monitor-service}: the streaming scorer, its demo, and offline scoring. */
@Command(name = "monitor-service", mixinStandardHelpOptions = true, version = "monitor-service 0.1.0",
        description = "Score LLM hidden states for refusal/harmfulness, live from Kafka or offline.",
        footer = {"", "bin/monitor-service demo runs the whole pipeline on an embedded broker (module demo)."},
        subcommands = {RunCommand.class, ScoreCommand.class, ReplayCommand.class, CommandLine.HelpCommand.class})
public final class MonitorServiceCli implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "a command is required");
    }

    /** The configured command line, for {@code main} and tests. */
    public static CommandLine commandLine(PrintWriter out, PrintWriter err) {
        return CommandLines.configure(new CommandLine(new MonitorServiceCli()), out, err, ActivationFileException.class);
    }

    public static void main(String[] args) {
        CommandLines.runAndExit(MonitorServiceCli::commandLine, args);
    }
}
