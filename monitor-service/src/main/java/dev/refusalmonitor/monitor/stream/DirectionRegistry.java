package dev.refusalmonitor.monitor.stream;

import dev.refusalmonitor.contract.directions.DirectionSetModel;
import dev.refusalmonitor.math.score.DirectionSetScorer;
import dev.refusalmonitor.monitor.metrics.DirectionSetMetrics;
import dev.refusalmonitor.monitor.metrics.DirectionsRejectReason;
import dev.refusalmonitor.monitor.config.MonitorConfig;
import dev.refusalmonitor.schemas.DirectionSetCodec;
import dev.refusalmonitor.schemas.signing.TrustedKeys;
import dev.refusalmonitor.schemas.v1.DirectionSetEnvelope;
import dev.refusalmonitor.schemas.InvalidDirectionSetException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * The direction sets in force, one per model, shared by the global-store updater (writer) and every stream thread
 * (readers). A reader takes one {@link LoadedDirections} reference per record, so a record is always scored with a
 * single version; a new version replaces the reference atomically and is used from the next record on.
 *
 * <p>A set is accepted only when it validates (checksum, fields, dimensions) and its version is newer than the one
 * in force; otherwise it is rejected with a logged reason and a metric, and the previous version stays.
 */
public final class DirectionRegistry {
    private static final Logger LOG = LoggerFactory.getLogger(DirectionRegistry.class);

    /** What {@link #offer} did. */
    public enum Outcome { ACCEPTED, UNCHANGED, REJECTED, WITHDRAWN }

    private final Map<String, LoadedDirections> byModel = new ConcurrentHashMap<>();
    /** Models withdrawn by a signed withdrawal, with its version: only a newer set brings a model back. */
    private final Map<String, Long> withdrawnAt = new ConcurrentHashMap<>();
    private final DirectionSetMetrics metrics;
    private final Clock clock;
    private final DirectionTrust trust;
    private final Function<String, List<byte[]>> history;

    /** A registry without a history topic to fall back on. */
    public DirectionRegistry(DirectionSetMetrics metrics, Clock clock, DirectionTrust trust) {
        this(metrics, clock, trust, model -> List.of());
    }

    /**
     * @param history a model's sealed sets from the history topic, newest version first ({@code DirectionHistory}):
     *                where a model with no set in force looks when its directions record is unusable
     */
    public DirectionRegistry(DirectionSetMetrics metrics, Clock clock, DirectionTrust trust,
                             Function<String, List<byte[]>> history) {
        this.metrics = metrics;
        this.clock = clock;
        this.trust = trust;
        this.history = history;
    }

    /** The set in force for {@code modelId}, or null. */
    public LoadedDirections get(String modelId) {
        return byModel.get(modelId);
    }

    public Optional<LoadedDirections> find(String modelId) {
        return Optional.ofNullable(byModel.get(modelId));
    }

    public int size() {
        return byModel.size();
    }

    public Map<String, LoadedDirections> snapshot() {
        return Map.copyOf(byModel);
    }

    /**
     * Validates a sealed set read from the directions topic under {@code key} and puts it in force when newer.
     * Called by the single global-store thread.
     */
    public Outcome offer(String key, byte[] sealed) {
        Outcome outcome = accept(key, sealed, false);
        if (outcome == Outcome.REJECTED && key != null && !byModel.containsKey(key) && !withdrawnAt.containsKey(key))
            fallBackToHistory(key);
        return outcome;
    }

    /**
     * The model's record on the directions topic was refused and it has no set in force (after compaction that
     * record may be the only one left): use the newest version on the history topic that passes every check.
     */
    private void fallBackToHistory(String model) {
        List<byte[]> versions;
        try {
            versions = history.apply(model);
        } catch (RuntimeException e) {
            LOG.error("model '{}' has no usable direction set and the history topic could not be read: {}", model,
                    e.getMessage());
            return;
        }
        for (byte[] sealed : versions) {
            if (accept(model, sealed, true) == Outcome.ACCEPTED) {
                LOG.warn("model '{}': its directions record is unusable; scoring with version {} from the history topic "
                        + "until a valid newer set is published", model, byModel.get(model).version());
                return;
            }
        }
        LOG.error("model '{}' has no usable direction set: its directions record and {} history versions were refused",
                model, versions.size());
    }

