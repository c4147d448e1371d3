package dev.refusalmonitor.trainer.cli;

import org.junit.jupiter.api.Test;

import static dev.refusalmonitor.trainer.cli.CliHarness.ok;
import static dev.refusalmonitor.trainer.cli.CliHarness.probeTrainer;
import static dev.refusalmonitor.trainer.cli.CliHarness.usage;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code --help} on every command lists the DESIGN flags; bad usage exits 2 with a pointer to --help. */
class ProbeTrainerHelpTest {

    private static void assertLists(String text, String... flags) {
        for (String f : flags) assertTrue(text.contains(f), () -> "help lacks " + f + ":\n" + text);
    }

    @Test
    void topLevelHelpListsTheCommands() {
        CliHarness.Run r = ok(probeTrainer("--help"));
        assertLists(r.out(), "Usage: probe-trainer", "fit", "generate", "help");
        assertTrue(r.err().isEmpty(), r::toString);
    }

    @Test
    void fitHelpListsTheDesignFlags() {
        CliHarness.Run r = ok(probeTrainer("fit", "--help"));
        assertLists(r.out(), "Usage: probe-trainer fit", "--harmful", "--harmless", "--layers", "--out",
                "--holdout-harmful", "--holdout-harmless", "--exact-max-dim", "--min-per-class", "--axis-layers");
        // The help subcommand says the same.
        assertLists(ok(probeTrainer("help", "fit")).out(), "--harmful", "--holdout-harmless");
    }

    @Test
    void generateHelpListsItsFlags() {
        assertLists(ok(probeTrainer("generate", "--help")).out(), "Usage: probe-trainer generate", "--out", "--harmful",
                "--harmless", "--d", "--layers", "--separation", "--seed");
    }

    @Test
    void versionIsPrinted() {
        assertLists(ok(probeTrainer("--version")).out(), "probe-trainer 0.1.0");
    }

    @Test
    void unknownOptionIsAUsageError() {
        usage(probeTrainer("fit", "--harmful", "a.npy", "--harmless", "b.npy", "--bogus"), "Unknown option",
                "--bogus", "probe-trainer fit --help");
        usage(probeTrainer("--bogus"), "Unknown option");
        usage(probeTrainer("generate", "--out", "x", "--nope", "1"), "--nope");
    }

    @Test
    void unknownCommandAndMissingCommandAreUsageErrors() {
        usage(probeTrainer("fitt"), "fitt");
        usage(probeTrainer(), "a command is required");
    }

    @Test
    void missingRequiredOptionsAreUsageErrors() {
        usage(probeTrainer("fit", "--harmless", "b.npy"), "--harmful");
        usage(probeTrainer("fit", "--harmful", "a.npy"), "--harmless");
        usage(probeTrainer("generate"), "--out");
    }

    @Test
    void badOptionValuesAreUsageErrors() {
        usage(probeTrainer("fit", "--harmful", "a.npy", "--harmless", "b.npy", "--layers", "x"), "--layers", "x");
        usage(probeTrainer("fit", "--harmful", "a.npy", "--harmless", "b.npy", "--min-per-class", "many"),
                "--min-per-class");
    }
}
