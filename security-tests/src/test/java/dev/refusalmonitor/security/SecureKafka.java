package dev.refusalmonitor.security;

import dev.refusalmonitor.embedded.EmbeddedKafkaCluster;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ScramCredentialInfo;
import org.apache.kafka.clients.admin.ScramMechanism;
import org.apache.kafka.clients.admin.UserScramCredentialUpsertion;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclBindingFilter;
import org.apache.kafka.common.config.SaslConfigs;
import org.apache.kafka.common.config.SslConfigs;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A real KRaft broker (the project's {@link EmbeddedKafkaCluster}, in this JVM, on 127.0.0.1 only) secured as the
 * Kubernetes deployment expects its Kafka to be:
 * <ul>
 *   <li>the client listener is SASL_SSL: TLS with a certificate from the test's CA for {@code localhost} and
 *       {@code 127.0.0.1}, SASL mechanism SCRAM-SHA-512 for every principal of the product;</li>
 *   <li>the StandardAuthorizer, {@code allow.everyone.if.no.acl.found=false}; the only super user is the broker's own
 *       administrator, who logs in with SASL/PLAIN (enabled on the same TLS listener, because SCRAM credentials live in
 *       the metadata log and someone has to write the first ones) and creates the topics, the SCRAM credentials and
 *       the ACLs exactly as {@code deploy/kubernetes/base/kafka/{topics,users}.yaml} write them down;</li>
 *   <li>the controller listener is SASL_PLAINTEXT/PLAIN for the administrator only (SCRAM cannot authenticate
 *       controllers).</li>
 * </ul>
 * One broker serves every test class of the module ({@link Extension}); it is closed when the test run ends.
 */
final class SecureKafka implements ExtensionContext.Store.CloseableResource {
    private static final Logger LOG = LoggerFactory.getLogger(SecureKafka.class);

    /** Part of every client secret of the tests (passwords, the trust store password): searched for in every output. */
    static final String SECRET_SENTINEL = "s3ntinel-pw";
    static final String MONITOR = "refusal-monitor";
    static final String TRAINER = "refusal-trainer";
    static final String GATEWAY = "refusal-gateway";
    static final String REPLAY = "refusal-monitor-replay";
    static final String ADMIN = "broker-admin";
    static final String SCRAM = "SCRAM-SHA-512";

    final Path dir;
    final TestPki pki;
    private final EmbeddedKafkaCluster cluster;
    private final String adminPassword;
    private final Map<String, String> passwords = new LinkedHashMap<>();
    private final Map<String, List<AclBinding>> acls;

    private SecureKafka(Path dir, TestPki pki, EmbeddedKafkaCluster cluster, String adminPassword,
                        Map<String, List<AclBinding>> acls) {
        this.dir = dir;
        this.pki = pki;
        this.cluster = cluster;
        this.adminPassword = adminPassword;
        this.acls = acls;
    }

    static String randomSecret(String prefix) {
        byte[] b = new byte[12];
        new SecureRandom().nextBytes(b);
        return prefix + HexFormat.of().formatHex(b);
    }

    static SecureKafka start() throws Exception {
        long t0 = System.nanoTime();
        Path dir = Files.createTempDirectory("secure-kafka-");
        TestPki pki = TestPki.create(dir.resolve("pki"), randomSecret("broker-store-"),
                randomSecret(SECRET_SENTINEL + "-truststore-"));
        String adminPassword = randomSecret("broker-admin-");
        String plainJaas = "org.apache.kafka.common.security.plain.PlainLoginModule required username=\"" + ADMIN
                + "\" password=\"" + adminPassword + "\" user_" + ADMIN + "=\"" + adminPassword + "\";";
        String external = "listener.name." + EmbeddedKafkaCluster.BROKER_LISTENER.toLowerCase(Locale.ROOT) + ".";
        String controller = "listener.name." + EmbeddedKafkaCluster.CONTROLLER_LISTENER.toLowerCase(Locale.ROOT) + ".";
        EmbeddedKafkaCluster cluster = EmbeddedKafkaCluster.builder()
                .listenerSecurityProtocols("SASL_SSL", "SASL_PLAINTEXT")
                .brokerProperty(external + "sasl.enabled.mechanisms", SCRAM + ",PLAIN")
                .brokerProperty(external + "scram-sha-512.sasl.jaas.config",
                        "org.apache.kafka.common.security.scram.ScramLoginModule required;")
                .brokerProperty(external + "plain.sasl.jaas.config", plainJaas)
                .brokerProperty(external + SslConfigs.SSL_KEYSTORE_TYPE_CONFIG, TestPki.STORE_TYPE)
                .brokerProperty(external + SslConfigs.SSL_KEYSTORE_LOCATION_CONFIG, pki.brokerKeystore.toString())
                .brokerProperty(external + SslConfigs.SSL_KEYSTORE_PASSWORD_CONFIG, pki.brokerStorePassword)
                .brokerProperty(external + SslConfigs.SSL_KEY_PASSWORD_CONFIG, pki.brokerStorePassword)
                .brokerProperty(external + SslConfigs.SSL_TRUSTSTORE_TYPE_CONFIG, TestPki.STORE_TYPE)
                .brokerProperty(external + SslConfigs.SSL_TRUSTSTORE_LOCATION_CONFIG, pki.brokerTruststore.toString())
                .brokerProperty(external + SslConfigs.SSL_TRUSTSTORE_PASSWORD_CONFIG, pki.brokerStorePassword)
                .brokerProperty("sasl.mechanism.inter.broker.protocol", "PLAIN")
                .brokerProperty(controller + "sasl.enabled.mechanisms", "PLAIN")
                .brokerProperty(controller + "plain.sasl.jaas.config", plainJaas)
                .brokerProperty("sasl.mechanism.controller.protocol", "PLAIN")
                .brokerProperty("authorizer.class.name", "org.apache.kafka.metadata.authorizer.StandardAuthorizer")
                .brokerProperty("allow.everyone.if.no.acl.found", "false")
                .brokerProperty("super.users", "User:" + ADMIN)
                .startTimeout(Duration.ofSeconds(120))
                .build();
        cluster.start();
        SecureKafka k = new SecureKafka(dir, pki, cluster, adminPassword, WrittenDownKafka.acls());
        try {
            k.provision();
        } catch (Exception | Error e) {
            k.close();
            throw e;
        }
        LOG.info("secured broker ready at {} in {} ms (loopback only: {})", k.bootstrapServers(),
                (System.nanoTime() - t0) / 1_000_000, cluster.loopbackOnly());
        return k;
    }

    /** Topics, SCRAM credentials and ACLs, as the Strimzi Topic and User Operators would create them. */
    private void provision() throws Exception {
        for (String user : acls.keySet()) passwords.put(user, randomSecret(SECRET_SENTINEL + "-" + user + "-"));
        try (Admin admin = Admin.create(adminProperties())) {
            admin.createTopics(WrittenDownKafka.topics((short) 1)).all().get(60, TimeUnit.SECONDS);
            List<UserScramCredentialUpsertion> creds = new ArrayList<>();
            passwords.forEach((user, pw) -> creds.add(new UserScramCredentialUpsertion(user,
                    new ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, 4096), pw)));
            admin.alterUserScramCredentials(new ArrayList<>(creds)).all().get(60, TimeUnit.SECONDS);
            List<AclBinding> all = acls.values().stream().flatMap(Collection::stream).toList();
            admin.createAcls(all).all().get(60, TimeUnit.SECONDS);
            // The broker's authorizer and credential cache follow the metadata log: wait until it has applied both.
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (admin.describeAcls(AclBindingFilter.ANY).values().get(30, TimeUnit.SECONDS).size() < all.size()) {
                if (System.nanoTime() > deadline) throw new IllegalStateException("the broker did not apply the ACLs in time");
                Thread.sleep(100);
            }
        }
        for (String user : passwords.keySet()) awaitLogin(user);
    }

    private void awaitLogin(String user) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (true) {
            try (Admin a = Admin.create(clientProperties(user))) {
                a.describeCluster().clusterId().get(30, TimeUnit.SECONDS);
                return;
            } catch (java.util.concurrent.ExecutionException e) {
                if (System.nanoTime() > deadline) throw new IllegalStateException(user + " cannot log in: " + e.getCause(), e);
                Thread.sleep(200);
            }
        }
    }

    /**
     * A principal that is not in users.yaml, with the given ACLs (re-targeted at it) and a SCRAM login, for tests that
     * take one right away; returns once it can log in.
     */
    synchronized void addUser(String user, List<AclBinding> bindings) throws Exception {
        if (acls.containsKey(user) || passwords.containsKey(user)) throw new IllegalArgumentException(user + " exists");
        passwords.put(user, randomSecret(SECRET_SENTINEL + "-" + user + "-"));
        List<AclBinding> own = bindings.stream().map(b -> new AclBinding(b.pattern(), new org.apache.kafka.common.acl.AccessControlEntry(
                "User:" + user, b.entry().host(), b.entry().operation(), b.entry().permissionType()))).toList();
        try (Admin admin = Admin.create(adminProperties())) {
            admin.alterUserScramCredentials(List.of(new UserScramCredentialUpsertion(user,
                    new ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, 4096), passwords.get(user)))).all().get(60, TimeUnit.SECONDS);
            admin.createAcls(own).all().get(60, TimeUnit.SECONDS);
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            AclBindingFilter mine = new AclBindingFilter(org.apache.kafka.common.resource.ResourcePatternFilter.ANY,
                    new org.apache.kafka.common.acl.AccessControlEntryFilter("User:" + user, null,
                            org.apache.kafka.common.acl.AclOperation.ANY, org.apache.kafka.common.acl.AclPermissionType.ANY));
            while (admin.describeAcls(mine).values().get(30, TimeUnit.SECONDS).size() < own.size()) {
                if (System.nanoTime() > deadline) throw new IllegalStateException("the broker did not apply the ACLs in time");
                Thread.sleep(100);
            }
        }
        awaitLogin(user);
    }

    /** {@code localhost:PORT} of the SASL_SSL listener (the certificate names localhost and 127.0.0.1). */
    String bootstrapServers() {
        return cluster.bootstrapServers();
    }

    String password(String user) {
        String pw = passwords.get(user);
        if (pw == null) throw new IllegalArgumentException("no KafkaUser " + user + " in users.yaml");
        return pw;
    }

    /** Every secret the tests hand to a client. */
    Set<String> secrets() {
        Set<String> s = new HashSet<>(passwords.values());
        s.add(pki.clientStorePassword);
        return s;
    }

    Map<String, List<AclBinding>> writtenDownAcls() {
        return acls;
    }

    static String scramJaas(String user, String password) {
        return "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"" + user
                + "\" password=\"" + password + "\";";
    }

    /**
     * The Kafka client environment of a pod of the Kubernetes base for {@code user}: ConfigMap
     * {@code refusal-kafka-client} (bootstrap servers, SASL_SSL, SCRAM-SHA-512, the CA as a PEM trust store) and
     * {@code KAFKA_SASL_JAAS_CONFIG} from the user's Secret.
     */
    Map<String, String> kafkaEnvironment(String user) {
        return kafkaEnvironment(user, password(user), pki.caPem);
    }

    Map<String, String> kafkaEnvironment(String user, String password, Path caPem) {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("KAFKA_BOOTSTRAP_SERVERS", bootstrapServers());
        env.put("KAFKA_SECURITY_PROTOCOL", "SASL_SSL");
        env.put("KAFKA_SASL_MECHANISM", SCRAM);
        env.put("KAFKA_SSL_TRUSTSTORE_TYPE", "PEM");
        env.put("KAFKA_SSL_TRUSTSTORE_LOCATION", caPem.toString());
        env.put("KAFKA_SASL_JAAS_CONFIG", scramJaas(user, password));
        return env;
    }

    /** The same as plain Kafka client properties (PEM trust store). */
    Properties clientProperties(String user) {
        Properties p = new Properties();
        p.put("bootstrap.servers", bootstrapServers());
        p.put("security.protocol", "SASL_SSL");
        p.put(SaslConfigs.SASL_MECHANISM, SCRAM);
        p.put(SaslConfigs.SASL_JAAS_CONFIG, scramJaas(user, password(user)));
        p.put(SslConfigs.SSL_TRUSTSTORE_TYPE_CONFIG, "PEM");
        p.put(SslConfigs.SSL_TRUSTSTORE_LOCATION_CONFIG, pki.caPem.toString());
        return p;
    }

    /** The broker's administrator (super user): only the tests' own set-up and checks use it. */
    Properties adminProperties() {
        Properties p = new Properties();
        p.put("bootstrap.servers", bootstrapServers());
        p.put("security.protocol", "SASL_SSL");
        p.put(SaslConfigs.SASL_MECHANISM, "PLAIN");
        p.put(SaslConfigs.SASL_JAAS_CONFIG, "org.apache.kafka.common.security.plain.PlainLoginModule required username=\""
                + ADMIN + "\" password=\"" + adminPassword + "\";");
        p.put(SslConfigs.SSL_TRUSTSTORE_TYPE_CONFIG, "PEM");
        p.put(SslConfigs.SSL_TRUSTSTORE_LOCATION_CONFIG, pki.caPem.toString());
        return p;
    }

    @Override
    public void close() {
        try {
            cluster.close();
        } finally {
            try (Stream<Path> paths = Files.walk(dir)) {
                for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
            } catch (IOException | UncheckedIOException e) {
                LOG.warn("could not delete {}: {}", dir, e.toString());
            }
        }
    }

    /** Resolves a {@link SecureKafka} parameter: one broker for the whole test run, closed at its end. */
    static final class Extension implements ParameterResolver {
        private static final ExtensionContext.Namespace NS = ExtensionContext.Namespace.create(SecureKafka.class);

        @Override
        public boolean supportsParameter(ParameterContext p, ExtensionContext c) {
            return p.getParameter().getType() == SecureKafka.class;
        }

        @Override
        public Object resolveParameter(ParameterContext p, ExtensionContext c) {
            return c.getRoot().getStore(NS).getOrComputeIfAbsent(SecureKafka.class, k -> {
                try {
                    return start();
                } catch (RuntimeException e) {
                    throw e;
                } catch (Exception e) {
                    throw new IllegalStateException("cannot start the secured broker: " + e, e);
                }
            }, SecureKafka.class);
        }
    }
}
