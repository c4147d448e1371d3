package dev.refusalmonitor.deploy;

import dev.refusalmonitor.contract.SizeLimits;

import dev.refusalmonitor.contract.TopicNames;

import com.fasterxml.jackson.databind.JsonNode;
import dev.refusalmonitor.deploy.Manifests.Container;
import dev.refusalmonitor.gateway.HiddenStatePublisher;
import dev.refusalmonitor.monitor.config.MonitorConfig;
import dev.refusalmonitor.contract.TopicId;
import dev.refusalmonitor.contract.TopicSettings;
import dev.refusalmonitor.trainer.publish.VersionedPublisher;
import dev.refusalmonitor.trainer.service.TrainerSettings;
import org.apache.kafka.common.config.TopicConfig;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Strimzi KafkaTopic and KafkaUser resources against the code: every topic the monitor and the trainer use, with
 * the monitor's partitions and the configs it checks at start; and per principal exactly the ACLs its code needs
 * (topic names, consumer group ids, transactional ids, createTopics calls), nothing more.
 */
class KafkaTopicsAndAclsTest {
    static final String MONITOR_USER_FOR_REPLAY = "refusal-monitor-replay";

    /** What the trainer container runs with: {@code probe-trainer run} parsed from its args. */
    static CommandLine.Model.CommandSpec trainerRun(Manifests m) {
        Container c = m.container(KubernetesManifestsTest.TRAINER_IMAGE);
        return Code.parse(Code.trainerCli(), m.args(c), m + " " + c.location());
    }

    static CommandLine.Model.CommandSpec bridgeRun(Manifests m) {
        Container c = m.container(KubernetesManifestsTest.GATEWAY_IMAGE);
        return Code.parse(Code.gatewayCli(), m.args(c), m + " " + c.location());
    }

    /** KafkaTopic resources by topic name (spec.topicName, else metadata.name). */
    static Map<String, JsonNode> kafkaTopics(Manifests m) {
        Map<String, JsonNode> out = new LinkedHashMap<>();
        for (JsonNode t : m.ofKind("KafkaTopic")) {
            String name = t.path("spec").path("topicName").asText(Manifests.name(t));
            assertTrue(out.put(name, t) == null, m + ": two KafkaTopics for topic " + name);
        }
        return out;
    }

