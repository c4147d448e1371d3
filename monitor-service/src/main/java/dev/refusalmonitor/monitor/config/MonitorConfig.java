package dev.refusalmonitor.monitor.config;

import dev.refusalmonitor.contract.TopicSettings;

import dev.refusalmonitor.cli.ServiceSettings;
import dev.refusalmonitor.contract.SizeLimits;
import dev.refusalmonitor.contract.TopicId;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;

import dev.refusalmonitor.math.drift.DriftConfig;
import dev.refusalmonitor.math.drift.ReferenceMode;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.streams.StreamsConfig;

/**
 * The monitor's typed configuration.
 *
 * <p><b>Sources and precedence</b> (later wins): (1) built-in defaults, (2) an optional properties
 * file, (3) environment variables, (4) explicit overrides (tests, command-line flags). So:
 * overrides &gt; environment &gt; file &gt; defaults.
 *
 * <p><b>Keys.</b> Monitor settings start with {@value #PREFIX} (e.g. {@code refusal.monitor.http.port});
 * see {@link #knownKeys()}. Unknown monitor keys are rejected, so a typo fails at start. Every other key
 * is a Kafka setting passed through unchanged to Streams and the clients: {@code bootstrap.servers},
 * {@code security.protocol}, {@code sasl.*}, {@code ssl.*}, {@code producer.*} prefixes, and so on.
 * {@code refusal.monitor.bootstrap.servers}, {@code .application.id}, {@code .processing.guarantee}
 * and {@code .num.stream.threads} are aliases of the Kafka keys of the same name.
 *
 * <p><b>Environment.</b> {@code REFUSAL_MONITOR_<KEY>} sets monitor key {@code <key>} with dots and
 * dashes written as underscores ({@code REFUSAL_MONITOR_TOPIC_HIDDEN_STATES_RETENTION_MS} &rarr;
 * {@code refusal.monitor.topic.hidden-states.retention.ms}); {@code KAFKA_<UPPER_SNAKE>} sets the
 * Kafka property in lower case with dots ({@code KAFKA_SECURITY_PROTOCOL} &rarr; {@code security.protocol},
 * {@code KAFKA_SASL_JAAS_CONFIG} &rarr; {@code sasl.jaas.config}). {@code KAFKA_*} variables that name
 * no Kafka client or Streams setting (e.g. {@code KAFKA_HOME}, {@code KAFKA_OPTS}) are ignored.
 * {@value #CONFIG_FILE_ENV} names the properties file when no file is given explicitly.
 *
 * <p><b>Secrets</b> ({@code sasl.jaas.config}, {@code ssl.*.password}, any PASSWORD-typed Kafka setting)
 * are masked by {@link #describe()} and {@link #toString()}; never log the property maps themselves.
 */
public final class MonitorConfig {

    /** Prefix of every monitor (non-Kafka) key. */
    public static final String PREFIX = "refusal.monitor.";
    /** The service name of the settings convention ({@link ServiceSettings}). */
    public static final String SERVICE = "monitor";
    /** Environment variable naming the properties file. */
    public static final String CONFIG_FILE_ENV = "REFUSAL_MONITOR_CONFIG_FILE";
    /** Environment prefix of monitor settings. */
    public static final String MONITOR_ENV_PREFIX = "REFUSAL_MONITOR_";
    /** Environment prefix of pass-through Kafka settings. */
    public static final String KAFKA_ENV_PREFIX = "KAFKA_";

    public static final String BOOTSTRAP_SERVERS = PREFIX + "bootstrap.servers";
    public static final String APPLICATION_ID = PREFIX + "application.id";
    public static final String PROCESSING_GUARANTEE = PREFIX + "processing.guarantee";
    public static final String NUM_STREAM_THREADS = PREFIX + "num.stream.threads";
    public static final String DIRECTIONS_MAX_MESSAGE_BYTES = PREFIX + "directions.max.message.bytes";
    public static final String NO_DIRECTIONS_POLICY = PREFIX + "no.directions.policy";
    /** Comma-separated X.509 PEM files of the public keys whose direction sets are accepted. */
    public static final String DIRECTIONS_TRUSTED_KEYS = PREFIX + "directions.trusted.keys";
    /** {@code true} (default): unsigned or untrusted direction sets are rejected. */
    public static final String DIRECTIONS_REQUIRE_SIGNATURE = PREFIX + "directions.require.signature";
    /** {@code false} (default): a plain tombstone on the directions topic does not withdraw a model (a signed withdrawal does). */
    public static final String DIRECTIONS_ALLOW_TOMBSTONES = PREFIX + "directions.allow.tombstones";
    public static final String HTTP_PORT = PREFIX + "http.port";
    public static final String HTTP_BIND_ADDRESS = PREFIX + "http.bind.address";
    public static final String METRICS_TENANT_ALLOWLIST = PREFIX + "metrics.tenant.allowlist";
    public static final String METRICS_ROUTE_ALLOWLIST = PREFIX + "metrics.route.allowlist";
    /** Drift tracking on or off ({@code true} by default). */
    public static final String DRIFT_ENABLED = PREFIX + "drift.enabled";
    /** Requests per drift window (0 = windows close by time only). */
    public static final String DRIFT_WINDOW_SIZE = PREFIX + "drift.window.size";
    /** Event-time length of a drift window in ms (0 = windows close by count only). */
    public static final String DRIFT_WINDOW_DURATION_MS = PREFIX + "drift.window.duration.ms";
    /** {@code pinned} (the first R windows stay the baseline) or {@code trailing} (the last R windows). */
    public static final String DRIFT_REFERENCE_MODE = PREFIX + "drift.reference.mode";
    /** R: windows merged into the reference. */
    public static final String DRIFT_REFERENCE_WINDOWS = PREFIX + "drift.reference.windows";
    /** Tenant/route slices per model; further pairs fold into the model's {@code _other} slice. */
    public static final String DRIFT_MAX_SLICES_PER_MODEL = PREFIX + "drift.max.slices.per.model";
    /** Models tracked; further models fold into model {@code _other}. */
    public static final String DRIFT_MAX_MODELS = PREFIX + "drift.max.models";
    /** How often quiet time-based windows are closed by the wall clock, in ms. */
    public static final String DRIFT_ADVANCE_INTERVAL_MS = PREFIX + "drift.advance.interval.ms";
    /** Requests a scoring task counts per slice before it hands the partial aggregate to the slice's owner. */
    public static final String DRIFT_PARTIAL_RECORDS = PREFIX + "drift.partial.records";
    /** Longest a scoring task holds a partial aggregate before handing it on, in ms (wall clock). */
    public static final String DRIFT_PARTIAL_INTERVAL_MS = PREFIX + "drift.partial.interval.ms";

