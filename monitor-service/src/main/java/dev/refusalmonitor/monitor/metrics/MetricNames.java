package dev.refusalmonitor.monitor.metrics;

import java.util.List;

/**
 * Every metric the monitor exports, in one place: {@code deploy/} alert rules and Grafana panels are
 * checked against this list. Micrometer names are dotted; the Prometheus registry turns
 * {@code refusal.monitor.records} into {@code refusal_monitor_records_total} (counters get
 * {@code _total}, timers {@code _seconds}, base units their suffix).
 *
 * <p><b>Tags and cardinality.</b> Every label value comes from a bounded set and is sanitised
 * ({@link ModelLabels#sanitize}). {@value #TAG_MODEL}: a model id with a direction set in force (at most
 * {@code refusal.monitor.metrics.max.models} of them), every other id {@value ModelLabels#OTHER} (see
 * {@link ModelLabels}); a dead-lettered record adds to {@link #DLQ} by reason only, never to a per-model series.
 * {@value #TAG_OUTCOME}, {@value #TAG_REASON}, {@value #TAG_SCORE}: fixed sets
 * below. {@value #TAG_TENANT} and {@value #TAG_ROUTE}: only values in the configured allowlists, every
 * other value is {@value #OTHER} (see {@link TagAllowlist}). A request id is never a tag.
 */
public final class MetricNames {

    private MetricNames() {
    }

    /** Prefix of every monitor metric. */
    public static final String PREFIX = "refusal.monitor";