    private Outcome accept(String key, byte[] sealed, boolean fromHistory) {
        DirectionSetModel set;
        try {
            DirectionSetEnvelope envelope = DirectionSetCodec.parseEnvelope(sealed);
            DirectionSetCodec.verifyChecksum(envelope);
            if (trust.required()) {
                TrustedKeys.Verdict verdict = trust.keys().verify(envelope);
                if (verdict != TrustedKeys.Verdict.VALID) {
                    String who = "model '" + envelope.getModelId() + "' version " + Long.toUnsignedString(envelope.getVersion())
                            + (envelope.getKeyId().isEmpty() ? ", no signature" : ", key id " + envelope.getKeyId());
                    return switch (verdict) {
                        case UNSIGNED -> reject(key, DirectionsRejectReason.UNSIGNED, who + ": unsigned sets are refused ("
                                + MonitorConfig.DIRECTIONS_REQUIRE_SIGNATURE + "=true)");
                        case UNTRUSTED_KEY -> reject(key, DirectionsRejectReason.UNTRUSTED_KEY, who
                                + ": the key is not trusted (trusted: " + trust.keys().keyIds() + ")");
                        default -> reject(key, DirectionsRejectReason.BAD_SIGNATURE, who
                                + ": the signature does not match the payload");
                    };
                }
            }
            if (envelope.getWithdrawn()) return withdraw(key, DirectionSetCodec.openWithdrawal(envelope));
            set = DirectionSetCodec.open(envelope);
        } catch (InvalidDirectionSetException e) {
            DirectionsRejectReason reason = switch (e.reason()) {
                case CORRUPT -> DirectionsRejectReason.DECODE_ERROR;
                case CHECKSUM_MISMATCH -> DirectionsRejectReason.CHECKSUM_MISMATCH;
                default -> DirectionsRejectReason.INVALID;
            };
            return reject(key, reason, e.reason() + ": " + e.getMessage());
        }
        if (key != null && !key.equals(set.modelId()))
            return reject(key, DirectionsRejectReason.INVALID,
                    "record key '" + key + "' differs from the set's model id '" + set.modelId() + "'");
        LoadedDirections current = byModel.get(set.modelId());
        if (current != null && set.version() == current.version()
                && set.createdAtUnixMs() == current.set().createdAtUnixMs()) {
            return Outcome.UNCHANGED; // the same set read again (restore, duplicate publish)
        }
        if (current != null && set.version() <= current.version())
            return reject(key, DirectionsRejectReason.STALE_VERSION, "version " + set.version()
                    + " is not newer than version " + current.version() + " in force");
        Long withdrawn = withdrawnAt.get(set.modelId());
        if (withdrawn != null && set.version() <= withdrawn)
            return reject(key, DirectionsRejectReason.STALE_VERSION, "version " + set.version()
                    + " is not newer than the withdrawal at version " + withdrawn);
        DirectionSetScorer scorer;
        try {
            scorer = new DirectionSetScorer(set);
        } catch (RuntimeException e) {
            return reject(key, DirectionsRejectReason.INVALID, "cannot build a scorer: " + e.getMessage());
        }
        Instant now = clock.instant();
        byModel.put(set.modelId(), new LoadedDirections(set, scorer, now));
        withdrawnAt.remove(set.modelId());
        metrics.directionsLoaded(set.modelId(), set.version(), Instant.ofEpochMilli(set.createdAtUnixMs()), fromHistory);
        LOG.info("directions for model '{}' now at version {} (d = {}, scoring layer {}, previous {})", set.modelId(),
                set.version(), set.d(), set.scoringLayer(), current == null ? "none" : current.version());
        return Outcome.ACCEPTED;
    }

    /** A (trusted, if required) withdrawal: from its version on, the model has no set until a newer one arrives. */
    private Outcome withdraw(String key, dev.refusalmonitor.schemas.v1.DirectionSet withdrawal) {
        String model = withdrawal.getModelId();
        if (key != null && !key.equals(model))
            return reject(key, DirectionsRejectReason.INVALID, "record key '" + key + "' differs from the withdrawal's model id '" + model + "'");
        LoadedDirections current = byModel.get(model);
        if (current != null && withdrawal.getVersion() <= current.version())
            return reject(key, DirectionsRejectReason.STALE_VERSION, "withdrawal at version " + withdrawal.getVersion()
                    + " is not newer than version " + current.version() + " in force");
        withdrawnAt.put(model, withdrawal.getVersion());
        if (byModel.remove(model) != null) metrics.directionsWithdrawn(model);
        LOG.warn("directions for model '{}' withdrawn at version {}: its records are dead-lettered (no_directions) until "
                + "a newer set is published", model, withdrawal.getVersion());
        return Outcome.WITHDRAWN;
    }

    /**
     * A tombstone on the directions topic: withdraws the model only when plain tombstones are allowed (anyone with
     * write access can send one); otherwise it is refused and the set in force stays.
     *
     * @return whether the model was withdrawn
     */
    public boolean tombstone(String modelId) {
        if (!trust.allowTombstones()) {
            reject(modelId, DirectionsRejectReason.TOMBSTONE, "a plain tombstone cannot withdraw a model; publish a signed "
                    + "withdrawal (probe-trainer withdraw) or set " + MonitorConfig.DIRECTIONS_ALLOW_TOMBSTONES + "=true");
            return false;
        }
        if (byModel.remove(modelId) != null) {
            metrics.directionsWithdrawn(modelId);
            LOG.warn("directions for model '{}' withdrawn (tombstone)", modelId);
        }
        return true;
    }

    private Outcome reject(String key, DirectionsRejectReason reason, String why) {
        metrics.rejected(reason);
        LoadedDirections current = key == null ? null : byModel.get(key);
        LOG.warn("rejected a direction set for key '{}' ({}): {}; {}", key, reason.tag(), why,
                current == null ? "no set in force" : "version " + current.version() + " stays in force");
        return Outcome.REJECTED;
    }
}
