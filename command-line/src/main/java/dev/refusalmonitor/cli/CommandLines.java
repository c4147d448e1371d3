package dev.refusalmonitor.cli;

import picocli.CommandLine;

import java.io.PrintWriter;
import java.util.List;

/**
 * Builds a configured picocli {@link CommandLine}: one-line messages for {@link CliException} and bad input,
 * named exit codes, output to the given writers. Used by every {@code main} and by the tests.
 */
public final class CommandLines {
    private CommandLines() {
    }

    /**
     * @param usageErrors exception types that mean bad input (exit code {@link ExitCodes#USAGE}) besides
     *                    {@link IllegalArgumentException}, e.g. an unreadable activation file
     */
    @SafeVarargs
    public static CommandLine configure(CommandLine cl, PrintWriter out, PrintWriter err,
                                        Class<? extends Throwable>... usageErrors) {
        List<Class<? extends Throwable>> usage = List.of(usageErrors);
        java.util.function.ToIntFunction<Throwable> exitCodeOf = t -> exitCodeOf(t, usage);
        cl.setOut(out);
        cl.setErr(err);
        cl.setCaseInsensitiveEnumValuesAllowed(true);
        cl.setExitCodeExceptionMapper(exitCodeOf::applyAsInt);
        cl.setExecutionExceptionHandler((ex, cmd, parseResult) -> {
            Throwable t = ex;
            // Unwrap reflection/ execution wrappers for the message.
            while (!(t instanceof CliException) && t.getCause() != null && t.getCause() != t
                    && (t instanceof java.util.concurrent.ExecutionException
                    || t instanceof java.lang.reflect.InvocationTargetException)) {
                t = t.getCause();
            }
            cmd.getErr().println(cmd.getCommandName() + ": " + messageOf(t));
            if (!(t instanceof CliException) && Boolean.getBoolean("refusalmonitor.debug")) t.printStackTrace(cmd.getErr());
            cmd.getErr().flush();
            return exitCodeOf.applyAsInt(t);
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

    /**
     * What every {@code main} does: builds the command line with {@code factory} on stdout and stderr, runs
     * {@code args} and exits the JVM with the command's exit code.
     */
    public static void runAndExit(java.util.function.BiFunction<PrintWriter, PrintWriter, CommandLine> factory,
                                  String[] args) {
        PrintWriter out = new PrintWriter(System.out, true);
        PrintWriter err = new PrintWriter(System.err, true);
        int code = factory.apply(out, err).execute(args);
        out.flush();
        err.flush();
        System.exit(code);
    }

    /**
     * The one-line message for an exception. NIO's file exceptions often carry only the path ("/x/y"), which reads
     * as no message at all; add what happened to it.
     */
    static String messageOf(Throwable t) {
        if (t instanceof java.nio.file.FileSystemException f && f.getReason() == null) {
            String what = t instanceof java.nio.file.NoSuchFileException ? "no such file or directory"
                    : t instanceof java.nio.file.AccessDeniedException ? "permission denied"
                    : t instanceof java.nio.file.FileAlreadyExistsException ? "exists and is not a directory"
                    : t.getClass().getSimpleName();
            String other = f.getOtherFile() == null ? "" : " (and " + f.getOtherFile() + ")";
            return f.getFile() + other + ": " + what;
        }
        return t.getMessage() == null ? t.toString() : t.getMessage();
    }

    /** Exit code for an exception that escaped a command. */
    static int exitCodeOf(Throwable t, List<Class<? extends Throwable>> usageErrors) {
        if (t instanceof CliException c) return c.exitCode();
        if (t instanceof IllegalArgumentException) return ExitCodes.USAGE;
        for (Class<? extends Throwable> u : usageErrors) if (u.isInstance(t)) return ExitCodes.USAGE;
        if (t instanceof java.nio.file.NoSuchFileException) return ExitCodes.USAGE;
        // --out naming an existing file where a directory is wanted.
        if (t instanceof java.nio.file.FileAlreadyExistsException) return ExitCodes.USAGE;
        return ExitCodes.RUNTIME_FAILURE;
    }
}
