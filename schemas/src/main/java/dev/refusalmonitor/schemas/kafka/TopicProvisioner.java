package dev.refusalmonitor.schemas.kafka;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import dev.refusalmonitor.contract.TopicSettings;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.CreateTopicsOptions;
import org.apache.kafka.clients.admin.DescribeConfigsOptions;
import org.apache.kafka.clients.admin.DescribeTopicsOptions;
import org.apache.kafka.clients.admin.ListTopicsOptions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates the monitor's topics at start when they are missing, with their partitions, replication and
 * configs ({@code cleanup.policy=compact} and {@code max.message.bytes} for directions, short
 * {@code retention.ms} for hidden states). Existing topics are left alone: changing a live topic is an
 * operator's decision. When an existing topic's key settings differ from the configuration (e.g. the
 * directions topic is not compacted, or has fewer partitions), a warning is logged and returned.
 *
 * <p>Every admin call has the deadline given to the constructor.
 *
 * <p>Under least privilege (the Kubernetes base: no Create for any principal) the topics exist beforehand and only
 * list, describe and describe-configs calls are made. A topic that is missing, or invisible for lack of a Describe
 * ACL, and may not be created fails the call with a message naming it and every expected topic; a refused login
 * fails it with "cannot log in to Kafka".
 */
public final class TopicProvisioner {

    private static final Logger LOG = LoggerFactory.getLogger(TopicProvisioner.class);

    /** Topic configs compared on existing topics; others are not worth a warning. */
    private static final Set<String> CHECKED_CONFIGS = Set.of(
            TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.MAX_MESSAGE_BYTES_CONFIG, TopicConfig.RETENTION_MS_CONFIG);

    private final Admin admin;
    private final Duration timeout;

    /**
     * @param admin an admin client (not closed by this class)
     * @param timeout deadline for each admin call
     */
    public TopicProvisioner(Admin admin, Duration timeout) {
        this.admin = admin;
        this.timeout = timeout;
    }

    /** What {@link #provision} did. */
    public record Result(List<String> created, List<String> existing, List<String> warnings) {
        public Result {
            created = List.copyOf(created);
            existing = List.copyOf(existing);
            warnings = List.copyOf(warnings);
        }
    }

    /**
     * Creates each missing topic and checks each existing one.
     *
     * @throws TopicProvisioningException when an admin call fails or misses its deadline
     */
    public Result provision(Collection<TopicSettings> topics) {
        Set<String> present = call("list topics", admin.listTopics(timed(new ListTopicsOptions())).names());
        List<String> created = new ArrayList<>();
        List<String> existing = new ArrayList<>();
        List<TopicSettings> missing = new ArrayList<>();
        for (TopicSettings t : topics) {
            (present.contains(t.name()) ? existing : created).add(t.name());
            if (!present.contains(t.name())) {
                missing.add(t);
            }
        }
        if (!missing.isEmpty()) {
            List<NewTopic> newTopics = missing.stream().map(TopicProvisioner::newTopic).toList();
            var result = admin.createTopics(newTopics, timed(new CreateTopicsOptions()));
            List<String> denied = new ArrayList<>();
            AuthorizationException deniedBy = null;
            for (TopicSettings t : missing) {
                try {
                    call("create topic " + t.name(), result.values().get(t.name()));
                    LOG.info("Created topic {} ({} partitions, replication {}, {})", t.name(), t.partitions(),
                            t.replicationFactor() == -1 ? "broker default" : t.replicationFactor(), t.configs());
                } catch (TopicProvisioningException e) {
                    if (e.getCause() instanceof AuthorizationException a) {
                        denied.add(t.name());
                        deniedBy = a;
                        continue;
                    }
                    if (!(e.getCause() instanceof TopicExistsException)) {
                        throw e;
                    }
                    // Another instance created it between our list and create: treat as existing.
                    created.remove(t.name());
                    existing.add(t.name());
                }
            }
            if (!denied.isEmpty()) {
                // Least privilege: the principal may not create topics, so they must exist before it starts.
                throw new TopicProvisioningException("topic(s) " + denied + " are missing (or not visible to this "
                        + "principal: no Describe ACL) and it may not create them (" + deniedBy.getMessage()
                        + "); create them first or grant Create. Expected topics: "
                        + topics.stream().map(TopicSettings::name).toList() + "; present: " + existing, deniedBy);
            }
        }
        List<String> warnings = new ArrayList<>();
        List<TopicSettings> toCheck = topics.stream().filter(t -> existing.contains(t.name())).toList();
        if (!toCheck.isEmpty()) {
            warnings.addAll(checkWithRetry(toCheck));
        }
        warnings.forEach(LOG::warn);
        return new Result(created, existing, warnings);
    }