    @ParameterizedTest
    @ValueSource(strings = {"base", "overlays/example"})
    void shouldDeclareEveryTopicWithTheSettingsTheCodeChecks(String k) {
        Manifests m = Manifests.render(k);
        MonitorConfig config = KubernetesManifestsTest.monitorConfig(m);
        Map<String, JsonNode> topics = kafkaTopics(m);
        Set<String> expected = new TreeSet<>();
        for (TopicSettings t : config.topics()) {
            expected.add(t.name());
            JsonNode kt = topics.get(t.name());
            assertNotNull(kt, k + ": no KafkaTopic for the monitor's " + t.id() + " topic " + t.name());
            assertEquals(t.partitions(), kt.path("spec").path("partitions").asInt(), k + ": partitions of " + t.name());
            // The monitor compares these at start and warns when an existing topic differs (TopicProvisioner).
            t.configs().forEach((key, value) -> assertEquals(value, kt.path("spec").path("config").path(key).asText(null),
                    k + ": config " + key + " of topic " + t.name()));
        }
        CommandLine.Model.CommandSpec run = trainerRun(m);
        assertEquals(config.topic(TopicId.TRAINING_SAMPLES).name(), Code.value(run, "--samples-topic"),
                k + ": the trainer's --samples-topic vs the monitor's training-samples topic");
        assertEquals(config.topic(TopicId.DIRECTIONS).name(), Code.value(run, "--directions-topic"),
                k + ": the trainer's --directions-topic vs the monitor's directions topic");
        String history = Code.value(run, "--history-topic");
        expected.add(history);
        JsonNode kt = topics.get(history);
        assertNotNull(kt, k + ": no KafkaTopic for the trainer's history topic " + history);
        // As VersionedPublisher.ensureTopics creates it, with TrainerService's max.message.bytes.
        long maxSetBytes = Code.<Long>value(run, "--max-set-bytes");
        long trainerMaxMessage = Math.min(Integer.MAX_VALUE, Math.max(64L * 1024 * 1024, maxSetBytes + (1 << 20)));
        assertEquals(TopicConfig.CLEANUP_POLICY_COMPACT, kt.path("spec").path("config").path(TopicConfig.CLEANUP_POLICY_CONFIG).asText(),
                k + ": the history topic is compacted by model:version");
        assertEquals(trainerMaxMessage, kt.path("spec").path("config").path(TopicConfig.MAX_MESSAGE_BYTES_CONFIG).asLong(),
                k + ": max.message.bytes of " + history);
        assertTrue(config.directionsMaxMessageBytes() >= trainerMaxMessage, k + ": directions max.message.bytes "
                + config.directionsMaxMessageBytes() + " is below what the trainer publishes (" + trainerMaxMessage + ")");
        assertEquals(expected, new TreeSet<>(topics.keySet()), k + ": KafkaTopics vs the topics the code uses");

        if (k.equals("base")) {
            // The base ships the code's defaults.
            for (TopicId id : TopicId.values()) {
                assertEquals(MonitorConfig.defaults().topic(id).name(), config.topic(id).name(), k + ": name of " + id);
                assertEquals(MonitorConfig.defaults().topic(id).partitions(), config.topic(id).partitions(), k + ": partitions of " + id);
                assertEquals(MonitorConfig.defaults().topic(id).configs(), config.topic(id).configs(), k + ": configs of " + id);
            }
            assertEquals(MonitorConfig.DEFAULT_APPLICATION_ID, config.applicationId(), k + ": application id");
            assertEquals(TopicNames.DIRECTIONS_HISTORY, history, k + ": history topic");
            assertEquals(TopicNames.TRAINING_SAMPLES, Code.value(run, "--samples-topic"), k + ": samples topic");
            assertEquals(TopicNames.DIRECTIONS, Code.value(run, "--directions-topic"), k + ": directions topic");
            assertEquals(TrainerSettings.DEFAULT_GROUP_ID, Code.value(run, "--group-id"), k + ": trainer group");
            assertEquals(SizeLimits.DEFAULT_MAX_SET_BYTES, maxSetBytes, k + ": trainer --max-set-bytes");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"base", "overlays/example"})
    void shouldPointEveryKafkaResourceAtOneStrimziCluster(String k) {
        Manifests m = Manifests.render(k);
        Set<String> clusters = new TreeSet<>();
        for (String kind : List.of("KafkaTopic", "KafkaUser")) {
            for (JsonNode r : m.ofKind(kind)) {
                String cluster = r.path("metadata").path("labels").path("strimzi.io/cluster").asText("");
                assertFalse(cluster.isEmpty(), k + ": " + kind + " " + Manifests.name(r) + " has no strimzi.io/cluster label");
                clusters.add(cluster);
            }
        }
        assertEquals(1, clusters.size(), k + ": KafkaTopics and KafkaUsers name several clusters " + clusters);
        String cluster = clusters.iterator().next();
        for (String image : KubernetesManifestsTest.PROJECT_IMAGES) {
            Container c = m.container(image);
            Map<String, String> env = m.environment(c);
            JsonNode mount = Manifests.volumeAt(c, env.get("KAFKA_SSL_TRUSTSTORE_LOCATION"));
            assertEquals(cluster + "-cluster-ca-cert", mount.path("volume").path("secret").path("secretName").asText(),
                    k + ": " + c.location() + " trusts another cluster's CA");
            assertTrue(env.get("KAFKA_BOOTSTRAP_SERVERS").startsWith(cluster + "-kafka-bootstrap"),
                    k + ": " + c.location() + " bootstraps from " + env.get("KAFKA_BOOTSTRAP_SERVERS") + ", not cluster " + cluster);
        }
    }

    // ---- ACLs ----

    /** One ACL rule of a KafkaUser. */
    record Grant(String type, String name, boolean prefix, Set<String> operations) {
        boolean covers(String t, String n) {
            return type.equals(t) && (prefix ? n.startsWith(name) : (name.equals(n) || name.equals("*")));
        }

        boolean permits(String op) {
            if (operations.contains(op) || operations.contains("All")) return true;
            // Kafka's implied operations: Read/Write/Delete/Alter imply Describe; AlterConfigs implies DescribeConfigs.
            if (op.equals("Describe")) return operations.stream().anyMatch(o -> Set.of("Read", "Write", "Delete", "Alter").contains(o));
            return op.equals("DescribeConfigs") && operations.contains("AlterConfigs");
        }
    }

    /**
     * What a principal's code needs: {@code op} on resource {@code type}/{@code name}. For prefix needs (transactional
     * ids of Streams) {@code name} is the prefix the code generates ids under.
     */
    record Need(String type, String name, String op, boolean prefix, String why) {
    }

