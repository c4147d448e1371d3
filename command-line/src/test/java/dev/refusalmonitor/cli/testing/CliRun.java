package dev.refusalmonitor.cli.testing;

import dev.refusalmonitor.cli.ExitCodes;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Arrays;
import java.util.function.BiFunction;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** One run of a command line built by a service's factory, as tests see it: exit code, stdout, stderr. */
public record CliRun(int code, String out, String err) {

    /** Runs {@code factory(out, err).execute(args)} with each argument as {@code String.valueOf}. */
    public static CliRun run(BiFunction<PrintWriter, PrintWriter, CommandLine> factory, Object... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        PrintWriter o = new PrintWriter(out);
        PrintWriter e = new PrintWriter(err);
        int code = factory.apply(o, e).execute(Arrays.stream(args).map(String::valueOf).toArray(String[]::new));
        o.flush();
        e.flush();
        return new CliRun(code, out.toString(), err.toString());
    }

    /** Asserts exit code 0. */
    public CliRun ok() {
        assertEquals(ExitCodes.OK, code, this::toString);
        return this;
    }

    /** Asserts exit code 2 and that stderr holds every fragment. */
    public CliRun usage(Object... fragments) {
        assertEquals(ExitCodes.USAGE, code, this::toString);
        for (Object f : fragments)
            assertTrue(err.contains(String.valueOf(f)), () -> "stderr lacks '" + f + "':\n" + this);
        return this;
    }

    @Override
    public String toString() {
        return "exit " + code + "\n--- stdout\n" + out + "--- stderr\n" + err;
    }
}
