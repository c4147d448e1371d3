package dev.refusalmonitor.gateway.vllm;

import dev.refusalmonitor.activations.ActivationFileException;
import dev.refusalmonitor.activations.ActivationSet;
import dev.refusalmonitor.activations.LoadOptions;
import dev.refusalmonitor.activations.Pooling;
import dev.refusalmonitor.activations.SafetensorsReader;
import dev.refusalmonitor.cli.CommandLines;
import dev.refusalmonitor.gateway.GatewayException;
import dev.refusalmonitor.gateway.HiddenStatePublisher;
import dev.refusalmonitor.gateway.HiddenStateRecords;
import dev.refusalmonitor.gateway.PooledHiddenStates;
import dev.refusalmonitor.gateway.TokenPooling;
import dev.refusalmonitor.schemas.v1.HiddenState;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.BooleanSupplier;

/**
 * Publishes the per-request safetensors files of vLLM's hidden-state export ({@code token_ids [seq]},
 * {@code hidden_states [seq, layers, hidden]}) as {@link HiddenState} records, one per file, key = request id = the
 * file name without {@code .safetensors}.
 *
 * <p>A file is taken only when it is complete: its name ends in {@code .safetensors} (not {@code .tmp.safetensors}),
 * its size and modification time have not changed for the settle time (a file first seen with a modification time
 * older than the settle time counts as settled at once, so one {@link #pollOnce} takes every file written earlier),
 * and no companion lock file
 * ({@code NAME.safetensors.lock} or {@code NAME.lock}) is newer than it. vLLM's connector creates the lock file (with
 * O_TRUNC) and holds an exclusive {@code flock} on it while a background thread writes the data file, and never
 * removes it; a JVM cannot see a {@code flock}, so a lock file newer than the data means a write has started and
 * not yet touched the data file, while an older one is left over from the finished write. The bridge deletes the
 * lock file together with its data file. A file is moved to the done folder (or deleted) only after the broker acknowledged
 * its record, so a broker outage leaves every file in place; a file that cannot be read as a vLLM export is moved to
 * the failed folder with a {@code NAME.safetensors.reason.txt} beside it. Done files leave the watched folder, so a
 * restart does not send them again. Delivery is at-least-once: a crash between the acknowledgement and the move
 * sends that file again on restart (consumers key on the request id).
 *
 * <p>Hidden-state values are never logged.
 */
public final class VllmBridge {
    private static final Logger LOG = LoggerFactory.getLogger(VllmBridge.class);
    static final String SUFFIX = ".safetensors";
    static final String REASON_SUFFIX = ".reason.txt";

    /**
     * What the bridge publishes and where files go.
     *
     * @param doneDir       where acknowledged files go; null deletes them instead
     * @param load          pooling, layer-axis indices (vLLM's {@code eagle_aux_hidden_state_layer_ids}) and layers kept
     * @param settle        how long a file's size and modification time must stay unchanged before it is read
     * @param maxAttempts   publish attempts per batch before giving up (at least 1)
     * @param retryBackoff  pause between attempts
     */
    public record Options(Path watchDir, Path doneDir, Path failedDir, String topic, String modelId, String modelRevision,
                          String tenant, String route, LoadOptions load, Duration settle, int maxAttempts,
                          Duration retryBackoff) {
        public Options {
            Objects.requireNonNull(watchDir, "watchDir");
            Objects.requireNonNull(failedDir, "failedDir");
            Objects.requireNonNull(topic, "topic");
            Objects.requireNonNull(load, "load");
            Objects.requireNonNull(settle, "settle");
            Objects.requireNonNull(retryBackoff, "retryBackoff");
            if (modelId == null || modelId.isEmpty()) throw new IllegalArgumentException("a model id is required");
            if (maxAttempts < 1) throw new IllegalArgumentException("maxAttempts must be at least 1, got " + maxAttempts);
            if (settle.isNegative() || retryBackoff.isNegative())
                throw new IllegalArgumentException("settle time and retry backoff must not be negative");
        }
    }

    /** Opens a fresh publisher; one per attempt, since a publisher that saw a delivery failure stays failed. */
    public interface PublisherFactory {
        HiddenStatePublisher open() throws GatewayException;
    }

    /** What one poll did. */
    public record PollResult(int published, int failed, int waiting) {
    }

    /** Size and modification time seen at the last poll, for the settle check. */
    private record Seen(long size, long modifiedMs, long sinceNanos) {
    }