    static List<Grant> grants(Manifests m, String user) {
        JsonNode u = m.named("KafkaUser", user);
        assertEquals("scram-sha-512", u.path("spec").path("authentication").path("type").asText(), m + ": " + user + " authentication");
        assertEquals("simple", u.path("spec").path("authorization").path("type").asText(), m + ": " + user + " authorization");
        List<Grant> out = new ArrayList<>();
        for (JsonNode acl : u.path("spec").path("authorization").path("acls")) {
            assertEquals("allow", acl.path("type").asText("allow"), m + ": " + user + " has a deny rule");
            JsonNode r = acl.path("resource");
            Set<String> ops = new LinkedHashSet<>();
            acl.path("operations").forEach(o -> ops.add(o.asText()));
            if (acl.has("operation")) ops.add(acl.path("operation").asText());
            assertFalse(ops.contains("All"), m + ": " + user + " is granted All on " + r);
            out.add(new Grant(r.path("type").asText(), r.path("name").asText("*"),
                    r.path("patternType").asText("literal").equals("prefix"), ops));
        }
        return out;
    }

    /** Every need is granted; every grant serves a need (Describe is allowed wherever anything is needed). */
    static void checkLeastPrivilege(Manifests m, String user, List<Need> needs) {
        List<Grant> grants = grants(m, user);
        List<String> missing = new ArrayList<>();
        for (Need n : needs) {
            String probe = n.prefix() ? n.name() + "example-1" : n.name();
            if (grants.stream().noneMatch(g -> (!n.prefix() || g.prefix()) && g.covers(n.type(), probe) && g.permits(n.op()))) {
                missing.add(n.op() + " on " + n.type() + " " + n.name() + (n.prefix() ? "*" : "") + " (" + n.why() + ")");
            }
        }
        assertEquals(List.of(), missing, m + ": KafkaUser " + user + " lacks");
        List<String> excess = new ArrayList<>();
        for (Grant g : grants) {
            for (String op : g.operations()) {
                boolean needed = needs.stream().anyMatch(n -> n.type().equals(g.type())
                        && (g.prefix() ? n.prefix() && (g.name().equals(n.name()) || (g.name() + "-").equals(n.name()))
                                       : !n.prefix() && g.name().equals(n.name()))
                        && (n.op().equals(op) || op.equals("Describe")));
                if (!needed) excess.add(op + " on " + g.type() + " " + g.name() + (g.prefix() ? "*" : ""));
            }
        }
        assertEquals(List.of(), excess, m + ": KafkaUser " + user + " is granted more than its code uses");
    }

    /** The KafkaUser whose Secret a container logs in with. */
    static String principal(Manifests m, String image) {
        Container c = m.container(image);
        String secret = Manifests.secretOf(c, "KAFKA_SASL_JAAS_CONFIG");
        assertNotNull(secret, m + ": " + c.location() + " has no KAFKA_SASL_JAAS_CONFIG from a Secret");
        m.named("KafkaUser", secret); // the User Operator names the Secret after the user
        return secret;
    }

    @ParameterizedTest
    @ValueSource(strings = {"base", "overlays/example"})
    void shouldGrantTheMonitorExactlyWhatItUses(String k) {
        Manifests m = Manifests.render(k);
        MonitorConfig c = KubernetesManifestsTest.monitorConfig(m);
        List<Need> needs = new ArrayList<>();
        // ScoringTopology: sources hidden-states and (global store) directions; sinks safety-scores, dlq, retry.
        needs.add(new Need("topic", c.topic(TopicId.HIDDEN_STATES).name(), "Read", false, "topology source"));
        needs.add(new Need("topic", c.topic(TopicId.DIRECTIONS).name(), "Read", false, "global store source"));
        for (TopicId id : List.of(TopicId.SAFETY_SCORES, TopicId.HIDDEN_STATES_DLQ, TopicId.HIDDEN_STATES_RETRY)) {
            needs.add(new Need("topic", c.topic(id).name(), "Write", false, "topology sink"));
        }
        needs.add(new Need("topic", c.topic(TopicId.DRIFT).name(), "Write", false, "topology sink (drift reports)"));
        needs.add(new Need("topic", c.topic(TopicId.DRIFT_PARTIALS).name(), "Write", false, "topology sink (drift partials)"));
        needs.add(new Need("topic", c.topic(TopicId.DRIFT_PARTIALS).name(), "Read", false, "topology source (drift partials)"));
        // Changelogs of the drift stores: Kafka Streams creates them (InternalTopicManager), writes and restores them.
        for (String op : List.of("Create", "Read", "Write", "DescribeConfigs")) {
            needs.add(new Need("topic", c.applicationId() + "-", op, true, "Kafka Streams changelog topics"));
        }
        // TopicProvisioner lists, describes and describes the configs of every monitor topic at start.
        for (TopicSettings t : c.topics()) {
            needs.add(new Need("topic", t.name(), "Describe", false, "TopicProvisioner listTopics/describeTopics"));
            needs.add(new Need("topic", t.name(), "DescribeConfigs", false, "TopicProvisioner describeConfigs"));
        }
        needs.add(new Need("group", c.applicationId(), "Read", false, "Streams consumer group = application id"));
        if (c.exactlyOnce()) {
            needs.add(new Need("transactionalId", c.applicationId() + "-", "Write", true, "exactly_once_v2 producers"));
            needs.add(new Need("transactionalId", c.applicationId() + "-", "Describe", true, "exactly_once_v2 producers"));
        }
        checkLeastPrivilege(m, principal(m, KubernetesManifestsTest.MONITOR_IMAGE), needs);
    }

