package dev.refusalmonitor.gateway.cli;

/** Ends a command with an exit code and a one-line message on stderr. */
public class CliException extends RuntimeException {
    private final int exitCode;

    public CliException(int exitCode, String message, Throwable cause) {
        super(message, cause);
        this.exitCode = exitCode;
    }

    public int exitCode() {
        return exitCode;
    }

    public static CliException usage(String message) {
        return new CliException(ExitCodes.USAGE, message, null);
    }
}
