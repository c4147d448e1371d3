package dev.refusalmonitor.trainer.service;

import dev.refusalmonitor.schemas.signing.DirectionSetSigner;
import dev.refusalmonitor.contract.TopicNames;

import dev.refusalmonitor.contract.SizeLimits;

import dev.refusalmonitor.math.fit.LogisticProbeFit;
import dev.refusalmonitor.math.fit.MahalanobisFit;
import dev.refusalmonitor.trainer.publish.VersionedPublisher;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Properties;

/**
 * Everything the trainer service needs; built by {@code probe-trainer run} from flags, environment and file.
 *
 * @param clientProperties Kafka client settings (bootstrap.servers, security) shared by every client
 * @param modelFilter only this model, or null for every model on the samples topic
 * @param layers fixed layer set, or null for each model's first sample's layers
 * @param reservoirSize rows kept per class per model
 * @param refitAfter refit after this many new samples of a model (0 = never by count)
 * @param refitInterval refit models with new samples this often (null or zero = never by time)
 * @param minAuc floor on the scoring layer's held-out probe AUC
 * @param minSelectivity floor on the scoring layer's selectivity
 * @param maxRegression largest allowed drop of held-out AUC against the version in force, on the same rows
 * @param replayOnStart rebuild the reservoirs from the start of the samples topic (retention window) at start
 * @param reportDir where the trainer writes each refit's report JSON, or null for none
 * @param httpPort port of /metrics and /healthz (0 = any free port, -1 = no HTTP server)
 * @param httpBindAddress address the HTTP server binds to (127.0.0.1 by default; 0.0.0.0 in a container)
 * @param targetFpr the false-positive rate every refit's decisions are calibrated to (as {@code fit --target-fpr})
 * @param signer signs every published set (null: unsigned)
 */
public record TrainerSettings(Properties clientProperties, String samplesTopic, String directionsTopic, String historyTopic,
                              String groupId, String modelFilter, int[] layers, int reservoirSize, long refitAfter,
                              Duration refitInterval, double minAuc, double minSelectivity, double maxRegression,
                              int minPerClass, double holdoutFraction, long seed, int exactMaxDim, int lowRankK,
                              long maxSetBytes, boolean replayOnStart, Path reportDir, int httpPort, String httpBindAddress,
                              Duration timeout, double targetFpr, DirectionSetSigner signer) {

    public static final String DEFAULT_GROUP_ID = "probe-trainer";
    public static final String DEFAULT_HTTP_BIND_ADDRESS = "127.0.0.1";
    public static final int DEFAULT_RESERVOIR_SIZE = 4000;

    public TrainerSettings {
        if (reservoirSize < 1) throw new IllegalArgumentException("reservoir size must be >= 1, got " + reservoirSize);
        if (refitAfter < 0) throw new IllegalArgumentException("refit-after must be >= 0, got " + refitAfter);
        if (minPerClass < 4) throw new IllegalArgumentException("min per class must be >= 4, got " + minPerClass);
        if (reservoirSize < minPerClass)
            throw new IllegalArgumentException("reservoir size " + reservoirSize + " is below the min per class " + minPerClass);
        if (!(holdoutFraction > 0 && holdoutFraction < 1))
            throw new IllegalArgumentException("holdout fraction must be in (0, 1), got " + holdoutFraction);
        if (Double.isNaN(minAuc) || Double.isNaN(minSelectivity) || !(maxRegression >= 0))
            throw new IllegalArgumentException("gate settings must be numbers and max regression >= 0");
        if (httpPort < -1 || httpPort > 65535) throw new IllegalArgumentException("http port must be in [-1, 65535], got " + httpPort);
        if (!(targetFpr > 0 && targetFpr < 1)) throw new IllegalArgumentException("target FPR must be in (0, 1), got " + targetFpr);
        if (refitInterval != null && refitInterval.isNegative())
            throw new IllegalArgumentException("refit interval must be >= 0, got " + refitInterval);
    }

    /** Defaults for {@code bootstrap}: the topics above, 4000 rows per class, AUC ≥ 0.7, selectivity ≥ 0.05. */
    public static TrainerSettings defaults(String bootstrapServers) {
        Properties p = new Properties();
        p.put("bootstrap.servers", bootstrapServers);
        return new TrainerSettings(p, TopicNames.TRAINING_SAMPLES, TopicNames.DIRECTIONS, TopicNames.DIRECTIONS_HISTORY,
                DEFAULT_GROUP_ID, null, null, DEFAULT_RESERVOIR_SIZE, 1000, Duration.ofMinutes(30), 0.7, 0.05, 0.02,
                10, 0.25, 7, MahalanobisFit.DEFAULT_EXACT_MAX_D, MahalanobisFit.DEFAULT_LOW_RANK_K,
                SizeLimits.DEFAULT_MAX_SET_BYTES, true, null, 0, DEFAULT_HTTP_BIND_ADDRESS, Duration.ofSeconds(60),
                dev.refusalmonitor.math.fit.OperatingPoint.DEFAULT_TARGET_FPR, null);
    }

    public LogisticProbeFit.Options probeOptions() {
        return LogisticProbeFit.Options.defaults().withTolerance(1e-6);
    }

    public TrainerSettings withGate(double minAuc, double minSelectivity, double maxRegression) {
        return new TrainerSettings(clientProperties, samplesTopic, directionsTopic, historyTopic, groupId, modelFilter, layers,
                reservoirSize, refitAfter, refitInterval, minAuc, minSelectivity, maxRegression, minPerClass,
                holdoutFraction, seed, exactMaxDim, lowRankK, maxSetBytes, replayOnStart, reportDir, httpPort, httpBindAddress, timeout, targetFpr, signer);
    }

    public TrainerSettings withTopics(String samples, String directions, String history, String group) {
        return new TrainerSettings(clientProperties, samples, directions, history, group, modelFilter, layers,
                reservoirSize, refitAfter, refitInterval, minAuc, minSelectivity, maxRegression, minPerClass,
                holdoutFraction, seed, exactMaxDim, lowRankK, maxSetBytes, replayOnStart, reportDir, httpPort, httpBindAddress, timeout, targetFpr, signer);
    }

    public TrainerSettings withRefit(int reservoirSize, long refitAfter, Duration refitInterval) {
        return new TrainerSettings(clientProperties, samplesTopic, directionsTopic, historyTopic, groupId, modelFilter, layers,
                reservoirSize, refitAfter, refitInterval, minAuc, minSelectivity, maxRegression, minPerClass,
                holdoutFraction, seed, exactMaxDim, lowRankK, maxSetBytes, replayOnStart, reportDir, httpPort, httpBindAddress, timeout, targetFpr, signer);
    }

    public TrainerSettings withOutput(Path reportDir, int httpPort, long maxSetBytes) {
        return new TrainerSettings(clientProperties, samplesTopic, directionsTopic, historyTopic, groupId, modelFilter, layers,
                reservoirSize, refitAfter, refitInterval, minAuc, minSelectivity, maxRegression, minPerClass,
                holdoutFraction, seed, exactMaxDim, lowRankK, maxSetBytes, replayOnStart, reportDir, httpPort, httpBindAddress, timeout, targetFpr, signer);
    }
}