    /** Largest hidden-state record value in bytes; larger ones are dead-lettered as record_too_large before parsing. */
    public static final String LIMITS_RECORD_BYTES = PREFIX + "limits.record.bytes";
    /** Most layers in one record; more is too_many_layers (counted before parsing). */
    public static final String LIMITS_LAYERS = PREFIX + "limits.layers";
    /** Largest dim of one layer; larger is dim_too_large (before its values are allocated). */
    public static final String LIMITS_DIM = PREFIX + "limits.dim";
    /** Longest request id, model id, model revision, tenant or route in UTF-8 bytes; longer is field_too_long. */
    public static final String LIMITS_FIELD_BYTES = PREFIX + "limits.field.bytes";
    /** Largest |value| scored; larger finite values are out_of_range. */
    public static final String LIMITS_MAX_ABS_VALUE = PREFIX + "limits.max.abs.value";
    /** Most bytes of the original value a dead letter keeps (the rest is cut, and the dead letter says so). */
    public static final String DLQ_MAX_ORIGINAL_BYTES = PREFIX + "dlq.max.original.bytes";
    /** Most distinct model label values (models with a direction set in force); others are {@code _other}. */
    public static final String METRICS_MAX_MODELS = PREFIX + "metrics.max.models";
    /**
     * Records scored together, per direction set, from each poll of the input (1 = one by one): a batch reads the
     * direction parameters once instead of once per record, with the same scores to the bit.
     */
    public static final String SCORING_BATCH_SIZE = PREFIX + "scoring.batch.size";
    public static final int DEFAULT_SCORING_BATCH_SIZE = 16;

    /**
     * Consumer {@code session.timeout.ms} unless configured: 6 s (the broker's default minimum) instead of 45 s, so a
     * killed instance's partitions move on within seconds (BENCHMARKS.md, "Crash recovery").
     */
    public static final int DEFAULT_SESSION_TIMEOUT_MS = 6_000;
    /** Consumer {@code heartbeat.interval.ms} unless configured: a third of the session timeout or less. */
    public static final int DEFAULT_HEARTBEAT_INTERVAL_MS = 1_500;
    /**
     * Producer {@code transaction.timeout.ms} under exactly-once unless configured: a killed instance's open
     * transaction holds its partitions' committed offsets until the broker aborts it, this long after it began.
     */
    public static final int DEFAULT_TRANSACTION_TIMEOUT_MS = 5_000;

    public static final String DEFAULT_BOOTSTRAP_SERVERS = "localhost:9092";
    public static final String DEFAULT_APPLICATION_ID = "refusal-monitor";
    public static final int DEFAULT_STREAM_THREADS = 2;
    /** {@link SizeLimits#DIRECTIONS_MAX_MESSAGE_BYTES}: a set with full covariance factors at d = 4096 runs to tens of MiB. */
    public static final int DEFAULT_DIRECTIONS_MAX_MESSAGE_BYTES = SizeLimits.DIRECTIONS_MAX_MESSAGE_BYTES;
    /**
     * Consumer {@code max.partition.fetch.bytes} unless configured: Kafka's 1 MiB default holds only 64 hidden states of
     * 16 KiB (d = 4096 f32), so a stream thread would wait on a fetch round trip every 64 records.
     */
    public static final int DEFAULT_MAX_PARTITION_FETCH_BYTES = 8 * 1024 * 1024;
    public static final int DEFAULT_HTTP_PORT = 8080;
    public static final String DEFAULT_HTTP_BIND_ADDRESS = "127.0.0.1";

