package dev.refusalmonitor.monitor.cli;

import dev.refusalmonitor.cli.testing.CliRun;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code --help} of {@code monitor-service} and {@code score}; bad usage exits 2. */
class MonitorServiceHelpTest {

    private static CliRun monitorService(Object... args) {
        return CliRun.run(MonitorServiceCli::commandLine, args);
    }

    private static CliRun ok(CliRun r) {
        return r.ok();
    }

    private static CliRun usage(CliRun r, Object... fragments) {
        return r.usage(fragments);
    }

    private static void assertLists(String text, String... items) {
        for (String f : items) assertTrue(text.contains(f), () -> "help lacks " + f + ":\n" + text);
    }

    @Test
    void topLevelHelpListsScore() {
        assertLists(ok(monitorService("--help")).out(), "Usage: monitor-service", "score");
        assertLists(ok(monitorService("--version")).out(), "monitor-service");
    }

    @Test
    void scoreHelpListsTheDesignFlags() {
        CliRun r = ok(monitorService("score", "--help"));
        assertLists(r.out(), "Usage: monitor-service score", "--directions", "--input", "--out", "--exact", "--layers",
                "--axis-layers");
        assertLists(ok(monitorService("help", "score")).out(), "--directions", "--exact");
    }

    @Test
    void unknownOptionsAndMissingArgumentsAreUsageErrors() {
        usage(monitorService("score", "--directions", "d.pb", "--input", "x.npy", "--bogus"), "Unknown option", "--bogus",
                "monitor-service score --help");
        usage(monitorService("score", "--input", "x.npy"), "--directions");
        usage(monitorService("score", "--directions", "d.pb"), "--input");
        usage(monitorService("nonsense"), "nonsense");
        usage(monitorService(), "a command is required");
    }

    @Test
    void exactAndLowRankExcludeEachOther() {
        usage(monitorService("score", "--directions", "d.pb", "--input", "x.npy", "--exact", "--low-rank"),
                "--exact and --low-rank exclude each other");
    }
}