    private final Options options;
    private final PublisherFactory publishers;
    private final Map<Path, Seen> seen = new HashMap<>();
    private long publishedTotal;
    private long failedTotal;

    public VllmBridge(Options options, PublisherFactory publishers) throws IOException {
        this.options = options;
        this.publishers = publishers;
        if (!Files.isDirectory(options.watchDir()))
            throw new IOException("watch directory " + options.watchDir() + " does not exist or is not a directory");
        Files.createDirectories(options.failedDir());
        if (options.doneDir() != null) Files.createDirectories(options.doneDir());
    }

    public long publishedTotal() {
        return publishedTotal;
    }

    public long failedTotal() {
        return failedTotal;
    }

    /**
     * Publishes every complete file in the watched folder, then moves (or deletes) them; bad files go to the failed
     * folder.
     *
     * @throws GatewayException when the broker did not acknowledge the batch after {@code maxAttempts} attempts; the
     *         files stay where they are
     */
    public PollResult pollOnce() throws GatewayException, IOException {
        List<Path> ready = new ArrayList<>();
        int waiting = scan(ready);
        List<Path> sendable = new ArrayList<>();
        List<HiddenState> records = new ArrayList<>();
        int failed = 0;
        for (Path file : ready) {
            HiddenState record;
            try {
                record = toRecord(file);
            } catch (ActivationFileException | IllegalArgumentException | IndexOutOfBoundsException e) {
                moveToFailed(file, e.getMessage());
                failed++;
                continue;
            } catch (IOException e) {
                if (!Files.exists(file)) continue; // taken away by someone else meanwhile
                moveToFailed(file, "cannot read: " + e);
                failed++;
                continue;
            }
            sendable.add(file);
            records.add(record);
        }
        if (!records.isEmpty()) {
            publishWithRetries(records);
            for (Path file : sendable) finish(file);
        }
        publishedTotal += records.size();
        failedTotal += failed;
        return new PollResult(records.size(), failed, waiting);
    }

