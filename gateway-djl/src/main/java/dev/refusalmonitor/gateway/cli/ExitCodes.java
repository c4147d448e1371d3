package dev.refusalmonitor.gateway.cli;

/** Named exit codes, the same as every command line of the project. */
public final class ExitCodes {
    private ExitCodes() {
    }

    /** Success. */
    public static final int OK = 0;
    /** The command ran and failed (model run, broker). */
    public static final int RUNTIME_FAILURE = 1;
    /** Bad usage or bad input: unknown option, missing or invalid model, tokenizer, layer name or prompt file. */
    public static final int USAGE = 2;
}
