package dev.refusalmonitor.bench.hostile;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedOutputStream;
import dev.refusalmonitor.bench.FittedSets;
import dev.refusalmonitor.bench.Machine;
import dev.refusalmonitor.contract.TopicId;
import dev.refusalmonitor.contract.directions.DirectionSetModel;
import dev.refusalmonitor.embedded.EmbeddedKafkaCluster;
import dev.refusalmonitor.monitor.app.MonitorApp;
import dev.refusalmonitor.monitor.config.MonitorConfig;
import dev.refusalmonitor.monitor.stream.RecordLimits;
import dev.refusalmonitor.monitor.stream.ScoreListener;
import dev.refusalmonitor.schemas.DeadLetters;
import dev.refusalmonitor.schemas.HiddenStateBuilder;
import dev.refusalmonitor.schemas.HiddenStateDecoder;
import dev.refusalmonitor.schemas.HostileRecords;
import dev.refusalmonitor.schemas.TensorCodec;
import dev.refusalmonitor.schemas.kafka.DirectionPublisher;
import dev.refusalmonitor.schemas.kafka.TopicProvisioner;
import dev.refusalmonitor.schemas.v1.DType;
import dev.refusalmonitor.schemas.v1.SafetyScore;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * Issue 15, deliverable 2: the worst records we can construct against the monitor's default limits, each sent
 * between paced good records on one partition (one stream thread, so every bad record is in the good ones' way),
 * and the worst delay of the good records behind it. Also the CPU time the monitor spends on each bad record
 * (decode and dead letter, in this JVM, without the broker).
 *
 * <p>Usage: HostileInputBenchmark OUT.md COMMAND ROUNDS [BOOTSTRAP BROKER_NOTE]: with BOOTSTRAP, against that broker (one
 * in its own process, {@code run-hostile.sh}'s default) instead of one in this JVM. {@code -Dbench.kinds=a,b} keeps
 * only the kinds whose names contain one of the given strings (and the control), for a quicker look at a few.
 */
public final class HostileInputBenchmark {
    private static final int D = 4096;
    private static final int GOOD_BEFORE = 25, GOOD_AFTER = 40;
    private static final long PACE_MICROS = 2_000;
    private static final boolean TRACE = Boolean.getBoolean("bench.trace");
    private static final String CONTROL = "control: a good record (1 layer, d=4096 f32) in the bad record's place";

    /** One hostile record and what the monitor should do with it. */
    record Kind(String name, byte[] value, String expected) {
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 3 && args.length != 5) {
            throw new IllegalArgumentException("usage: HostileInputBenchmark OUT.md COMMAND ROUNDS [BOOTSTRAP BROKER_NOTE]");
        }
        Path out = Path.of(args[0]);
        String command = args[1];
        int rounds = Integer.parseInt(args[2]);
        String external = args.length == 5 ? args[3] : null;
        String brokerNote = external == null ? "In-JVM KRaft broker (in the monitor's JVM)." : args[4];
        DirectionSetModel set = FittedSets.cachedOneLayer(D, 200, 1024);
        List<Kind> kinds = selected(kinds(), System.getProperty("bench.kinds"));
        Map<String, double[]> cpu = cpu(kinds);

        Map<String, List<Double>> stalls = new HashMap<>(), monitorStalls = new HashMap<>(), transportStalls = new HashMap<>();
        List<Double> baseline = new ArrayList<>();
        // A null resource is skipped: with an external broker there is nothing to start or close here.
        try (EmbeddedKafkaCluster kafka = external == null ? EmbeddedKafkaCluster.builder().build() : null) {
            if (kafka != null) kafka.start();
            String bootstrap = kafka != null ? kafka.bootstrapServers() : external;
            Path state = Files.createTempDirectory("hostile-bench");
            Map<String, String> o = new HashMap<>();
            o.put("bootstrap.servers", bootstrap);
            o.put(MonitorConfig.APPLICATION_ID, "hostile-bench");
            o.put(MonitorConfig.NUM_STREAM_THREADS, "1");
            o.put(MonitorConfig.topicKey(TopicId.HIDDEN_STATES, "partitions"), "1");
            o.put(MonitorConfig.HTTP_PORT, "0");
            o.put(MonitorConfig.DRIFT_ENABLED, "false");
            // The benchmark publishes its own set unsigned: signatures are not what it measures.
            o.put(MonitorConfig.DIRECTIONS_REQUIRE_SIGNATURE, "false");
            o.put("state.dir", state.toString());
            MonitorConfig config = MonitorConfig.of(dev.refusalmonitor.bench.ExtraSettings.addTo(o));
            String input = config.topic(TopicId.HIDDEN_STATES).name();
            String transport = "hostile-bench.transport";
            try (Admin admin = Admin.create(config.adminProperties())) {
                new TopicProvisioner(admin, Duration.ofSeconds(60)).provision(config.topics());
                admin.createTopics(List.of(new NewTopic(transport, 1, (short) 1))).all().get(30, TimeUnit.SECONDS);
                // Let records over the monitor's limit reach it (the gateway side allows 9 MiB on these topics), and
                // stamp each record with its append time, so that "in the monitor" starts at the broker's append.
                List<AlterConfigOp> ops = List.of(
                        new AlterConfigOp(new ConfigEntry(TopicConfig.MAX_MESSAGE_BYTES_CONFIG, String.valueOf(9 << 20)), AlterConfigOp.OpType.SET),
                        new AlterConfigOp(new ConfigEntry(TopicConfig.MESSAGE_TIMESTAMP_TYPE_CONFIG, "LogAppendTime"), AlterConfigOp.OpType.SET));
                admin.incrementalAlterConfigs(Map.of(new ConfigResource(ConfigResource.Type.TOPIC, input), ops,
                        new ConfigResource(ConfigResource.Type.TOPIC, transport), ops)).all().get(30, TimeUnit.SECONDS);
            }
            Properties pp = new Properties();
            pp.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
            try (DirectionPublisher pub = new DirectionPublisher(pp, config.topic(TopicId.DIRECTIONS).name(), Duration.ofSeconds(60))) {
                pub.publish(set);
            }
            float[][] goodRows = goodRows();
            // The transport's own floor first, before the monitor starts: a plain consumer of the same record sequence.
            try (KafkaProducer<String, byte[]> producer = producer(bootstrap);
                 KafkaProducer<String, byte[]> badProducer = producer(bootstrap);
                 PlainReader reader = new PlainReader(bootstrap, transport)) {
                rounds(producer, badProducer, transport, goodRows, kinds, rounds, reader::await, null, transportStalls, null);
            }
            try (MonitorApp app = MonitorApp.start(config, ScoreListener.NONE);
                 KafkaProducer<String, byte[]> producer = producer(bootstrap);
                 // Bad records go through their own producer (own connection, own sender thread), so that sending
                 // megabytes does not delay the good records on the producer side.
                 KafkaProducer<String, byte[]> badProducer = producer(bootstrap);
                 KafkaConsumer<String, byte[]> scores = consumer(bootstrap, config.topic(TopicId.SAFETY_SCORES).name())) {
                long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
                while (app.streams().state() != KafkaStreams.State.RUNNING || app.registry().size() == 0) {
                    if (System.nanoTime() > deadline) throw new IllegalStateException("monitor not ready");
                    Thread.sleep(50);
                }
                rounds(producer, badProducer, input, goodRows, kinds, rounds, (upTo, latency) -> collect(scores, upTo, latency),
                        stalls, monitorStalls, baseline);
            }
        }
        write(out, command, brokerNote, rounds, kinds, cpu, stalls, monitorStalls, transportStalls, baseline);
    }

    /**
     * Waits until good record {@code upTo − 1} has been read; fills seq → {read − event time, read − append time} (ms;
     * the first is −1 from the plain reader, which times from the append only).
     */
    private interface Latencies {
        void await(int upTo, Map<Integer, long[]> latency) throws Exception;
    }

    /**
     * Warm-up (JIT of both JVMs when the broker has its own, fetch sessions, the first transactions: 2,000 good records,
     * then one unrecorded round of every kind, so that the bad records' paths are compiled too), then {@code rounds}
     * rounds: per kind, good records, the bad one (through its own producer: own connection, own sender thread, so that
     * sending megabytes does not delay the good records on the producer side), more good records. Adds each round's
     * stall to {@code stalls} (from event time) and {@code appendStalls} (from the broker's append), when not null.
     */
    private static void rounds(KafkaProducer<String, byte[]> producer, KafkaProducer<String, byte[]> badProducer, String topic,
                               float[][] goodRows, List<Kind> kinds, int rounds, Latencies read, Map<String, List<Double>> stalls,
                               Map<String, List<Double>> appendStalls, List<Double> baseline) throws Exception {
        int seq = sendGood(producer, topic, goodRows, 0, 2_000);
        read.await(seq, new HashMap<>());
        for (int round = -1; round < rounds; round++) {
            for (Kind k : kinds) {
                int start = seq;
                seq = sendGood(producer, topic, goodRows, seq, GOOD_BEFORE);
                int badAt = seq;
                badProducer.send(new ProducerRecord<>(topic, "bad-" + k.name().hashCode(), k.value()));
                seq = sendGood(producer, topic, goodRows, seq, GOOD_AFTER);
                producer.flush();
                Map<Integer, long[]> latency = new HashMap<>();
                read.await(seq, latency);
                if (round < 0) continue;
                if (TRACE) {
                    StringBuilder t = new StringBuilder();
                    for (int i = start; i < seq; i++) t.append(i == badAt ? " |" : " ").append(latency.get(i)[0]).append("/").append(latency.get(i)[1]);
                    System.err.printf("%s %s:%s%n", topic, k.name(), t);
                }
                if (baseline != null) {
                    for (int i = start; i < badAt; i++) baseline.add((double) latency.get(i)[0]);
                }
                if (stalls != null) stalls.computeIfAbsent(k.name(), x -> new ArrayList<>()).add(stall(latency, start, badAt, seq, 0));
                if (appendStalls != null) appendStalls.computeIfAbsent(k.name(), x -> new ArrayList<>()).add(stall(latency, start, badAt, seq, 1));
            }
        }
    }

    /**
     * The transport's floor: a plain consumer (the monitor's fetch size, read_uncommitted, no processing) polling on its
     * own thread, timing when each good record comes out of {@code poll}.
     */
    private static final class PlainReader implements AutoCloseable {
        private static final long NOT_TIMED = -1;
        private final java.util.concurrent.ConcurrentHashMap<Integer, long[]> seen = new java.util.concurrent.ConcurrentHashMap<>();
        private final KafkaConsumer<String, byte[]> consumer;
        private final Thread thread;
        private volatile boolean running = true;

        PlainReader(String bootstrap, String topic) {
            Properties p = new Properties();
            p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
            p.put(ConsumerConfig.GROUP_ID_CONFIG, "hostile-bench-transport");
            p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
            p.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, String.valueOf(MonitorConfig.DEFAULT_MAX_PARTITION_FETCH_BYTES));
            consumer = new KafkaConsumer<>(p, new StringDeserializer(), new ByteArrayDeserializer());
            consumer.subscribe(List.of(topic));
            thread = new Thread(this::poll, "transport-reader");
            thread.start();
        }

        private void poll() {
            while (running) {
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(100))) {
                    if (!r.key().startsWith("g-")) continue;
                    // Only the delay from the append is this reader's statistic: no decode, so no processing to time.
                    seen.put(Integer.parseInt(r.key().substring(2)), new long[] {NOT_TIMED, System.currentTimeMillis() - r.timestamp()});
                }
            }
        }

        void await(int upTo, Map<Integer, long[]> latency) throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
            while (!seen.containsKey(upTo - 1)) {
                if (System.nanoTime() > deadline || !thread.isAlive()) throw new IllegalStateException("good record " + (upTo - 1) + " not read");
                Thread.sleep(5);
            }
            latency.putAll(seen);
            seen.clear();
        }

        @Override
        public void close() throws InterruptedException {
            running = false;
            thread.join();
            consumer.close();
        }
    }

    private static List<Kind> selected(List<Kind> kinds, String filter) {
        if (filter == null || filter.isBlank()) return kinds;
        List<Kind> out = new ArrayList<>();
        for (Kind k : kinds) {
            if (k.name().equals(CONTROL) || Arrays.stream(filter.split(",")).anyMatch(f -> k.name().contains(f.trim()))) out.add(k);
        }
        return out;
    }

    /** The largest latency {@code part} of the good records from {@code badAt}, minus the median of those before. */
    private static double stall(Map<Integer, long[]> latency, int start, int badAt, int end, int part) {
        List<Double> before = new ArrayList<>();
        for (int i = start; i < badAt; i++) before.add((double) latency.get(i)[part]);
        double base = median(before), worst = 0;
        for (int i = badAt; i < end; i++) worst = Math.max(worst, latency.get(i)[part] - base);
        return worst;
    }

    private static float[][] goodRows() {
        float[] rows = FittedSets.rows(D, 64, 77);
        float[][] out = new float[64][D];
        for (int i = 0; i < 64; i++) System.arraycopy(rows, i * D, out[i], 0, D);
        return out;
    }

    /** Sends {@code n} good records paced {@link #PACE_MICROS} apart, event time = send time; returns the next seq. */
    private static int sendGood(KafkaProducer<String, byte[]> producer, String topic, float[][] rows, int seq, int n) {
        long next = System.nanoTime();
        for (int i = 0; i < n; i++) {
            while (System.nanoTime() < next) Thread.onSpinWait();
            next += PACE_MICROS * 1000;
            String id = "g-" + seq;
            byte[] v = HiddenStateBuilder.create(id, FittedSets.MODEL_ID).eventTimeUnixMs(System.currentTimeMillis())
                    .layer(0, rows[seq % rows.length]).toByteArray();
            producer.send(new ProducerRecord<>(topic, id, v));
            seq++;
        }
        return seq;
    }

    /**
     * Reads scores until good record {@code upTo − 1} has one; by seq, ms: {scored_at − event time, scored_at − broker
     * append time} (the score record carries the input's timestamp, the append time).
     */
    private static void collect(KafkaConsumer<String, byte[]> consumer, int upTo, Map<Integer, long[]> latency) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
        while (!latency.containsKey(upTo - 1)) {
            if (System.nanoTime() > deadline) throw new IllegalStateException("no score for good record " + (upTo - 1));
            for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                SafetyScore s = SafetyScore.parseFrom(r.value());
                if (!s.getRequestId().startsWith("g-")) continue; // a bad record that was valid and scored
                int seq = Integer.parseInt(s.getRequestId().substring(2));
                latency.put(seq, new long[]{s.getScoredAtUnixMs() - s.getEventTimeUnixMs(), s.getScoredAtUnixMs() - r.timestamp()});
            }
        }
    }

    /** The worst records we could construct against the default limits. */
    static List<Kind> kinds() throws IOException {
        List<Kind> k = new ArrayList<>();
        RecordLimits limits = RecordLimits.DEFAULTS;
        int maxBytes = limits.decode().maxRecordBytes();
        // The control: a good record in the bad record's place. Its "stall" is what the statistic (max of 40 latencies
        // minus a median of 25) reads on this machine when nothing bad happens.
        k.add(new Kind(CONTROL, HiddenStateBuilder.create("c", FittedSets.MODEL_ID).layer(0, FittedSets.rows(D, 1, 5)).toByteArray(), "scored"));
        k.add(new Kind("poison pill of the issue: malformed, 1,048,450 B", HostileRecords.malformed(1_048_450), "malformed"));
        // Valid fields all the way, then one invalid byte: the parser does all the work before it fails.
        byte[] layers = manyLayers(255, D, DType.D_TYPE_F32, "x");
        byte[] lastByteBad = Arrays.copyOf(layers, layers.length + 1);
        k.add(new Kind("malformed in its last byte, 255 layers of d=4096 f32", lastByteBad, "malformed"));
        k.add(new Kind("over the record limit: 8 MiB", HostileRecords.malformed(8 << 20), "record_too_large"));
        k.add(new Kind("quadratic-decode record of the issue: 266,000 layers, 4.25 MB",
                HostileRecords.manyTinyLayers("q", FittedSets.MODEL_ID, 266_000), "record_too_large"));
        k.add(new Kind("256 layers of d=1 (layer limit), model in force", HostileRecords.manyTinyLayers("l", FittedSets.MODEL_ID, 256), "dimension_mismatch"));
        k.add(new Kind("largest valid record: 255 layers of d=4096 f32, scored", layers, "scored"));
        k.add(new Kind("255 layers of d=8192 bf16 (all widened to f32), wrong d", manyLayers(255, 8192, DType.D_TYPE_BF16, "y"), "dimension_mismatch"));
        float[] wide = new float[limits.decode().maxDim()];
        Arrays.fill(wide, 0.5f);
        k.add(new Kind("largest d: one layer of d=65,536 f32", HiddenStateBuilder.create("w", FittedSets.MODEL_ID).layer(0, wide).toByteArray(), "dimension_mismatch"));
        k.add(new Kind("valid record with a 4 MB unknown field, scored", withUnknownBlob(maxBytes - 64 * 1024), "scored"));
        float[] huge = new float[D];
        Arrays.fill(huge, 3e38f);
        k.add(new Kind("extreme finite values (3e38), d=4096", HiddenStateBuilder.create("e", FittedSets.MODEL_ID).layer(0, huge).toByteArray(), "out_of_range"));
        k.add(new Kind("ids of 512 B (the id limit) with NUL bytes, unknown model", HiddenStateBuilder.create("\u0000".repeat(512),
                "\u0000m".repeat(256)).layer(0, new float[] {1f}).toByteArray(), "no_directions"));
        for (Kind x : k) {
            if (x.value().length > 9 << 20) throw new IllegalStateException(x.name() + " is over the topic limit");
        }
        return k;
    }

    private static byte[] manyLayers(int n, int d, DType dtype, String id) throws IOException {
        ByteArrayOutputStream bos = new ByteArrayOutputStream();
        CodedOutputStream c = CodedOutputStream.newInstance(bos);
        c.writeUInt32(1, 1);
        c.writeString(2, id);
        c.writeString(3, FittedSets.MODEL_ID);
        float[] v = new float[d];
        SplittableRandom rnd = new SplittableRandom(3);
        for (int i = 0; i < d; i++) v[i] = (float) rnd.nextGaussian();
        ByteString data = TensorCodec.encode(v, dtype);
        for (int l = 0; l < n; l++) {
            c.writeMessage(9, dev.refusalmonitor.schemas.v1.LayerActivation.newBuilder().setLayer(l).setDtype(dtype)
                    .setDim(d).setData(data).build());
        }
        c.flush();
        return bos.toByteArray();
    }

    private static byte[] withUnknownBlob(int blobBytes) throws IOException {
        float[] v = new float[D];
        Arrays.fill(v, 0.1f);
        byte[] valid = HiddenStateBuilder.create("u", FittedSets.MODEL_ID).layer(0, v).toByteArray();
        ByteArrayOutputStream bos = new ByteArrayOutputStream();
        bos.write(valid);
        CodedOutputStream c = CodedOutputStream.newInstance(bos);
        c.writeByteArray(100, new byte[blobBytes]);
        c.flush();
        return bos.toByteArray();
    }

    /** Per kind: [median, max] ms of the monitor's decode plus dead letter for it, in this JVM (50 runs after 10). */
    private static Map<String, double[]> cpu(List<Kind> kinds) {
        HiddenStateDecoder decoder = new HiddenStateDecoder(RecordLimits.DEFAULTS.decode());
        Map<String, double[]> out = new HashMap<>();
        for (Kind k : kinds) {
            double[] t = new double[50];
            for (int i = -10; i < t.length; i++) {
                long t0 = System.nanoTime();
                HiddenStateDecoder.Result r = decoder.decode(k.value());
                if (r instanceof HiddenStateDecoder.Rejected rej) {
                    DeadLetters.deadLetter(rej.reason(), rej.detail(), "hidden-states", 0, 0,
                            "k".getBytes(StandardCharsets.UTF_8), k.value(), 0L, RecordLimits.DEFAULTS.dlqMaxOriginalBytes()).toByteArray();
                }
                if (i >= 0) t[i] = (System.nanoTime() - t0) / 1e6;
            }
            Arrays.sort(t);
            out.put(k.name(), new double[] {t[t.length / 2], t[t.length - 1]});
        }
        return out;
    }

    private static KafkaProducer<String, byte[]> producer(String bootstrap) {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ProducerConfig.ACKS_CONFIG, "1");
        p.put(ProducerConfig.LINGER_MS_CONFIG, "0");
        p.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, String.valueOf(9 << 20));
        p.put(ProducerConfig.BUFFER_MEMORY_CONFIG, String.valueOf(64 << 20));
        return new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer());
    }

    private static KafkaConsumer<String, byte[]> consumer(String bootstrap, String topic) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ConsumerConfig.GROUP_ID_CONFIG, "hostile-bench-reader");
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(p, new StringDeserializer(), new ByteArrayDeserializer());
        c.subscribe(List.of(topic));
        return c;
    }

    private static double median(List<Double> v) {
        List<Double> s = new ArrayList<>(v);
        s.sort(null);
        return s.isEmpty() ? Double.NaN : s.get(s.size() / 2);
    }

    private static double max(List<Double> v) {
        return v.stream().mapToDouble(Double::doubleValue).max().orElse(Double.NaN);
    }

    private static double percentile(List<Double> v, double q) {
        List<Double> s = new ArrayList<>(v);
        s.sort(null);
        return s.isEmpty() ? Double.NaN : s.get(Math.min(s.size() - 1, (int) Math.ceil(q * s.size()) - 1));
    }

    private static void write(Path out, String command, String brokerNote, int rounds, List<Kind> kinds, Map<String, double[]> cpu,
                              Map<String, List<Double>> stalls, Map<String, List<Double>> monitorStalls,
                              Map<String, List<Double>> transportStalls, List<Double> baseline) throws IOException {
        StringBuilder md = new StringBuilder("## Hostile input: worst records and the stall behind them\n\n");
        md.append("Command: `").append(command).append("`  \n");
        md.append("Machine: ").append(Machine.describe()).append("\n\n");
        md.append(brokerNote).append(String.format(" Monitor = MonitorApp with its default limits (records ≤ %d B, ≤ %d layers, "
                        + "d ≤ %d, ids ≤ %d B, |x| ≤ %.0e; dead letters keep ≤ %d B), exactly-once, **one** stream thread and one "
                        + "hidden-states partition, so every bad record is in the way of the good ones; the topic accepts 9 MiB so that "
                        + "records over the monitor's limit reach it. Direction set: d = %d, low-rank Mahalanobis (the benchmark set). "
                        + "Good records (1 layer, d = %d f32) every %d ms; per bad record, %d good before it and %d after, %d round(s) after a warm-up (2,000 good records, then one unrecorded round). "
                        + "Both topics stamp each record with its broker append time (LogAppendTime). **Stall** = the largest delay of "
                        + "the good records sent after the bad one, minus the median delay of the %d before it: **in the monitor** from the "
                        + "broker's append to scored (what a bad record can cost the monitor's own path: fetch, decode, dead letter, "
                        + "commit), **from send** from the gateway's send (event time) to scored, which adds the producer's send and the "
                        + "broker's append of the good records. **Plain consumer** = the in-the-monitor statistic for a plain `KafkaConsumer` "
                        + "(the monitor's fetch size, no processing) reading the same sequence on its own topic before the monitor starts: "
                        + "what moving the bad record through the broker and the client costs by itself. **CPU** = the monitor's decode + "
                        + "dead letter of that record alone, this JVM, median/max of 50.\n\n",
                RecordLimits.DEFAULTS.decode().maxRecordBytes(), RecordLimits.DEFAULTS.decode().maxLayers(),
                RecordLimits.DEFAULTS.decode().maxDim(), RecordLimits.DEFAULTS.decode().maxFieldBytes(),
                RecordLimits.DEFAULTS.decode().maxAbsValue(), RecordLimits.DEFAULTS.dlqMaxOriginalBytes(), D, D,
                PACE_MICROS / 1000, GOOD_BEFORE, GOOD_AFTER, rounds, GOOD_BEFORE));
        md.append("| bad record | bytes | outcome | CPU median / max (ms) | stall in the monitor: median / max over rounds (ms) | stall from send: median / max (ms) | plain consumer: median / max (ms) |\n");
        md.append("|---|---:|---|---:|---:|---:|---:|\n");
        double worstSend = 0, worstMedian = 0, worstMonitor = 0;
        for (Kind k : kinds) {
            double[] c = cpu.get(k.name());
            List<Double> m = monitorStalls.get(k.name()), all = stalls.get(k.name()), t = transportStalls.get(k.name());
            if (!k.name().equals(CONTROL)) {
                worstMonitor = Math.max(worstMonitor, max(m));
                worstMedian = Math.max(worstMedian, median(m));
                worstSend = Math.max(worstSend, max(all));
            }
            md.append(String.format("| %s | %,d | %s | %.2f / %.2f | %.0f / %.0f | %.0f / %.0f | %.0f / %.0f |\n", k.name(), k.value().length,
                    k.expected(), c[0], c[1], median(m), max(m), median(all), max(all), median(t), max(t)));
        }
        md.append(String.format("%nBaseline latency of good records (scored_at − event time, before each bad record): "
                        + "p50 %.0f ms, p99 %.0f ms, max %.0f ms. **Worst stall in the monitor behind a single bad record: %.0f ms over "
                        + "rounds (largest per-kind median %.0f ms)** (target ≤ 100 ms); from send: %.0f ms. The control row is the "
                        + "same statistic with no bad record: %.0f / %.0f ms in the monitor.%n",
                percentile(baseline, 0.5), percentile(baseline, 0.99), percentile(baseline, 1.0), worstMonitor, worstMedian, worstSend,
                median(monitorStalls.get(CONTROL)), max(monitorStalls.get(CONTROL))));
        md.append("\n").append(NOTE).append("\n");
        Files.writeString(out, md.toString());
        System.out.print(md);
    }

    static final String NOTE = "Reading it: the monitor's own work on any bad record is at most ~10 ms (CPU column); the rest of "
            + "the stall in the monitor grows with the record's size, malformed or not (the largest *valid* records stall as "
            + "much as malformed ones of their size): the broker's fetch, the consumer (CRC, copies), the dead letter's digest "
            + "and its produce, and the exactly-once commit that waits for them, on the same 2 cores as the broker and the "
            + "producers. The plain consumer shows the part that is Kafka's alone. What \"from send\" adds is before the broker "
            + "has appended the good records: the gateway's producer and the broker taking in the bad record's megabytes, here "
            + "on the same 2 cores the monitor uses. The control row is the floor of the statistic itself. With a "
            + "broker at its default `message.max.bytes` (1 MiB) records over 1 MiB never reach the monitor; the poison pill "
            + "of the issue is the largest bad record a default broker delivers.";
}