    @ParameterizedTest
    @ValueSource(strings = {"base", "overlays/example"})
    void shouldGrantTheTrainerExactlyWhatItUses(String k) {
        Manifests m = Manifests.render(k);
        CommandLine.Model.CommandSpec run = trainerRun(m);
        String samples = Code.value(run, "--samples-topic");
        String directions = Code.value(run, "--directions-topic");
        String history = Code.value(run, "--history-topic");
        List<Need> needs = new ArrayList<>();
        needs.add(new Need("topic", samples, "Read", false, "samples consumer"));
        needs.add(new Need("group", Code.value(run, "--group-id"), "Read", false, "samples consumer group"));
        for (String t : List.of(directions, history)) {
            needs.add(new Need("topic", t, "Read", false, "TopicScan (versions in force, rollback)"));
            needs.add(new Need("topic", t, "Write", false, "VersionedPublisher"));
            // VersionedPublisher.ensureTopics goes through TopicProvisioner: it lists, then creates only what is
            // missing (the KafkaTopics exist, so no Create) and checks existing topics' configs.
            needs.add(new Need("topic", t, "DescribeConfigs", false, "TopicProvisioner describeConfigs"));
        }
        checkLeastPrivilege(m, principal(m, KubernetesManifestsTest.TRAINER_IMAGE), needs);
    }

    @ParameterizedTest
    @ValueSource(strings = {"base", "overlays/example"})
    void shouldGrantTheGatewayExactlyWhatItUses(String k) {
        Manifests m = Manifests.render(k);
        MonitorConfig c = KubernetesManifestsTest.monitorConfig(m);
        CommandLine.Model.CommandSpec bridge = bridgeRun(m);
        // The gateway's labelled output (gateway publish --label) goes to its default training topic: the monitor's.
        String training = Code.defaultOf(Code.gatewayCli(), "publish", "--training-topic");
        assertEquals(TopicNames.TRAINING_SAMPLES, training);
        assertEquals(c.topic(TopicId.TRAINING_SAMPLES).name(), training, k + ": gateway training topic vs the monitor's");
        List<Need> needs = List.of(
                new Need("topic", Code.value(bridge, "--topic"), "Write", false, "vllm-bridge producer"),
                new Need("topic", training, "Write", false, "gateway publish --label"));
        checkLeastPrivilege(m, principal(m, KubernetesManifestsTest.GATEWAY_IMAGE), needs);
    }

    @ParameterizedTest
    @ValueSource(strings = {"base", "overlays/example"})
    void shouldGrantTheReplayCommandExactlyWhatItUses(String k) {
        Manifests m = Manifests.render(k);
        MonitorConfig c = KubernetesManifestsTest.monitorConfig(m);
        List<Need> needs = List.of(
                new Need("topic", c.topic(TopicId.HIDDEN_STATES_RETRY).name(), "Read", false, "replay consumer"),
                new Need("group", Code.defaultOf(Code.monitorCli(), "replay", "--group"), "Read", false, "replay consumer group"),
                new Need("topic", c.topic(TopicId.HIDDEN_STATES).name(), "Write", false, "replay producer"));
        checkLeastPrivilege(m, MONITOR_USER_FOR_REPLAY, needs);
    }

    @ParameterizedTest
    @ValueSource(strings = {"base", "overlays/example"})
    void shouldCheckEveryKafkaUser(String k) {
        Manifests m = Manifests.render(k);
        Set<String> checked = new TreeSet<>(List.of(MONITOR_USER_FOR_REPLAY, principal(m, KubernetesManifestsTest.MONITOR_IMAGE),
                principal(m, KubernetesManifestsTest.TRAINER_IMAGE), principal(m, KubernetesManifestsTest.GATEWAY_IMAGE)));
        assertEquals(4, checked.size(), k + ": the monitor, trainer, gateway and replay must be separate principals");
        Set<String> users = new TreeSet<>();
        m.ofKind("KafkaUser").forEach(u -> users.add(Manifests.name(u)));
        assertEquals(checked, users, k + ": KafkaUsers whose ACLs no check covers");
    }
}
