package dev.refusalmonitor.security;

import dev.refusalmonitor.gateway.cli.GatewayCli;
import dev.refusalmonitor.monitor.cli.MonitorServiceCli;
import dev.refusalmonitor.trainer.cli.ProbeTrainerCli;
import picocli.CommandLine;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BiFunction;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * Runs the project's programs as their {@code main} does (the same command line, exit code and messages; only the
 * environment is handed in instead of read from the process, and {@code System.exit} is left out), and the Python
 * producer as a child process with Debian's {@code /usr/bin/python3}.
 */
final class Run {
    static final String PYTHON = System.getProperty("oracle.python", "/usr/bin/python3");

    /** A finished run: exit code, standard output, standard error and how long it took. */
    record Result(String program, int exitCode, String out, String err, Duration took) {
        /** The non-blank lines the program wrote to its standard error (its messages; logs go to System.err). */
        List<String> messageLines() {
            List<String> lines = new ArrayList<>();
            for (String l : err.split("\n")) if (!l.isBlank()) lines.add(l);
            return lines;
        }

        @Override
        public String toString() {
            return program + " exited " + exitCode + " after " + took.toMillis() + " ms\n--- out:\n" + out + "--- err:\n" + err;
        }
    }

    private Run() {
    }

    static Result monitor(String... args) {
        return picocli("monitor-service", (out, err) -> MonitorServiceCli.commandLine(out, err), args);
    }

    static Result trainer(Map<String, String> env, String... args) {
        return picocli("probe-trainer", (out, err) -> ProbeTrainerCli.commandLine(out, err, env), args);
    }

    static Result gateway(Map<String, String> env, String... args) {
        return picocli("gateway", (out, err) -> GatewayCli.commandLine(out, err, env), args);
    }

    private static Result picocli(String program, BiFunction<PrintWriter, PrintWriter, CommandLine> factory, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        long t0 = System.nanoTime();
        int code = factory.apply(new PrintWriter(out, true), new PrintWriter(err, true)).execute(args);
        return new Result(program + " " + (args.length > 0 ? args[0] : ""), code, out.toString(), err.toString(),
                Duration.ofNanos(System.nanoTime() - t0));
    }

    /** clients/python, the Python producer's package root. */
    static Path pythonClient() {
        return WrittenDownKafka.repositoryRoot().resolve("clients").resolve("python");
    }

    /** {@code python3 -m refusal_monitor_producer ARGS} with {@code env} added to this process's environment. */
    static Result python(Map<String, String> env, Path workDir, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(PYTHON, "-m", "refusal_monitor_producer"));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(workDir.toFile());
        pb.environment().keySet().removeIf(k -> k.startsWith("KAFKA_"));
        pb.environment().putAll(env);
        pb.environment().put("PYTHONPATH", pythonClient().toString());
        pb.environment().put("PYTHONDONTWRITEBYTECODE", "1");
        Path out = Files.createTempFile(workDir, "python-", ".out");
        Path err = Files.createTempFile(workDir, "python-", ".err");
        pb.redirectOutput(out.toFile()).redirectError(err.toFile());
        long t0 = System.nanoTime();
        Process p;
        try {
            p = pb.start();
        } catch (IOException e) {
            fail(PYTHON + " cannot be started (" + e.getMessage() + "): the Python producer needs Debian's python3 with "
                    + "numpy and kafka-python: apt-get install -y python3-numpy python3-kafka");
            throw e;
        }
        p.getOutputStream().close();
        if (!p.waitFor(2, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            fail("the Python producer did not finish within 2 minutes: " + Files.readString(err));
        }
        return new Result("python3 -m refusal_monitor_producer", p.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                Files.readString(err, StandardCharsets.UTF_8), Duration.ofNanos(System.nanoTime() - t0));
    }
}