    /**
     * Default retention per topic. Hidden states can leak prompt contents (docs/DESIGN.md), so every topic
     * holding them raw is short: the source 1 h; the DLQ 24 h, long enough to investigate bad input the
     * same day; the retry topic 1 h like its source. Training samples are kept 7 days for retraining.
     */
    private static final Map<TopicId, Long> DEFAULT_RETENTION_MS = Map.of(
            TopicId.HIDDEN_STATES, 3_600_000L,
            TopicId.HIDDEN_STATES_DLQ, 86_400_000L,
            TopicId.HIDDEN_STATES_RETRY, 3_600_000L,
            TopicId.SAFETY_SCORES, 604_800_000L,
            TopicId.TRAINING_SAMPLES, 604_800_000L,
            TopicId.DRIFT, 604_800_000L,
            TopicId.DRIFT_PARTIALS, 86_400_000L);

    /** Monitor keys that are aliases of Kafka keys. */
    private static final Map<String, String> KAFKA_ALIASES = Map.of(
            BOOTSTRAP_SERVERS, CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG,
            APPLICATION_ID, StreamsConfig.APPLICATION_ID_CONFIG,
            PROCESSING_GUARANTEE, StreamsConfig.PROCESSING_GUARANTEE_CONFIG,
            NUM_STREAM_THREADS, StreamsConfig.NUM_STREAM_THREADS_CONFIG);

    private static final Set<String> KNOWN_KEYS;
    private static final Set<String> KAFKA_NAMES;
    private static final List<String> KAFKA_PREFIXES = List.of(
            StreamsConfig.PRODUCER_PREFIX, StreamsConfig.CONSUMER_PREFIX, StreamsConfig.MAIN_CONSUMER_PREFIX,
            StreamsConfig.RESTORE_CONSUMER_PREFIX, StreamsConfig.GLOBAL_CONSUMER_PREFIX,
            StreamsConfig.ADMIN_CLIENT_PREFIX, StreamsConfig.TOPIC_PREFIX);

    static {
        Set<String> keys = new LinkedHashSet<>(List.of(BOOTSTRAP_SERVERS, APPLICATION_ID, PROCESSING_GUARANTEE,
                NUM_STREAM_THREADS, DIRECTIONS_MAX_MESSAGE_BYTES, NO_DIRECTIONS_POLICY, DIRECTIONS_TRUSTED_KEYS,
                DIRECTIONS_REQUIRE_SIGNATURE, DIRECTIONS_ALLOW_TOMBSTONES, HTTP_PORT, HTTP_BIND_ADDRESS,
                METRICS_TENANT_ALLOWLIST, METRICS_ROUTE_ALLOWLIST, DRIFT_ENABLED, DRIFT_WINDOW_SIZE,
                DRIFT_WINDOW_DURATION_MS, DRIFT_REFERENCE_MODE, DRIFT_REFERENCE_WINDOWS, DRIFT_MAX_SLICES_PER_MODEL,
                DRIFT_MAX_MODELS, DRIFT_ADVANCE_INTERVAL_MS, DRIFT_PARTIAL_RECORDS, DRIFT_PARTIAL_INTERVAL_MS, LIMITS_RECORD_BYTES, LIMITS_LAYERS, LIMITS_DIM,
                LIMITS_FIELD_BYTES, LIMITS_MAX_ABS_VALUE, DLQ_MAX_ORIGINAL_BYTES, METRICS_MAX_MODELS, SCORING_BATCH_SIZE));
        for (TopicId t : TopicId.values()) {
            keys.add(topicKey(t, "name"));
            keys.add(topicKey(t, "partitions"));
            keys.add(topicKey(t, "replication.factor"));
            if (!t.compacted()) {
                keys.add(topicKey(t, "retention.ms"));
            }
        }
        KNOWN_KEYS = Collections.unmodifiableSet(keys);
        Set<String> names = new HashSet<>(ServiceSettings.CLIENT_SETTING_NAMES);
        ServiceSettings.collect(List.of(StreamsConfig.configDef()), names, new HashSet<>());
        KAFKA_NAMES = Set.copyOf(names);
    }

    private final Map<String, String> kafka;
    private final String bootstrapServers;
    private final String applicationId;
    private final String processingGuarantee;
    private final int streamThreads;
    private final Map<TopicId, TopicSettings> topics;
    private final int directionsMaxMessageBytes;
    private final NoDirectionsPolicy noDirectionsPolicy;
    private final List<Path> trustedKeyFiles;
    private final boolean requireSignature;
    private final boolean allowTombstones;
    private final int httpPort;
    private final String httpBindAddress;
    private final Set<String> tenantAllowlist;
    private final Set<String> routeAllowlist;
    private final boolean driftEnabled;
    private final DriftConfig driftConfig;
    private final long driftAdvanceIntervalMs;
    private final int driftPartialRecords;
    private final long driftPartialIntervalMs;
    private final dev.refusalmonitor.schemas.HiddenStateDecoder.Limits decodeLimits;
    private final int dlqMaxOriginalBytes;
    private final int metricsMaxModels;
    private final int scoringBatchSize;

