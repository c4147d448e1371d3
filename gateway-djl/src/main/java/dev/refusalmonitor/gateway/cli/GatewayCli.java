package dev.refusalmonitor.gateway.cli;



import dev.refusalmonitor.cli.ServiceCommandLine;
import dev.refusalmonitor.gateway.GatewayException;
import dev.refusalmonitor.cli.CommandLines;
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

    /** The service name of the settings convention: keys refusal.gateway.*, environment REFUSAL_GATEWAY_*. */
    public static final String SERVICE = "gateway";

    /** The configured command line, for {@code main} and tests. */
    public static CommandLine commandLine(PrintWriter out, PrintWriter err) {
        return commandLine(out, err, System.getenv());
    }

    /** As above, with settings from {@code env} (REFUSAL_GATEWAY_*, KAFKA_*, REFUSAL_GATEWAY_CONFIG_FILE). */
    public static CommandLine commandLine(PrintWriter out, PrintWriter err, java.util.Map<String, String> env) {
        return ServiceCommandLine.create(new GatewayCli(), SERVICE, env, out, err, GatewayException.class);
    }

    public static void main(String[] args) {
        CommandLines.runAndExit(GatewayCli::commandLine, args);
    }
}
