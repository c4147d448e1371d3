package dev.refusalmonitor.monitor.metrics;

import java.util.List;

/**
 * Every metric the monitor exports, in one place: {@code deploy/} alert rules and Grafana panels are
 * checked against this list. Micrometer names are dotted; the Prometheus registry turns
 * {@code refusal.monitor.records} into {@code refusal_monitor_records_total} (counters get
 * {@code _total}, timers {@code _seconds}, base units their suffix).
 *
 * <p><b>Tags and cardinality.</b> {@value #TAG_MODEL}: the model id as the gateway sends it (one series
 * per served model and score; a fleet serves tens of models, not thousands; blank becomes
 * {@value #UNKNOWN}). {@value #TAG_OUTCOME}, {@value #TAG_REASON}, {@value #TAG_SCORE}: fixed sets
 * below. {@value #TAG_TENANT} and {@value #TAG_ROUTE}: only values in the configured allowlists, every
 * other value is {@value #OTHER} (see {@link TagAllowlist}). A request id is never a tag.
 */
public final class MetricNames {

    private MetricNames() {
    }

    /** Prefix of every monitor metric. */
    public static final String PREFIX = "refusal.monitor";

    // ---- scoring (ScoringMetrics) ----
    /** Counter: records handled, by {@link #TAG_OUTCOME} and {@link #TAG_MODEL}. Prometheus: {@value #PROM_RECORDS}. */
    public static final String RECORDS = PREFIX + ".records";
    public static final String PROM_RECORDS = "refusal_monitor_records_total";
    /** Counter: records sent to the DLQ, by {@link #TAG_REASON} (the dead-letter reason, see {@link #reasonTag}). Prometheus: {@value #PROM_DLQ}. */
    public static final String DLQ = PREFIX + ".dlq";
    public static final String PROM_DLQ = "refusal_monitor_dlq_total";
    /** Counter: scored records flagged as harmful/refusal, by {@link #TAG_MODEL}. Prometheus: {@value #PROM_FLAGGED}. */
    public static final String FLAGGED = PREFIX + ".flagged";
    public static final String PROM_FLAGGED = "refusal_monitor_flagged_total";
    /**
     * Timer: processing latency of one record (decode + score), by {@link #TAG_MODEL}, with a
     * percentile histogram. Prometheus: {@value #PROM_SCORING}{@code _bucket|_count|_sum|_max}.
     */
    public static final String SCORING = PREFIX + ".scoring";
    public static final String PROM_SCORING = "refusal_monitor_scoring_seconds";
    /**
     * Cumulative bucket counters of each score's values, by {@link #TAG_SCORE}, {@link #TAG_MODEL} and
     * {@code le} (upper bound, {@code +Inf} last; bounds per score in {@link ScoreKind}). A counter family
     * rather than a Micrometer distribution summary (whose values must be non-negative) because two scores are signed and summaries would drop
     * negative values; {@code histogram_quantile} works on it as on any {@code le}-labelled family.
     * Prometheus: {@value #PROM_SCORE_BUCKETS}.
     */
    public static final String SCORE_BUCKETS = PREFIX + ".score.buckets";
    public static final String PROM_SCORE_BUCKETS = "refusal_monitor_score_buckets_total";

    // ---- direction sets (DirectionSetMetrics) ----
    /** Gauge: version of the direction set in force, by {@link #TAG_MODEL}. Prometheus: {@value #PROM_DIRECTIONS_VERSION}. */
    public static final String DIRECTIONS_VERSION = PREFIX + ".directions.version";
    public static final String PROM_DIRECTIONS_VERSION = "refusal_monitor_directions_version";
    /** Time gauge: seconds since the set in force was created, by {@link #TAG_MODEL}. Prometheus: {@value #PROM_DIRECTIONS_AGE}. */
    public static final String DIRECTIONS_AGE = PREFIX + ".directions.age";
    public static final String PROM_DIRECTIONS_AGE = "refusal_monitor_directions_age_seconds";
    /** Counter: direction sets rejected, by {@link #TAG_REASON} ({@link DirectionsRejectReason}). Prometheus: {@value #PROM_DIRECTIONS_REJECTED}. */
    public static final String DIRECTIONS_REJECTED = PREFIX + ".directions.rejected";
    public static final String PROM_DIRECTIONS_REJECTED = "refusal_monitor_directions_rejected_total";

    // ---- tags ----
    public static final String TAG_MODEL = "model";
    public static final String TAG_OUTCOME = "outcome";
    public static final String TAG_REASON = "reason";
    public static final String TAG_SCORE = "score";
    public static final String TAG_LE = "le";
    public static final String TAG_TENANT = "tenant";
    public static final String TAG_ROUTE = "route";
    public static final String TAG_LAYER = "layer";

    public static final String OUTCOME_SCORED = "scored";
    public static final String OUTCOME_DLQ = "dlq";
    /** Tag value for a tenant/route not in its allowlist. */
    public static final String OTHER = "other";
    /** Tag value for a missing model, tenant or route. */
    public static final String UNKNOWN = "unknown";

    /** Every monitor metric's Prometheus family name (for rule/dashboard checks). */
    public static final List<String> PROMETHEUS_NAMES = List.of(PROM_RECORDS, PROM_DLQ, PROM_FLAGGED, PROM_SCORING,
            PROM_SCORE_BUCKETS, PROM_DIRECTIONS_VERSION, PROM_DIRECTIONS_AGE, PROM_DIRECTIONS_REJECTED);

    /**
     * Kafka Streams' own metrics, bound by {@code KafkaStreamsMetrics}, appear as {@code kafka_<group>_<name>}
     * (e.g. {@code kafka_consumer_fetch_manager_records_lag_max}, {@code kafka_stream_thread_process_rate}).
     * JVM binders add {@code jvm_*}, {@code process_*}, {@code system_*}.
     */
    public static final String KAFKA_STREAMS_PREFIX = "kafka_";

    /**
     * The {@code reason} tag of a dead-letter reason: the Protobuf enum name without its prefix, lower case
     * ({@code DEAD_LETTER_REASON_NON_FINITE} → {@code non_finite}). One fixed set, shared with the DLQ records.
     */
    public static String reasonTag(dev.refusalmonitor.schemas.v1.DeadLetterReason reason) {
        return reason.name().substring("DEAD_LETTER_REASON_".length()).toLowerCase(java.util.Locale.ROOT);
    }
}
