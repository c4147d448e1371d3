package dev.refusalmonitor.gateway.cli;

import dev.refusalmonitor.gateway.GatewayException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.PrintWriter;

/** {@code gateway}: runs a transformer with DJL and exports pooled hidden states to files or Kafka. */
@Command(name = "gateway", mixinStandardHelpOptions = true, version = "gateway 0.1.0",
        description = "Run a transformer (ONNX or TorchScript, through DJL) and export per-prompt hidden states.",
        subcommands = {EmbedCommand.class, PublishCommand.class, VllmBridgeCommand.class, CommandLine.HelpCommand.class},
        footer = {"", "Without --model the bundled all-MiniLM-L6-v2 (ONNX, layers 0..6, d = 384) is used.",
                "Run with -Dai.djl.offline=true (bin/gateway does) so DJL never downloads anything."})
public final class GatewayCli implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "a command is required (embed, publish, vllm-bridge)");
    }

    /** The configured command line, for {@code main} and tests. */
    public static CommandLine commandLine(PrintWriter out, PrintWriter err) {
        CommandLine cl = new CommandLine(new GatewayCli());
        cl.setOut(out);
        cl.setErr(err);
        cl.setExitCodeExceptionMapper(GatewayCli::exitCodeOf);
        cl.setExecutionExceptionHandler((ex, cmd, parseResult) -> {
            cmd.getErr().println(cmd.getCommandName() + ": " + (ex.getMessage() == null ? ex.toString() : ex.getMessage()));
            if (Boolean.getBoolean("refusalmonitor.debug")) ex.printStackTrace(cmd.getErr());
            cmd.getErr().flush();
            return exitCodeOf(ex);
        });
        cl.setParameterExceptionHandler((ex, args) -> {
            CommandLine cmd = ex.getCommandLine();
            cmd.getErr().println(cmd.getCommandName() + ": " + ex.getMessage());
            cmd.getErr().println("Try '" + cmd.getCommandSpec().qualifiedName() + " --help' for usage.");
            cmd.getErr().flush();
            return ExitCodes.USAGE;
        });
        return cl;
    }

    static int exitCodeOf(Throwable t) {
        if (t instanceof CliException c) return c.exitCode();
        if (t instanceof GatewayException || t instanceof IllegalArgumentException) return ExitCodes.USAGE;
        return ExitCodes.RUNTIME_FAILURE;
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