    /** Polls until {@code keepRunning} turns false, sleeping {@code interval} between polls. */
    public void run(BooleanSupplier keepRunning, Duration interval) throws GatewayException, IOException {
        LOG.info("vllm-bridge started: watching {} every {} ms, publishing model '{}' to topic '{}'", options.watchDir(),
                interval.toMillis(), options.modelId(), options.topic());
        while (keepRunning.getAsBoolean()) {
            PollResult r = pollOnce();
            if (r.published() > 0 || r.failed() > 0)
                LOG.info("published {} file(s), {} moved to {}", r.published(), r.failed(), options.failedDir());
            try {
                Thread.sleep(interval.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** Collects complete files into {@code ready}; returns how many candidates are still being written or settling. */
    private int scan(List<Path> ready) throws IOException {
        List<Path> candidates = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(options.watchDir())) {
            for (Path p : ds) {
                String name = p.getFileName().toString();
                if (name.endsWith(SUFFIX) && !name.endsWith(".tmp" + SUFFIX) && !name.startsWith(".")
                        && Files.isRegularFile(p))
                    candidates.add(p);
            }
        }
        candidates.sort(Comparator.comparing(p -> p.getFileName().toString()));
        seen.keySet().retainAll(candidates);
        long now = System.nanoTime();
        long wallNowMs = System.currentTimeMillis();
        int waiting = 0;
        for (Path p : candidates) {
            BasicFileAttributes a;
            try {
                a = Files.readAttributes(p, BasicFileAttributes.class);
            } catch (IOException e) {
                continue; // vanished between listing and reading
            }
            if (writeStarted(p, a.lastModifiedTime().toMillis())) {
                seen.remove(p);
                waiting++;
                continue;
            }
            long modifiedMs = a.lastModifiedTime().toMillis();
            Seen prev = seen.get(p);
            if (prev == null) {
                // First sight: the file has been unchanged since its modification time, so a file written before the
                // bridge started (or before a --once run) counts as settled for as long as its age.
                long ageMs = Math.min(Math.max(0, wallNowMs - modifiedMs), Long.MAX_VALUE / 1_000_000L);
                prev = new Seen(a.size(), modifiedMs, now - ageMs * 1_000_000L);
                seen.put(p, prev);
            } else if (prev.size() != a.size() || prev.modifiedMs() != modifiedMs) {
                prev = new Seen(a.size(), modifiedMs, now);
                seen.put(p, prev);
            }
            if (now - prev.sinceNanos() >= options.settle().toNanos()) {
                ready.add(p);
            } else {
                waiting++;
            }
        }
        return waiting;
    }

    /** The companion lock files vLLM may write beside {@code file}. */
    static List<Path> lockFiles(Path file) {
        String name = file.getFileName().toString();
        String stem = name.substring(0, name.length() - SUFFIX.length());
        return List.of(file.resolveSibling(name + ".lock"), file.resolveSibling(stem + ".lock"));
    }

    /** True when a lock file is newer than the data file: vLLM took the lock for a write that has not finished. */
    static boolean writeStarted(Path file, long dataModifiedMs) {
        for (Path lock : lockFiles(file)) {
            try {
                if (Files.getLastModifiedTime(lock).toMillis() > dataModifiedMs) return true;
            } catch (IOException e) {
                // no such lock file
            }
        }
        return false;
    }

    /** The record for one vLLM file: the request id is the file name without {@code .safetensors}. */
    HiddenState toRecord(Path file) throws IOException {
        String name = file.getFileName().toString();
        String requestId = name.substring(0, name.length() - SUFFIX.length());
        if (requestId.isEmpty()) throw new IllegalArgumentException("file name gives an empty request id");
        ActivationSet set = ActivationSet.loadVllm(List.of(file), options.load());
        int promptTokens = SafetensorsReader.open(file).tensor("token_ids").shape()[0];
        int[] layers = set.layers();
        float[][] perLayer = new float[layers.length][];
        for (int k = 0; k < layers.length; k++) perLayer[k] = set.layer(layers[k]);
        PooledHiddenStates states = new PooledHiddenStates(1, set.d(), layers, perLayer, new int[]{promptTokens});
        TokenPooling pooling = options.load().pooling() == Pooling.MEAN ? TokenPooling.MEAN : TokenPooling.LAST_TOKEN;
        HiddenStateRecords.Context ctx = new HiddenStateRecords.Context(options.modelId(), options.modelRevision(),
                options.tenant(), options.route(), pooling);
        // Event time: when vLLM finished writing the file, the closest we have to when the request was served.
        long eventTime = Files.getLastModifiedTime(file).toMillis();
        return HiddenStateRecords.build(ctx, requestId, eventTime, states, 0, null, null);
    }

    private void publishWithRetries(List<HiddenState> records) throws GatewayException {
        GatewayException last = null;
        for (int attempt = 1; attempt <= options.maxAttempts(); attempt++) {
            try (HiddenStatePublisher publisher = publishers.open()) {
                for (HiddenState r : records) publisher.send(options.topic(), r);
                publisher.flush();
                return;
            } catch (GatewayException | org.apache.kafka.common.KafkaException e) {
                if (CommandLines.securityFailure(e) != null) {
                    // A refused login, an untrusted certificate or a missing ACL: no retry can fix it.
                    throw new GatewayException("Kafka refused " + records.size() + " record(s): "
                            + CommandLines.kafkaFailure(e) + "; the files stay in " + options.watchDir(), e);
                }
                last = e instanceof GatewayException g ? g : new GatewayException(e.getMessage(), e);
                LOG.warn("publish attempt {}/{} of {} record(s) failed: {}", attempt, options.maxAttempts(),
                        records.size(), last.getMessage());
            }
            if (attempt < options.maxAttempts()) {
                try {
                    Thread.sleep(options.retryBackoff().toMillis());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
        }
        throw new GatewayException("the broker did not acknowledge " + records.size() + " record(s) after "
                + options.maxAttempts() + " attempt(s); the files stay in " + options.watchDir()
                + " and are sent on the next run. Last error: " + (last == null ? "interrupted" : last.getMessage()), last);
    }

    private void finish(Path file) throws IOException {
        seen.remove(file);
        deleteLocks(file);
        if (options.doneDir() == null) {
            Files.deleteIfExists(file);
        } else {
            move(file, options.doneDir().resolve(file.getFileName()));
        }
    }

    private static void deleteLocks(Path file) throws IOException {
        for (Path lock : lockFiles(file)) Files.deleteIfExists(lock);
    }

    private void moveToFailed(Path file, String reason) throws IOException {
        seen.remove(file);
        deleteLocks(file);
        Path target = options.failedDir().resolve(file.getFileName());
        Files.writeString(options.failedDir().resolve(file.getFileName() + REASON_SUFFIX), reason + System.lineSeparator());
        move(file, target);
        LOG.warn("{} moved to {}: {}", file.getFileName(), options.failedDir(), reason);
    }

    private static void move(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(from, to, StandardCopyOption.REPLACE_EXISTING); // another file system: copy, then delete
        }
    }
}