    private MonitorConfig(Map<String, String> merged) {
        Map<String, String> k = new TreeMap<>();
        Map<String, String> m = new HashMap<>();
        merged.forEach((key, value) -> (key.startsWith(PREFIX) ? m : k).put(key, value));
        this.bootstrapServers = require(k, CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG);
        this.applicationId = require(k, StreamsConfig.APPLICATION_ID_CONFIG);
        this.processingGuarantee = parseGuarantee(k.get(StreamsConfig.PROCESSING_GUARANTEE_CONFIG));
        k.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, processingGuarantee);
        this.streamThreads = parseInt(k, StreamsConfig.NUM_STREAM_THREADS_CONFIG, 1, 1024);
        this.kafka = Collections.unmodifiableMap(k);
        this.directionsMaxMessageBytes = parseInt(m, DIRECTIONS_MAX_MESSAGE_BYTES, 1024, Integer.MAX_VALUE);
        this.noDirectionsPolicy = NoDirectionsPolicy.parse(m.get(NO_DIRECTIONS_POLICY));
        this.trustedKeyFiles = parseList(m.get(DIRECTIONS_TRUSTED_KEYS)).stream().map(Path::of).toList();
        this.requireSignature = parseBoolean(m, DIRECTIONS_REQUIRE_SIGNATURE);
        this.allowTombstones = parseBoolean(m, DIRECTIONS_ALLOW_TOMBSTONES);
        this.httpPort = parseInt(m, HTTP_PORT, 0, 65535);
        this.httpBindAddress = require(m, HTTP_BIND_ADDRESS);
        this.tenantAllowlist = parseList(m.get(METRICS_TENANT_ALLOWLIST));
        this.routeAllowlist = parseList(m.get(METRICS_ROUTE_ALLOWLIST));
        this.driftEnabled = parseBoolean(m, DRIFT_ENABLED);
        this.driftConfig = parseDrift(m);
        this.driftAdvanceIntervalMs = parseLong(m, DRIFT_ADVANCE_INTERVAL_MS, 10, 3_600_000L);
        this.driftPartialRecords = parseInt(m, DRIFT_PARTIAL_RECORDS, 1, 1_000_000);
        this.driftPartialIntervalMs = parseLong(m, DRIFT_PARTIAL_INTERVAL_MS, 10, 3_600_000L);
        this.decodeLimits = new dev.refusalmonitor.schemas.HiddenStateDecoder.Limits(
                parseInt(m, LIMITS_RECORD_BYTES, 64, Integer.MAX_VALUE - 8),
                parseInt(m, LIMITS_LAYERS, 1, 1_000_000),
                parseInt(m, LIMITS_DIM, 1, 1 << 26),
                parseInt(m, LIMITS_FIELD_BYTES, 16, 1 << 20),
                parsePositiveDouble(m, LIMITS_MAX_ABS_VALUE));
        this.dlqMaxOriginalBytes = parseInt(m, DLQ_MAX_ORIGINAL_BYTES, 0, Integer.MAX_VALUE - 8);
        this.metricsMaxModels = parseInt(m, METRICS_MAX_MODELS, 0, 100_000);
        this.scoringBatchSize = parseInt(m, SCORING_BATCH_SIZE, 1, 1024);
        Map<TopicId, TopicSettings> t = new EnumMap<>(TopicId.class);
        Set<String> seen = new HashSet<>();
        for (TopicId id : TopicId.values()) {
            String name = require(m, topicKey(id, "name")).trim();
            if (!seen.add(name)) {
                throw new IllegalArgumentException("topic name '" + name + "' is configured for two topics ("
                        + topicKey(id, "name") + ")");
            }
            int partitions = parseInt(m, topicKey(id, "partitions"), 1, 100_000);
            int rf = parseInt(m, topicKey(id, "replication.factor"), -1, Short.MAX_VALUE);
            if (rf == 0) {
                throw new IllegalArgumentException(topicKey(id, "replication.factor") + " must be >= 1 or -1 (broker default), got 0");
            }
            if (id.compacted()) {
                t.put(id, TopicSettings.compacted(id, name, partitions, (short) rf, directionsMaxMessageBytes));
            } else {
                long retention = parseLong(m, topicKey(id, "retention.ms"), -1, Long.MAX_VALUE);
                t.put(id, new TopicSettings(id, name, partitions, (short) rf, Map.of(
                        TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_DELETE,
                        TopicConfig.RETENTION_MS_CONFIG, Long.toString(retention))));
            }
        }
        this.topics = Collections.unmodifiableMap(t);
    }

    /** The defaults alone (bootstrap {@value #DEFAULT_BOOTSTRAP_SERVERS}). */
    public static MonitorConfig defaults() {
        return load(null, Map.of(), Map.of());
    }

    /** Defaults plus explicit overrides (monitor or Kafka keys); no file, no environment. */
    public static MonitorConfig of(Map<String, String> overrides) {
        return load(null, Map.of(), overrides);
    }

    /**
     * Reads the process environment; the file is {@code file} when non-null, else the one named by
     * {@value #CONFIG_FILE_ENV}, else none.
     */
    public static MonitorConfig fromSystem(Path file, Map<String, String> overrides) {
        return load(file, System.getenv(), overrides);
    }

    /**
     * Builds the configuration from defaults &lt; file &lt; environment &lt; overrides.
     *
     * @param file a properties file (UTF-8) or null
     * @param env environment variables (only {@code REFUSAL_MONITOR_*} and {@code KAFKA_*} are read)
     * @param overrides explicit settings, monitor or Kafka keys
     * @throws IllegalArgumentException on an unreadable file, an unknown monitor key or an invalid value
     */
    public static MonitorConfig load(Path file, Map<String, String> env, Map<String, String> overrides) {
        Map<String, String> merged = new HashMap<>(defaultLayer());
        ServiceSettings settings = ServiceSettings.load(SERVICE, KNOWN_KEYS, KAFKA_NAMES, KAFKA_PREFIXES, file, env, overrides);
        merged.putAll(settings.kafka());
        settings.serviceValues().forEach((k, v) -> merged.put(KAFKA_ALIASES.getOrDefault(k, k), v));
        return new MonitorConfig(merged);
    }

    /** Every monitor key this class understands. */
    public static Set<String> knownKeys() {
        return KNOWN_KEYS;
    }

    /** The environment variable that sets a monitor key, e.g. {@code REFUSAL_MONITOR_HTTP_PORT}. */
    public static String environmentName(String monitorKey) {
        if (!KNOWN_KEYS.contains(monitorKey)) throw new IllegalArgumentException("unknown monitor key " + monitorKey);
        return ServiceSettings.environmentName(SERVICE, monitorKey);
    }

    /** The configuration key of one setting of a topic, e.g. {@code refusal.monitor.topic.directions.name}. */
    public static String topicKey(TopicId id, String setting) {
        return PREFIX + "topic." + id.key() + "." + setting;
    }

    // ---- typed accessors ----

    public String bootstrapServers() {
        return bootstrapServers;
    }

    public String applicationId() {
        return applicationId;
    }

    /** {@code exactly_once_v2} (default) or {@code at_least_once}. */
    public String processingGuarantee() {
        return processingGuarantee;
    }

    public boolean exactlyOnce() {
        return StreamsConfig.EXACTLY_ONCE_V2.equals(processingGuarantee);
    }

    public int streamThreads() {
        return streamThreads;
    }

    public TopicSettings topic(TopicId id) {
        return topics.get(id);
    }

    /** All topics, in {@link TopicId} order. */
    public List<TopicSettings> topics() {
        return List.copyOf(topics.values());
    }

    public int directionsMaxMessageBytes() {
        return directionsMaxMessageBytes;
    }

    public NoDirectionsPolicy noDirectionsPolicy() {
        return noDirectionsPolicy;
    }

    /** Public key files of the trusted direction-set signers. */
    public List<Path> trustedKeyFiles() {
        return trustedKeyFiles;
    }

    /** Whether direction sets must be signed by a trusted key (default true). */
    public boolean requireSignature() {
        return requireSignature;
    }

    /** Whether a plain tombstone withdraws a model (default false: only a signed withdrawal does). */
    public boolean allowTombstones() {
        return allowTombstones;
    }

    /** HTTP port; 0 picks a free port. */
    public int httpPort() {
        return httpPort;
    }

    public String httpBindAddress() {
        return httpBindAddress;
    }

    /** Tenants exported as their own metric tag value; every other tenant is {@code other}. */
    public Set<String> tenantAllowlist() {
        return tenantAllowlist;
    }

    /** Routes exported as their own metric tag value; every other route is {@code other}. */
    public Set<String> routeAllowlist() {
        return routeAllowlist;
    }

    /** Whether the drift tracker runs ({@value #DRIFT_ENABLED}). */
    public boolean driftEnabled() {
        return driftEnabled;
    }

    /**
     * The drift tracker's configuration: window size, duration, reference mode and windows, and the slice caps
     * from the {@code refusal.monitor.drift.*} keys; every other field is {@link DriftConfig.Builder}'s benchmarked
     * default.
     */
    public DriftConfig driftConfig() {
        return driftConfig;
    }

    /** Requests per slice a scoring task counts before handing the partial aggregate on ({@value #DRIFT_PARTIAL_RECORDS}). */
    public int driftPartialRecords() {
        return driftPartialRecords;
    }

    /** Longest a scoring task holds a partial aggregate, in ms ({@value #DRIFT_PARTIAL_INTERVAL_MS}). */
    public long driftPartialIntervalMs() {
        return driftPartialIntervalMs;
    }

    /** Period of the wall-clock time advance that closes quiet time-based drift windows, in ms. */
    public long driftAdvanceIntervalMs() {
        return driftAdvanceIntervalMs;
    }

    /** The decoder's limits on one record (the {@code refusal.monitor.limits.*} keys). */
    public dev.refusalmonitor.schemas.HiddenStateDecoder.Limits decodeLimits() {
        return decodeLimits;
    }

    /** Most bytes of an original value a dead letter keeps ({@value #DLQ_MAX_ORIGINAL_BYTES}). */
    public int dlqMaxOriginalBytes() {
        return dlqMaxOriginalBytes;
    }

    /** Most distinct model label values ({@value #METRICS_MAX_MODELS}). */
    public int metricsMaxModels() {
        return metricsMaxModels;
    }

    /** Records scored together per direction set from each poll ({@value #SCORING_BATCH_SIZE}); 1 = one by one. */
    public int scoringBatchSize() {
        return scoringBatchSize;
    }

    /** The pass-through Kafka settings (contains secrets: never log it, use {@link #describe()}). */
    public Map<String, String> kafkaSettings() {
        return kafka;
    }

    // ---- client properties ----

    /**
     * Properties for {@code KafkaStreams}: every pass-through Kafka setting (security included), the
     * processing guarantee, stream threads, and {@code ensure.explicit.internal.resource.naming=true}
     * unless set otherwise, so every store and internal topic must have a stable name.
     */
    public Properties streamsProperties() {
        Properties p = new Properties();
        p.putAll(kafka);
        p.putIfAbsent(StreamsConfig.ENSURE_EXPLICIT_INTERNAL_RESOURCE_NAMING_CONFIG, "true");
        // The directions loader handles bad sets itself; opt in to the 5.0 behaviour (and silence its warning).
        p.putIfAbsent(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_GLOBAL_ENABLED_CONFIG, "true");
        p.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, Integer.toString(streamThreads));
        // One record's error is handled for that record (dead letter + metric), never by stopping a stream thread.
        p.putIfAbsent(StreamsConfig.PRODUCTION_EXCEPTION_HANDLER_CLASS_CONFIG,
                dev.refusalmonitor.monitor.stream.MonitorErrorHandlers.Production.class.getName());
        p.putIfAbsent(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_CLASS_CONFIG,
                dev.refusalmonitor.monitor.stream.MonitorErrorHandlers.Processing.class.getName());
        p.putIfAbsent(StreamsConfig.DESERIALIZATION_EXCEPTION_HANDLER_CLASS_CONFIG,
                org.apache.kafka.streams.errors.LogAndContinueExceptionHandler.class.getName());
        // Fast recovery after a crash (BENCHMARKS.md, "Crash recovery"); each is a plain Kafka key to override.
        putIfAbsentUnprefixed(p, ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, Integer.toString(DEFAULT_SESSION_TIMEOUT_MS));
        putIfAbsentUnprefixed(p, ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, Integer.toString(DEFAULT_HEARTBEAT_INTERVAL_MS));
        if (exactlyOnce()) {
            putIfAbsentUnprefixed(p, ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, Integer.toString(DEFAULT_TRANSACTION_TIMEOUT_MS));
        }
        return p;
    }

    /** Sets {@code key} unless it is set, bare or with a Streams client prefix. */
    private static void putIfAbsentUnprefixed(Properties p, String key, String value) {
        for (String prefix : KAFKA_PREFIXES) if (p.containsKey(prefix + key)) return;
        p.putIfAbsent(key, value);
    }

    /** Properties for an {@code Admin} client: common and admin settings plus {@code admin.*} overrides. */
    public Properties adminProperties() {
        return clientProperties(AdminClientConfig.configNames(), StreamsConfig.ADMIN_CLIENT_PREFIX);
    }

    /**
     * Properties for a plain producer (e.g. publishing direction sets): common and producer settings plus
     * {@code producer.*} overrides; {@code max.request.size} defaults to the directions topic's
     * {@code max.message.bytes} so a large direction set fits.
     */
    public Properties producerProperties() {
        Properties p = clientProperties(ProducerConfig.configNames(), StreamsConfig.PRODUCER_PREFIX);
        p.putIfAbsent(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, Integer.toString(directionsMaxMessageBytes));
        return p;
    }

    /** Properties for a plain consumer: common and consumer settings plus {@code consumer.*} overrides. */
    public Properties consumerProperties() {
        return clientProperties(ConsumerConfig.configNames(), StreamsConfig.CONSUMER_PREFIX);
    }

    private Properties clientProperties(Set<String> names, String prefix) {
        Properties p = new Properties();
        kafka.forEach((k, v) -> {
            if (names.contains(k)) {
                p.put(k, v);
            }
        });
        kafka.forEach((k, v) -> {
            if (k.startsWith(prefix) && names.contains(k.substring(prefix.length()))) {
                p.put(k.substring(prefix.length()), v);
            }
        });
        return p;
    }

    // ---- describing without secrets ----

    /** True for settings whose value must never be logged ({@link ServiceSettings#isSecret}). */
    public static boolean isSecret(String key) {
        return ServiceSettings.isSecret(key);
    }

    /** Every setting, one {@code key=value} per line, sorted, with secrets replaced by {@code [hidden]}. */
    public String describe() {
        Map<String, String> all = new TreeMap<>(kafka);
        all.put(NUM_STREAM_THREADS, Integer.toString(streamThreads));
        all.put(DIRECTIONS_MAX_MESSAGE_BYTES, Integer.toString(directionsMaxMessageBytes));
        all.put(NO_DIRECTIONS_POLICY, noDirectionsPolicy.value());
        all.put(DIRECTIONS_TRUSTED_KEYS, String.join(",", trustedKeyFiles.stream().map(Path::toString).toList()));
        all.put(DIRECTIONS_REQUIRE_SIGNATURE, Boolean.toString(requireSignature));
        all.put(DIRECTIONS_ALLOW_TOMBSTONES, Boolean.toString(allowTombstones));
        all.put(HTTP_PORT, Integer.toString(httpPort));
        all.put(HTTP_BIND_ADDRESS, httpBindAddress);
        all.put(METRICS_TENANT_ALLOWLIST, String.join(",", tenantAllowlist));
        all.put(METRICS_ROUTE_ALLOWLIST, String.join(",", routeAllowlist));
        all.put(DRIFT_ENABLED, Boolean.toString(driftEnabled));
        all.put(DRIFT_WINDOW_SIZE, Integer.toString(driftConfig.windowSize()));
        all.put(DRIFT_WINDOW_DURATION_MS, Long.toString(driftConfig.windowDurationMs()));
        all.put(DRIFT_REFERENCE_MODE, driftConfig.referenceMode().name().toLowerCase(Locale.ROOT));
        all.put(DRIFT_REFERENCE_WINDOWS, Integer.toString(driftConfig.referenceWindows()));
        all.put(DRIFT_MAX_SLICES_PER_MODEL, Integer.toString(driftConfig.maxSlicesPerModel()));
        all.put(DRIFT_MAX_MODELS, Integer.toString(driftConfig.maxModels()));
        all.put(DRIFT_ADVANCE_INTERVAL_MS, Long.toString(driftAdvanceIntervalMs));
        all.put(DRIFT_PARTIAL_RECORDS, Integer.toString(driftPartialRecords));
        all.put(DRIFT_PARTIAL_INTERVAL_MS, Long.toString(driftPartialIntervalMs));
        all.put(LIMITS_RECORD_BYTES, Integer.toString(decodeLimits.maxRecordBytes()));
        all.put(LIMITS_LAYERS, Integer.toString(decodeLimits.maxLayers()));
        all.put(LIMITS_DIM, Integer.toString(decodeLimits.maxDim()));
        all.put(LIMITS_FIELD_BYTES, Integer.toString(decodeLimits.maxFieldBytes()));
        all.put(LIMITS_MAX_ABS_VALUE, Double.toString(decodeLimits.maxAbsValue()));
        all.put(DLQ_MAX_ORIGINAL_BYTES, Integer.toString(dlqMaxOriginalBytes));
        all.put(METRICS_MAX_MODELS, Integer.toString(metricsMaxModels));
        all.put(SCORING_BATCH_SIZE, Integer.toString(scoringBatchSize));
        for (TopicSettings t : topics.values()) {
            all.put(topicKey(t.id(), "name"), t.name());
            all.put(topicKey(t.id(), "partitions"), Integer.toString(t.partitions()));
            all.put(topicKey(t.id(), "replication.factor"), Short.toString(t.replicationFactor()));
            t.configs().forEach((ck, cv) -> all.put(topicKey(t.id(), "config." + ck), cv));
        }
        StringBuilder sb = new StringBuilder();
        all.forEach((k, v) -> sb.append(k).append('=').append(isSecret(k) ? "[hidden]" : v).append('\n'));
        return sb.toString();
    }

    @Override
    public String toString() {
        return "MonitorConfig{\n" + describe() + "}";
    }

    // ---- parsing ----

    private static Map<String, String> defaultLayer() {
        Map<String, String> d = new HashMap<>();
        d.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, DEFAULT_BOOTSTRAP_SERVERS);
        d.put(StreamsConfig.APPLICATION_ID_CONFIG, DEFAULT_APPLICATION_ID);
        d.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        d.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, Integer.toString(DEFAULT_STREAM_THREADS));
        d.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, Integer.toString(DEFAULT_MAX_PARTITION_FETCH_BYTES));
        d.put(DIRECTIONS_MAX_MESSAGE_BYTES, Integer.toString(DEFAULT_DIRECTIONS_MAX_MESSAGE_BYTES));
        d.put(NO_DIRECTIONS_POLICY, NoDirectionsPolicy.DLQ.value());
        d.put(DIRECTIONS_TRUSTED_KEYS, "");
        d.put(DIRECTIONS_REQUIRE_SIGNATURE, "true");
        d.put(DIRECTIONS_ALLOW_TOMBSTONES, "false");
        d.put(HTTP_PORT, Integer.toString(DEFAULT_HTTP_PORT));
        d.put(HTTP_BIND_ADDRESS, DEFAULT_HTTP_BIND_ADDRESS);
        d.put(METRICS_TENANT_ALLOWLIST, "");
        d.put(METRICS_ROUTE_ALLOWLIST, "");
        DriftConfig drift = DriftConfig.builder().build();
        d.put(DRIFT_ENABLED, "true");
        d.put(DRIFT_WINDOW_SIZE, Integer.toString(drift.windowSize()));
        d.put(DRIFT_WINDOW_DURATION_MS, Long.toString(drift.windowDurationMs()));
        d.put(DRIFT_REFERENCE_MODE, drift.referenceMode().name().toLowerCase(Locale.ROOT));
        d.put(DRIFT_REFERENCE_WINDOWS, Integer.toString(drift.referenceWindows()));
        d.put(DRIFT_MAX_SLICES_PER_MODEL, Integer.toString(drift.maxSlicesPerModel()));
        d.put(DRIFT_MAX_MODELS, Integer.toString(drift.maxModels()));
        d.put(DRIFT_ADVANCE_INTERVAL_MS, "1000");
        d.put(DRIFT_PARTIAL_RECORDS, "20");
        d.put(DRIFT_PARTIAL_INTERVAL_MS, "1000");
        dev.refusalmonitor.schemas.HiddenStateDecoder.Limits limits =
                dev.refusalmonitor.monitor.stream.RecordLimits.DEFAULTS.decode();
        d.put(LIMITS_RECORD_BYTES, Integer.toString(limits.maxRecordBytes()));
        d.put(LIMITS_LAYERS, Integer.toString(limits.maxLayers()));
        d.put(LIMITS_DIM, Integer.toString(limits.maxDim()));
        d.put(LIMITS_FIELD_BYTES, Integer.toString(limits.maxFieldBytes()));
        d.put(LIMITS_MAX_ABS_VALUE, Double.toString(limits.maxAbsValue()));
        d.put(DLQ_MAX_ORIGINAL_BYTES, Integer.toString(dev.refusalmonitor.monitor.stream.RecordLimits.DEFAULTS.dlqMaxOriginalBytes()));
        d.put(METRICS_MAX_MODELS, Integer.toString(dev.refusalmonitor.monitor.metrics.ModelLabels.DEFAULT_MAX_MODELS));
        d.put(SCORING_BATCH_SIZE, Integer.toString(DEFAULT_SCORING_BATCH_SIZE));
        for (TopicId t : TopicId.values()) {
            d.put(topicKey(t, "name"), t.defaultName());
            d.put(topicKey(t, "partitions"), Integer.toString(t.defaultPartitions()));
            d.put(topicKey(t, "replication.factor"), "-1");
            if (!t.compacted()) {
                d.put(topicKey(t, "retention.ms"), Long.toString(DEFAULT_RETENTION_MS.get(t)));
            }
        }
        return d;
    }





    private static String parseGuarantee(String value) {
        String v = value == null ? "" : value.trim();
        if (v.equals(StreamsConfig.EXACTLY_ONCE_V2) || v.equals(StreamsConfig.AT_LEAST_ONCE)) {
            return v;
        }
        throw new IllegalArgumentException("processing.guarantee must be " + StreamsConfig.EXACTLY_ONCE_V2
                + " (default) or " + StreamsConfig.AT_LEAST_ONCE + ", got '" + value + "'");
    }

    private static boolean parseBoolean(Map<String, String> m, String key) {
        String v = require(m, key).toLowerCase(Locale.ROOT);
        if (v.equals("true")) return true;
        if (v.equals("false")) return false;
        throw new IllegalArgumentException(key + " must be true or false, got '" + m.get(key) + "'");
    }

    private static DriftConfig parseDrift(Map<String, String> m) {
        String mode = require(m, DRIFT_REFERENCE_MODE).toUpperCase(Locale.ROOT);
        ReferenceMode referenceMode;
        try {
            referenceMode = ReferenceMode.valueOf(mode);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(DRIFT_REFERENCE_MODE + " must be pinned or trailing, got '"
                    + m.get(DRIFT_REFERENCE_MODE) + "'");
        }
        try {
            return DriftConfig.builder()
                    .windowSize(parseInt(m, DRIFT_WINDOW_SIZE, 0, 100_000_000))
                    .windowDurationMs(parseLong(m, DRIFT_WINDOW_DURATION_MS, 0, Long.MAX_VALUE / 4))
                    .referenceMode(referenceMode)
                    .referenceWindows(parseInt(m, DRIFT_REFERENCE_WINDOWS, 1, 10_000))
                    .maxSlicesPerModel(parseInt(m, DRIFT_MAX_SLICES_PER_MODEL, 0, 10_000))
                    .maxModels(parseInt(m, DRIFT_MAX_MODELS, 1, 10_000))
                    .build();
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("invalid drift settings (refusal.monitor.drift.*): " + e.getMessage(), e);
        }
    }

    private static String require(Map<String, String> m, String key) {
        String v = m.get(key);
        if (v == null || v.isBlank()) {
            throw new IllegalArgumentException(key + " must not be empty");
        }
        return v.trim();
    }

    private static double parsePositiveDouble(Map<String, String> m, String key) {
        String s = require(m, key);
        double v;
        try {
            v = Double.parseDouble(s);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + " must be a number, got '" + s + "'");
        }
        if (!(v > 0) || Double.isNaN(v)) throw new IllegalArgumentException(key + " must be > 0, got " + s);
        return v;
    }

    private static int parseInt(Map<String, String> m, String key, int min, int max) {
        long v = parseLong(m, key, min, max);
        return (int) v;
    }

    private static long parseLong(Map<String, String> m, String key, long min, long max) {
        String s = require(m, key);
        long v;
        try {
            v = Long.parseLong(s);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + " must be an integer, got '" + s + "'");
        }
        if (v < min || v > max) {
            throw new IllegalArgumentException(key + " must be between " + min + " and " + max + ", got " + v);
        }
        return v;
    }

    private static Set<String> parseList(String s) {
        Set<String> out = new LinkedHashSet<>();
        if (s != null) {
            for (String part : s.split(",")) {
                if (!part.isBlank()) {
                    out.add(part.trim());
                }
            }
        }
        return Collections.unmodifiableSet(out);
    }
}
