package dev.refusalmonitor.trainer.cli;

import dev.refusalmonitor.embedded.EmbeddedKafkaCluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static dev.refusalmonitor.trainer.cli.CliHarness.ok;
import static dev.refusalmonitor.trainer.cli.CliHarness.probeTrainer;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** fit → publish → list → show → rollback through the real command line against a real broker. */
@Timeout(300)
class TrainerCommandsIntegrationTest {
    private static EmbeddedKafkaCluster kafka;

    @TempDir
    Path tmp;

    @BeforeAll
    static void startBroker() {
        kafka = EmbeddedKafkaCluster.startDefault();
    }

    @AfterAll
    static void stopBroker() {
        if (kafka != null) kafka.close();
    }

    private Object[] topics(Object... args) {
        Object[] common = {"--bootstrap-servers", kafka.bootstrapServers(), "--directions-topic", "cli.directions",
                "--history-topic", "cli.history", "--timeout", "PT30S"};
        Object[] out = new Object[args.length + common.length];
        System.arraycopy(args, 0, out, 0, args.length);
        System.arraycopy(common, 0, out, args.length, common.length);
        return out;
    }

    @Test
    void shouldPublishListShowAndRollBackOfflineSets() throws Exception {
        Path data = tmp.resolve("data");
        ok(probeTrainer("generate", "--out", data, "--harmful", 60, "--harmless", 60, "--dim", 16, "--layers", 2));
        ok(probeTrainer("fit", "--harmful", data.resolve("harmful.npy"), "--harmless", data.resolve("harmless.npy"),
                "--model-id", "gemma", "--out", tmp.resolve("fit"), "--quiet"));
        Path pb = tmp.resolve("fit").resolve("directions.pb");
        assertTrue(ok(probeTrainer(topics("publish", "--directions", pb))).out().contains("published version 1"));
        assertTrue(ok(probeTrainer(topics("publish", "--directions", pb))).out().contains("published version 2"));

        CliHarness.Run list = ok(probeTrainer(topics("list")));
        assertTrue(list.out().lines().anyMatch(l -> l.startsWith("gemma") && l.contains(" 2 ") && l.contains("16")), list::toString);

        CliHarness.Run show = ok(probeTrainer(topics("show", "gemma")));
        assertTrue(show.out().contains("version:        2") && show.out().contains("\"scoringLayer\""), show::toString);

        CliHarness.Run back = ok(probeTrainer(topics("rollback", "gemma", "--to", 1)));
        assertTrue(back.out().contains("version 1 re-published as version 3"), back::toString);
        assertTrue(ok(probeTrainer(topics("show", "gemma"))).out().contains("version:        3"));
        CliHarness.Run history = ok(probeTrainer(topics("list", "--history", "gemma")));
        assertEquals(3, history.out().lines().filter(l -> l.startsWith("gemma")).count(), history::toString);

        CliHarness.Run missing = probeTrainer(topics("rollback", "gemma", "--to", 42));
        assertEquals(ExitCodes.USAGE, missing.code(), missing::toString);
        assertTrue(missing.err().contains("version 42 of model 'gemma' is not on the history topic"), missing::toString);

        CliHarness.Run tooBig = probeTrainer(topics("publish", "--directions", pb, "--max-set-bytes", 2048));
        assertEquals(ExitCodes.REJECTED, tooBig.code(), tooBig::toString);
        assertTrue(tooBig.err().contains("--max-set-bytes"), tooBig::toString);
    }

    @Test
    void shouldTakeOptionDefaultsFromTheEnvironmentAndTheConfigFile() throws Exception {
        Path file = tmp.resolve("trainer.properties");
        Files.writeString(file, "history-topic=from-file\ndirections-topic=from-file-too\n");
        StringWriter out = new StringWriter();
        PrintWriter o = new PrintWriter(out);
        var cl = ProbeTrainerCli.commandLine(o, new PrintWriter(new StringWriter()),
                Map.of("PROBE_TRAINER_CONFIG_FILE", file.toString(), "PROBE_TRAINER_DIRECTIONS_TOPIC", "from-env"));
        var parsed = cl.parseArgs("list", "--bootstrap-servers", "x:1");
        ListCommand list = (ListCommand) parsed.subcommand().commandSpec().userObject();
        assertEquals("from-env", list.kafka.directionsTopic);
        assertEquals("from-file", list.kafka.historyTopic);
        assertEquals("x:1", list.kafka.bootstrapServers);
    }
}
