package dev.refusalmonitor.trainer.cli;

import dev.refusalmonitor.cli.ExitCodes;

import dev.refusalmonitor.embedded.EmbeddedKafkaCluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import dev.refusalmonitor.schemas.signing.SigningKeys;
import dev.refusalmonitor.schemas.v1.DirectionSetEnvelope;
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
import static org.junit.jupiter.api.Assertions.assertFalse;
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
        ok(probeTrainer("generate", "--out", data, "--harmful", 60, "--harmless", 60, "--d", 16, "--layers", 2));
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
    void shouldSignSetsAndPublishTheFileFitWroteByteForByte() throws Exception {
        Path data = tmp.resolve("data");
        ok(probeTrainer("generate", "--out", data, "--harmful", 60, "--harmless", 60, "--d", 16, "--layers", 2));
        Path keys = tmp.resolve("keys");
        CliHarness.Run keygen = ok(probeTrainer("keygen", "--out", keys));
        String keyId = SigningKeys.keyId(SigningKeys.readPublic(keys.resolve(SigningKeys.PUBLIC_KEY_FILE)));
        assertTrue(keygen.out().contains("key id " + keyId), keygen::toString);
        Path key = keys.resolve(SigningKeys.PRIVATE_KEY_FILE);
        assertEquals(ExitCodes.USAGE, probeTrainer("keygen", "--out", keys).code(), "keys are never overwritten");

        CliHarness.Run fit = ok(probeTrainer("fit", "--harmful", data.resolve("harmful.npy"), "--harmless",
                data.resolve("harmless.npy"), "--model-id", "signed", "--out", tmp.resolve("fit"), "--quiet",
                "--signing-key", key));
        assertTrue(fit.out().contains("signed by key " + keyId), fit::toString);
        Path pb = tmp.resolve("fit").resolve("directions.pb");
        DirectionSetEnvelope written = DirectionSetEnvelope.parseFrom(Files.readAllBytes(pb));
        assertEquals(keyId, written.getKeyId());

        CliHarness.Run first = ok(probeTrainer(topics("publish", "--directions", pb)));
        assertTrue(first.out().contains("published version 1") && first.out().contains("sha256 " + written.getSha256())
                && first.out().contains("as written") && first.out().contains("signed by key " + keyId), first::toString);

        CliHarness.Run again = probeTrainer(topics("publish", "--directions", pb));
        assertEquals(ExitCodes.USAGE, again.code(), "a signed v1 cannot become v2 without the key");
        assertTrue(again.err().contains("--signing-key"), again::toString);
        CliHarness.Run resigned = ok(probeTrainer(topics("publish", "--directions", pb, "--signing-key", key)));
        assertTrue(resigned.out().contains("published version 2") && resigned.out().contains("sealed again")
                && resigned.out().contains("signed by key " + keyId), resigned::toString);

        CliHarness.Run show = ok(probeTrainer(topics("show", "signed")));
        assertTrue(show.out().contains("signed by:      key " + keyId), show::toString);
        CliHarness.Run back = ok(probeTrainer(topics("rollback", "signed", "--to", 1, "--signing-key", key)));
        assertTrue(back.out().contains("re-published as version 3") && back.out().contains("signed by key " + keyId), back::toString);

        CliHarness.Run withdrawn = ok(probeTrainer(topics("withdraw", "signed", "--signing-key", key)));
        assertTrue(withdrawn.out().contains("withdrawn as of version 4") && withdrawn.out().contains("signed by key " + keyId),
                withdrawn::toString);
        assertEquals(ExitCodes.USAGE, probeTrainer(topics("show", "signed")).code(), "no set in force after the withdrawal");
    }

    @Test
    void shouldTakeOptionDefaultsFromTheEnvironmentAndTheConfigFile() throws Exception {
        Path file = tmp.resolve("trainer.properties");
        Files.writeString(file, "refusal.trainer.history-topic=from-file\nrefusal.trainer.directions-topic=from-file-too\n"
                + "security.protocol=PLAINTEXT\n");
        StringWriter out = new StringWriter();
        PrintWriter o = new PrintWriter(out);
        var cl = ProbeTrainerCli.commandLine(o, new PrintWriter(new StringWriter()),
                Map.of("REFUSAL_TRAINER_CONFIG_FILE", file.toString(), "REFUSAL_TRAINER_DIRECTIONS_TOPIC", "from-env",
                        "KAFKA_CLIENT_ID", "from-env", "KAFKA_HOME", "/not/a/setting"));
        var parsed = cl.parseArgs("list", "--bootstrap-servers", "x:1", "--set", "refusal.trainer.timeout=PT5S",
                "--set", "client.id=from-set");
        ListCommand list = (ListCommand) parsed.subcommand().commandSpec().userObject();
        assertEquals("from-env", list.kafka.directionsTopic);
        assertEquals("from-file", list.kafka.historyTopic);
        assertEquals(java.time.Duration.ofSeconds(5), list.kafka.timeout);
        var props = list.kafka.clientProperties();
        assertEquals("x:1", props.getProperty("bootstrap.servers"));
        assertEquals("PLAINTEXT", props.getProperty("security.protocol"), "Kafka settings from the file");
        assertEquals("from-set", props.getProperty("client.id"), "--set beats the environment");
        assertFalse(props.containsKey("home"), "KAFKA_HOME names no Kafka setting");

        StringWriter err = new StringWriter();
        int code = ProbeTrainerCli.commandLine(new PrintWriter(new StringWriter()), new PrintWriter(err, true),
                Map.of("REFUSAL_TRAINER_MIN_AUCC", "0.9")).execute("list");
        assertEquals(ExitCodes.USAGE, code);
        assertTrue(err.toString().contains("REFUSAL_TRAINER_MIN_AUCC"), err::toString);
    }
}
