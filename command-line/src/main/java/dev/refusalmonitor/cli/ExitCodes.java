package dev.refusalmonitor.cli;

/** Named exit codes shared by every command line of the project. */
public final class ExitCodes {
    private ExitCodes() {
    }

    /** Success. */
    public static final int OK = 0;
    /** The command ran and failed (I/O, broker, numerical failure). */
    public static final int RUNTIME_FAILURE = 1;
    /** Bad usage or bad input: unknown option, unreadable or invalid file. */
    public static final int USAGE = 2;
    /** The command ran but its result was rejected (e.g. a quality gate refused to publish). */
    public static final int REJECTED = 3;
}