    // ---- scoring (ScoringMetrics) ----
    /**
     * Counter: records scored or parked, by {@link #TAG_OUTCOME} ({@value #OUTCOME_SCORED}, {@value #OUTCOME_PARKED})
     * and {@link #TAG_MODEL}. Dead letters are counted once, in {@link #DLQ}. Prometheus: {@value #PROM_RECORDS}.
     */
    public static final String RECORDS = PREFIX + ".records";
    public static final String PROM_RECORDS = "refusal_monitor_records_total";
    /**
     * Counter: records scored in a batch of their poll ({@code refusal.monitor.scoring.batch.size}); the rest of
     * {@link #RECORDS} were scored one by one. Prometheus: {@value #PROM_BATCH_SCORED}.
     */
    public static final String BATCH_SCORED = PREFIX + ".records.batch.scored";
    public static final String PROM_BATCH_SCORED = "refusal_monitor_records_batch_scored_total";
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
     * Score distributions as Prometheus histograms, one family per score ({@code PROM_SCORE_PREFIX + score}, e.g.
     * {@code refusal_monitor_score_probe_probability_bucket{model,le}}, {@code _count}, {@code _sum}), by
     * {@link #TAG_MODEL}; bounds per score in {@link ScoreKind}. Registered directly with the Prometheus client
     * (classic buckets) because two scores are signed and Micrometer's distribution summaries accept only positive
     * bucket bounds.
     */
    public static final String PROM_SCORE_PREFIX = "refusal_monitor_score_";
    public static final String PROM_SCORE_PROBE_PROBABILITY = PROM_SCORE_PREFIX + "probe_probability";
    public static final String PROM_SCORE_MAHALANOBIS_REFUSAL = PROM_SCORE_PREFIX + "mahalanobis_refusal";
    public static final String PROM_SCORE_MAHALANOBIS_OOD = PROM_SCORE_PREFIX + "mahalanobis_ood";
    public static final String PROM_SCORE_CAST_SIMILARITY = PROM_SCORE_PREFIX + "cast_similarity";

    // ---- direction sets (DirectionSetMetrics) ----
    /** Gauge: version of the direction set in force, by {@link #TAG_MODEL}. Prometheus: {@value #PROM_DIRECTIONS_VERSION}. */
    public static final String DIRECTIONS_VERSION = PREFIX + ".directions.version";
    public static final String PROM_DIRECTIONS_VERSION = "refusal_monitor_directions_version";
    /** Time gauge: seconds since the set in force was created, by {@link #TAG_MODEL}. Prometheus: {@value #PROM_DIRECTIONS_AGE}. */
    public static final String DIRECTIONS_AGE = PREFIX + ".directions.age";
    public static final String PROM_DIRECTIONS_AGE = "refusal_monitor_directions_age_seconds";
    /** Gauge: 1 when the set in force came from the history topic (the directions record was unusable), by {@link #TAG_MODEL}. Prometheus: {@value #PROM_DIRECTIONS_FROM_HISTORY}. */
    public static final String DIRECTIONS_FROM_HISTORY = PREFIX + ".directions.from.history";
    public static final String PROM_DIRECTIONS_FROM_HISTORY = "refusal_monitor_directions_from_history";
    /** Counter: direction sets rejected, by {@link #TAG_REASON} ({@link DirectionsRejectReason}). Prometheus: {@value #PROM_DIRECTIONS_REJECTED}. */
    public static final String DIRECTIONS_REJECTED = PREFIX + ".directions.rejected";
    public static final String PROM_DIRECTIONS_REJECTED = "refusal_monitor_directions_rejected_total";

    // ---- drift (monitor.drift.DriftMetrics): gauges per (model, tenant, route) slice, of its latest closed window ----
    /** Prefix of the drift metrics. */
    public static final String DRIFT_PREFIX = PREFIX + ".drift";
    /** Gauge: mean probe probability p(H) of the latest closed window. Prometheus: {@value #PROM_DRIFT_PROBABILITY_MEAN}. */
    public static final String DRIFT_PROBABILITY_MEAN = DRIFT_PREFIX + ".probe.probability.mean";
    public static final String PROM_DRIFT_PROBABILITY_MEAN = "refusal_monitor_drift_probe_probability_mean";
    /** Gauge: share of requests in the latest window, by {@link #TAG_RATE} ({@code flagged}, {@code cast_fire}, {@code ood}). Prometheus: {@value #PROM_DRIFT_RATE}. */
    public static final String DRIFT_RATE = DRIFT_PREFIX + ".rate";
    public static final String PROM_DRIFT_RATE = "refusal_monitor_drift_rate";
    /** Gauge: rate of the window minus rate of the reference, by {@link #TAG_RATE} (NaN before the reference is ready). Prometheus: {@value #PROM_DRIFT_RATE_DIFFERENCE}. */
    public static final String DRIFT_RATE_DIFFERENCE = DRIFT_PREFIX + ".rate.difference";
    public static final String PROM_DRIFT_RATE_DIFFERENCE = "refusal_monitor_drift_rate_difference";
    /** Gauge: lower bound of the 95 % Newcombe interval of that difference. Prometheus: {@value #PROM_DRIFT_RATE_DIFFERENCE_LOWER}. */
    public static final String DRIFT_RATE_DIFFERENCE_LOWER = DRIFT_PREFIX + ".rate.difference.lower";
    public static final String PROM_DRIFT_RATE_DIFFERENCE_LOWER = "refusal_monitor_drift_rate_difference_lower";
    /** Gauge: upper bound of the 95 % Newcombe interval. Prometheus: {@value #PROM_DRIFT_RATE_DIFFERENCE_UPPER}. */
    public static final String DRIFT_RATE_DIFFERENCE_UPPER = DRIFT_PREFIX + ".rate.difference.upper";
    public static final String PROM_DRIFT_RATE_DIFFERENCE_UPPER = "refusal_monitor_drift_rate_difference_upper";
    /** Gauge: share of the latest window per refusal-plane sector, by {@link #TAG_SECTOR}. Prometheus: {@value #PROM_DRIFT_SECTOR_SHARE}. */
    public static final String DRIFT_SECTOR_SHARE = DRIFT_PREFIX + ".sector.share";
    public static final String PROM_DRIFT_SECTOR_SHARE = "refusal_monitor_drift_sector_share";
    /** Gauge: population stability index, window vs reference, by {@link #TAG_SCORE} ({@code probe_probability}, {@code mahalanobis_refusal}, {@code sector}). Prometheus: {@value #PROM_DRIFT_PSI}. */
    public static final String DRIFT_PSI = DRIFT_PREFIX + ".psi";
    public static final String PROM_DRIFT_PSI = "refusal_monitor_drift_psi";
    /** Gauge: binned two-sample KS statistic D, by {@link #TAG_SCORE} ({@code probe_probability}, {@code mahalanobis_refusal}). Prometheus: {@value #PROM_DRIFT_KS}. */
    public static final String DRIFT_KS = DRIFT_PREFIX + ".ks";
    public static final String PROM_DRIFT_KS = "refusal_monitor_drift_ks";
    /** Gauge: asymptotic p-value of that KS statistic, by {@link #TAG_SCORE}. Prometheus: {@value #PROM_DRIFT_KS_PVALUE}. */
    public static final String DRIFT_KS_PVALUE = DRIFT_PREFIX + ".ks.pvalue";
    public static final String PROM_DRIFT_KS_PVALUE = "refusal_monitor_drift_ks_pvalue";
    /** Gauge: CUSUM of the flagged-rate z, by {@link #TAG_DIRECTION} ({@code up}, {@code down}). Prometheus: {@value #PROM_DRIFT_CUSUM}. */
    public static final String DRIFT_CUSUM = DRIFT_PREFIX + ".cusum";
    public static final String PROM_DRIFT_CUSUM = "refusal_monitor_drift_cusum";
    /** Gauge: 1 when the latest window drifted (any reason), else 0. Prometheus: {@value #PROM_DRIFT_DRIFTED}. */
    public static final String DRIFT_DRIFTED = DRIFT_PREFIX + ".drifted";
    public static final String PROM_DRIFT_DRIFTED = "refusal_monitor_drift_drifted";
    /** Gauge: 1 when that part of the rule fired on the latest window, by {@link #TAG_REASON} ({@code flagged_rate_up}, {@code flagged_rate_down}, {@code probability_distribution}). Prometheus: {@value #PROM_DRIFT_ALARM}. */
    public static final String DRIFT_ALARM = DRIFT_PREFIX + ".alarm";
    public static final String PROM_DRIFT_ALARM = "refusal_monitor_drift_alarm";
    /** Gauge: 1 once the slice's reference is complete (comparisons start), else 0. Prometheus: {@value #PROM_DRIFT_REFERENCE_READY}. */
    public static final String DRIFT_REFERENCE_READY = DRIFT_PREFIX + ".reference.ready";
    public static final String PROM_DRIFT_REFERENCE_READY = "refusal_monitor_drift_reference_ready";
    /** Gauge: the direction-set version that scored the slice's latest window; a change marks a fresh reference (refits never alarm by themselves). Prometheus: {@value #PROM_DRIFT_DIRECTIONS_VERSION}. */
    public static final String DRIFT_DIRECTIONS_VERSION = DRIFT_PREFIX + ".directions.version";
    public static final String PROM_DRIFT_DIRECTIONS_VERSION = "refusal_monitor_drift_directions_version";
    /** Counter: fresh references started because a newer direction-set version arrived. Prometheus: {@value #PROM_DRIFT_REBASELINES}. */
    public static final String DRIFT_REBASELINES = DRIFT_PREFIX + ".rebaselines";
    public static final String PROM_DRIFT_REBASELINES = "refusal_monitor_drift_rebaselines_total";
    /** Gauge: requests in the latest closed window. Prometheus: {@value #PROM_DRIFT_WINDOW_REQUESTS}. */
    public static final String DRIFT_WINDOW_REQUESTS = DRIFT_PREFIX + ".window.requests";
    public static final String PROM_DRIFT_WINDOW_REQUESTS = "refusal_monitor_drift_window_requests";
    /** Counter: drift windows closed, per slice. Prometheus: {@value #PROM_DRIFT_WINDOWS}. */
    public static final String DRIFT_WINDOWS = DRIFT_PREFIX + ".windows";
    public static final String PROM_DRIFT_WINDOWS = "refusal_monitor_drift_windows_total";
    /** Gauge: drift slices whose windows this instance owns (bounded by the caps). Prometheus: {@value #PROM_DRIFT_SLICES}. */
    public static final String DRIFT_SLICES = DRIFT_PREFIX + ".slices";
    public static final String PROM_DRIFT_SLICES = "refusal_monitor_drift_slices";
    /** Counter: drift reports, by {@link #TAG_OUTCOME} ({@code sent}, {@code failed}) on the drift topic. Prometheus: {@value #PROM_DRIFT_REPORTS}. */
    public static final String DRIFT_REPORTS = DRIFT_PREFIX + ".reports";
    public static final String PROM_DRIFT_REPORTS = "refusal_monitor_drift_reports_total";
    /** Counter: scored records the tracker could not count (a score outside its domain). Prometheus: {@value #PROM_DRIFT_SKIPPED}. */
    public static final String DRIFT_SKIPPED = DRIFT_PREFIX + ".skipped";
    public static final String PROM_DRIFT_SKIPPED = "refusal_monitor_drift_skipped_total";
    /** Counter: stored drift values dropped as unreadable under this configuration. Prometheus: {@value #PROM_DRIFT_STATE_DISCARDED}. */
    public static final String DRIFT_STATE_DISCARDED = DRIFT_PREFIX + ".state.discarded";
    public static final String PROM_DRIFT_STATE_DISCARDED = "refusal_monitor_drift_state_discarded_total";

    // ---- Kafka Streams metrics used by deploy/ rules and grafana/ (checked against a live scrape) ----
    /** Max records lag over the partitions of a consumer (Streams' main, restore and global consumers), by {@code client_id}. */
    public static final String PROM_KAFKA_RECORDS_LAG_MAX = "kafka_consumer_fetch_manager_records_lag_max";
    /** Records processed per second per stream thread, by {@code thread_id}. */
    public static final String PROM_KAFKA_PROCESS_RATE = "kafka_stream_thread_process_rate";

    // ---- tags ----
    public static final String TAG_MODEL = "model";
    public static final String TAG_OUTCOME = "outcome";
    public static final String TAG_REASON = "reason";
    public static final String TAG_SCORE = "score";
    public static final String TAG_LE = "le";
    public static final String TAG_TENANT = "tenant";
    public static final String TAG_ROUTE = "route";
    public static final String TAG_LAYER = "layer";
    public static final String TAG_RATE = "rate";
    public static final String TAG_SECTOR = "sector";
    public static final String TAG_DIRECTION = "direction";

    public static final String OUTCOME_SCORED = "scored";
    /** Parked on the retry topic (no.directions.policy=retry-topic). */
    public static final String OUTCOME_PARKED = "parked";
    /** Tag value for a tenant/route not in its allowlist. */
    public static final String OTHER = "other";
    /** Tag value for a missing model, tenant or route. */
    public static final String UNKNOWN = "unknown";

    /** Every monitor metric's Prometheus family name (for rule/dashboard checks). */
    public static final List<String> PROMETHEUS_NAMES = List.of(PROM_RECORDS, PROM_DLQ, PROM_FLAGGED, PROM_SCORING,
            PROM_SCORE_PROBE_PROBABILITY, PROM_SCORE_MAHALANOBIS_REFUSAL, PROM_SCORE_MAHALANOBIS_OOD,
            PROM_SCORE_CAST_SIMILARITY, PROM_DIRECTIONS_VERSION, PROM_DIRECTIONS_AGE, PROM_DIRECTIONS_FROM_HISTORY, PROM_DIRECTIONS_REJECTED);

    /** Every drift metric's Prometheus family name (exported by {@code monitor.drift.DriftMetrics}). */
    public static final List<String> PROMETHEUS_DRIFT_NAMES = List.of(PROM_DRIFT_PROBABILITY_MEAN, PROM_DRIFT_RATE, PROM_DRIFT_RATE_DIFFERENCE, PROM_DRIFT_RATE_DIFFERENCE_LOWER,
            PROM_DRIFT_RATE_DIFFERENCE_UPPER, PROM_DRIFT_SECTOR_SHARE, PROM_DRIFT_PSI, PROM_DRIFT_KS,
            PROM_DRIFT_KS_PVALUE, PROM_DRIFT_CUSUM, PROM_DRIFT_DRIFTED, PROM_DRIFT_ALARM, PROM_DRIFT_REFERENCE_READY,
            PROM_DRIFT_WINDOW_REQUESTS, PROM_DRIFT_WINDOWS, PROM_DRIFT_SLICES, PROM_DRIFT_REPORTS, PROM_DRIFT_SKIPPED, PROM_DRIFT_STATE_DISCARDED,
            PROM_DRIFT_DIRECTIONS_VERSION, PROM_DRIFT_REBASELINES);

    /** {@link #PROMETHEUS_NAMES}, {@link #PROMETHEUS_DRIFT_NAMES} and {@link #PROMETHEUS_KAFKA_NAMES}: every name rules and dashboards may use. */
    public static List<String> allPrometheusNames() {
        java.util.List<String> all = new java.util.ArrayList<>(PROMETHEUS_NAMES);
        all.addAll(PROMETHEUS_DRIFT_NAMES);
        all.addAll(PROMETHEUS_KAFKA_NAMES);
        return List.copyOf(all);
    }

    /** The Kafka Streams metrics that rules and dashboards use (the e2e test checks them against a live scrape). */
    public static final List<String> PROMETHEUS_KAFKA_NAMES = List.of(PROM_KAFKA_RECORDS_LAG_MAX, PROM_KAFKA_PROCESS_RATE);

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