    /**
     * A topic created a moment ago (by another instance, or listed before its metadata reached this
     * broker) can be unknown to describe calls for a short while: retry until the deadline.
     */
    private List<String> checkWithRetry(List<TopicSettings> topics) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            try {
                return check(topics);
            } catch (TopicProvisioningException e) {
                if (!(e.getCause() instanceof UnknownTopicOrPartitionException) || System.nanoTime() > deadline) {
                    throw e;
                }
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException ie) {
                Thread.currentThread().interrupt();
                throw new TopicProvisioningException("checking existing topics was interrupted", ie);
            }
        }
    }

    private List<String> check(List<TopicSettings> topics) {
        List<String> warnings = new ArrayList<>();
        Map<String, TopicDescription> descriptions = call("describe topics",
                admin.describeTopics(topics.stream().map(TopicSettings::name).toList(), timed(new DescribeTopicsOptions()))
                        .allTopicNames());
        Map<ConfigResource, TopicSettings> resources = new HashMap<>();
        for (TopicSettings t : topics) {
            resources.put(new ConfigResource(ConfigResource.Type.TOPIC, t.name()), t);
        }
        Map<ConfigResource, Config> configs = call("describe topic configs",
                admin.describeConfigs(resources.keySet(), timed(new DescribeConfigsOptions())).all());
        for (TopicSettings t : topics) {
            TopicDescription d = descriptions.get(t.name());
            if (d != null && d.partitions().size() < t.partitions()) {
                warnings.add("existing topic " + t.name() + " has " + d.partitions().size()
                        + " partitions, configured " + t.partitions() + " (left unchanged)");
            }
            Config c = configs.get(new ConfigResource(ConfigResource.Type.TOPIC, t.name()));
            for (Map.Entry<String, String> want : t.configs().entrySet()) {
                if (!CHECKED_CONFIGS.contains(want.getKey()) || c == null) {
                    continue;
                }
                ConfigEntry have = c.get(want.getKey());
                String actual = have == null ? null : have.value();
                if (!want.getValue().equals(actual)) {
                    warnings.add("existing topic " + t.name() + " has " + want.getKey() + "=" + actual
                            + ", configured " + want.getValue() + " (left unchanged)");
                }
            }
        }
        return warnings;
    }

    private static NewTopic newTopic(TopicSettings t) {
        Optional<Short> rf = t.replicationFactor() == -1 ? Optional.empty() : Optional.of(t.replicationFactor());
        return new NewTopic(t.name(), Optional.of(t.partitions()), rf).configs(t.configs());
    }

    private <O extends org.apache.kafka.clients.admin.AbstractOptions<O>> O timed(O options) {
        return options.timeoutMs((int) Math.min(Integer.MAX_VALUE, timeout.toMillis()));
    }

    private <T> T call(String what, org.apache.kafka.common.KafkaFuture<T> future) {
        try {
            return future.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TopicProvisioningException(what + " was interrupted", e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof AuthenticationException)
                throw new TopicProvisioningException("cannot log in to Kafka (" + what + "): " + e.getCause().getMessage(),
                        e.getCause());
            throw new TopicProvisioningException(what + " failed: " + e.getCause().getMessage(), e.getCause());
        } catch (TimeoutException e) {
            throw new TopicProvisioningException(what + " did not finish within " + timeout, e);
        }
    }

    /** An admin call failed or missed its deadline. */
    public static final class TopicProvisioningException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        public TopicProvisioningException(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
