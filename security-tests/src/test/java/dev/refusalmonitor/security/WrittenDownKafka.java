package dev.refusalmonitor.security;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The Kafka side exactly as the repository writes it down for Kubernetes: the ACLs of every principal from the
 * Strimzi KafkaUser resources in {@code deploy/kubernetes/base/kafka/users.yaml}, and the topics from the KafkaTopic
 * resources in {@code topics.yaml} (the files {@code deployment-checks} compares with the code and the README table).
 * The secured broker is given these and nothing else, so the ACLs that are written down are the ones tested.
 *
 * <p>The base files are read directly (no {@code kubectl kustomize}): the overlays only change the Strimzi cluster
 * label, never an ACL or a topic.
 */
final class WrittenDownKafka {
    static final Path KAFKA_DIR = Path.of("deploy", "kubernetes", "base", "kafka");

    private WrittenDownKafka() {
    }

    /** The repository root, found from the module directory Surefire runs in. */
    static Path repositoryRoot() {
        Path here = Path.of("").toAbsolutePath();
        for (Path p = here; p != null; p = p.getParent()) {
            if (Files.isDirectory(p.resolve(KAFKA_DIR)) && Files.isDirectory(p.resolve("clients/python"))) return p;
        }
        throw new IllegalStateException("the repository root (with " + KAFKA_DIR + ") is not above " + here);
    }

    static Path file(String name) {
        return repositoryRoot().resolve(KAFKA_DIR).resolve(name);
    }

    private static List<JsonNode> documents(Path file, String kind) {
        List<JsonNode> out = new ArrayList<>();
        try (MappingIterator<JsonNode> it = new YAMLMapper().readerFor(JsonNode.class).readValues(file.toFile())) {
            while (it.hasNext()) {
                JsonNode doc = it.next();
                if (doc != null && kind.equals(doc.path("kind").asText())) out.add(doc);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
        if (out.isEmpty()) throw new IllegalStateException(file + " holds no " + kind);
        return out;
    }

    /** Every KafkaUser's ACLs as Kafka ACL bindings for principal {@code User:<name>}, by user name. */
    static Map<String, List<AclBinding>> acls() {
        Map<String, List<AclBinding>> out = new LinkedHashMap<>();
        for (JsonNode user : documents(file("users.yaml"), "KafkaUser")) {
            String name = user.path("metadata").path("name").asText();
            String principal = "User:" + name;
            List<AclBinding> bindings = new ArrayList<>();
            for (JsonNode acl : user.path("spec").path("authorization").path("acls")) {
                JsonNode r = acl.path("resource");
                ResourcePattern pattern = new ResourcePattern(resourceType(r.path("type").asText()),
                        r.path("name").asText("kafka-cluster"),
                        r.path("patternType").asText("literal").equals("prefix") ? PatternType.PREFIXED : PatternType.LITERAL);
                AclPermissionType permission = acl.path("type").asText("allow").equals("deny")
                        ? AclPermissionType.DENY : AclPermissionType.ALLOW;
                List<String> ops = new ArrayList<>();
                acl.path("operations").forEach(o -> ops.add(o.asText()));
                if (acl.has("operation")) ops.add(acl.path("operation").asText());
                String host = acl.path("host").asText("*");
                for (String op : ops)
                    bindings.add(new AclBinding(pattern, new AccessControlEntry(principal, host, operation(op), permission)));
            }
            out.put(name, List.copyOf(bindings));
        }
        return out;
    }

    /** Every KafkaTopic as a topic of {@code replicationFactor} replicas (the configs that need 3 brokers dropped). */
    static List<NewTopic> topics(short replicationFactor) {
        List<NewTopic> out = new ArrayList<>();
        for (JsonNode t : documents(file("topics.yaml"), "KafkaTopic")) {
            JsonNode spec = t.path("spec");
            String name = spec.path("topicName").asText(t.path("metadata").path("name").asText());
            Map<String, String> configs = new LinkedHashMap<>();
            spec.path("config").fields().forEachRemaining(e -> configs.put(e.getKey(), e.getValue().asText()));
            configs.remove("min.insync.replicas");
            out.add(new NewTopic(name, Optional.of(spec.path("partitions").asInt(1)), Optional.of(replicationFactor)).configs(configs));
        }
        return out;
    }

    /** Strimzi's {@code topic}, {@code group}, {@code transactionalId}, {@code cluster}. */
    private static ResourceType resourceType(String strimzi) {
        return switch (strimzi) {
            case "topic" -> ResourceType.TOPIC;
            case "group" -> ResourceType.GROUP;
            case "transactionalId" -> ResourceType.TRANSACTIONAL_ID;
            case "cluster" -> ResourceType.CLUSTER;
            default -> throw new IllegalArgumentException("unknown Strimzi ACL resource type '" + strimzi + "'");
        };
    }

    /** Strimzi's operation names ({@code DescribeConfigs}) are Kafka's in camel case ({@code DESCRIBE_CONFIGS}). */
    private static AclOperation operation(String strimzi) {
        AclOperation op = AclOperation.fromString(strimzi.replaceAll("([a-z])([A-Z])", "$1_$2").toUpperCase(Locale.ROOT));
        if (op == AclOperation.UNKNOWN || op == AclOperation.ANY)
            throw new IllegalArgumentException("unknown ACL operation '" + strimzi + "'");
        return op;
    }
}
