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
        String m = t.getMessage() == null ? t.toString() : t.getMessage();
        return withTlsReason(withConstructionReason(m, t), t);
    }

    /**
     * "Failed to construct kafka producer" (or consumer, or admin client) is all Kafka says when a client setting is
     * wrong (e.g. a JAAS line without its semicolon); the reason is the innermost cause. Kafka's messages name
     * settings, never their values.
     */
    private static String withConstructionReason(String message, Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
            String cm = c.getMessage();
            if (c instanceof org.apache.kafka.common.KafkaException && cm != null
                    && (cm.startsWith("Failed to construct kafka") || cm.startsWith("Failed to create new KafkaAdminClient"))) {
                String why = null;
                for (Throwable r = c.getCause(); r != null; r = r.getCause() == r ? null : r.getCause())
                    if (r.getMessage() != null) why = r.getMessage();
                return why == null || message.contains(why) ? message : message + ": " + why;
            }
        }
        return message;
    }

    /**
     * One line for a failed Kafka client call: the first authentication or authorization failure in the cause chain
     * (wrong password, untrusted certificate, missing ACL) if there is one, else {@code t}'s own message; a failed TLS
     * handshake with its reason. Kafka's messages never contain the credentials.
     */
    public static String kafkaFailure(Throwable t) {
        Throwable security = securityFailure(t);
        Throwable shown = security != null ? security : t;
        String m = shown.getMessage() == null ? shown.getClass().getSimpleName() : shown.getMessage();
        return withTlsReason(m, shown);
    }

    /**
     * The first {@link org.apache.kafka.common.errors.AuthenticationException} (SASL login or TLS handshake refused)
     * or {@link org.apache.kafka.common.errors.AuthorizationException} (an ACL is missing) in {@code t}'s cause chain:
     * failures that no retry can fix. Null when there is none.
     */
    public static Throwable securityFailure(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
            if (c instanceof org.apache.kafka.common.errors.AuthenticationException
                    || c instanceof org.apache.kafka.common.errors.AuthorizationException) return c;
        }
        return null;
    }

    /** Kafka says only "SSL handshake failed"; why (an untrusted certificate, another host's name) is the root cause. */
    private static String withTlsReason(String message, Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
            if (c instanceof org.apache.kafka.common.errors.SslAuthenticationException) {
                Throwable root = c;
                while (root.getCause() != null && root.getCause() != root) root = root.getCause();
                String why = root.getMessage();
                return root == c || why == null || message.contains(why) ? message : message + " (" + why + ")";
            }
        }
        return message;
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
