package dev.refusalmonitor.bench.gateway;

import dev.refusalmonitor.bench.FittedSets;
import dev.refusalmonitor.bench.Machine;
import dev.refusalmonitor.embedded.EmbeddedKafkaCluster;
import dev.refusalmonitor.gateway.HiddenStatePublisher;
import dev.refusalmonitor.gateway.Prompt;
import dev.refusalmonitor.gateway.PromptReader;
import dev.refusalmonitor.gateway.TokenPooling;
import dev.refusalmonitor.gateway.TransformerHiddenStates;
import dev.refusalmonitor.schemas.HiddenStateBuilder;
import dev.refusalmonitor.schemas.v1.HiddenState;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Gateway throughput: prompts/s of the DJL gateway's MiniLM hidden-state extraction (every layer, mean pooling) on the
 * prompts given, and records/s of the Java HiddenStatePublisher (its default producer settings) to the in-JVM broker.
 * Usage: GatewayBenchmark OUT.md COMMAND PROMPT_FILES(comma-separated) PROMPT_PASSES RECORDS DIM MAX_PROMPTS_PER_FILE
 */
public final class GatewayBenchmark {
    private GatewayBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 7)
            throw new IllegalArgumentException("usage: GatewayBenchmark OUT.md COMMAND PROMPT_FILES PASSES RECORDS DIM MAX_PROMPTS_PER_FILE");
        int perFile = Integer.parseInt(args[6]);
        List<String> prompts = new ArrayList<>();
        for (String f : args[2].split(",")) {
            List<Prompt> read = PromptReader.read(Path.of(f));
            for (Prompt p : read.subList(0, Math.min(perFile, read.size()))) prompts.add(p.instruction());
        }
        int passes = Integer.parseInt(args[3]);
        int records = Integer.parseInt(args[4]);
        int dim = Integer.parseInt(args[5]);
        String machine = Machine.describe();

        double promptsPerSecond;
        int layers, hidden;
        try (TransformerHiddenStates model = TransformerHiddenStates.openMiniLm()) {
            layers = model.layers().length;
            hidden = model.hiddenSize();
            model.embed(prompts.subList(0, Math.min(32, prompts.size())), TokenPooling.MEAN); // warm-up
            long t0 = System.nanoTime();
            for (int i = 0; i < passes; i++) model.embed(prompts, TokenPooling.MEAN);
            promptsPerSecond = (double) passes * prompts.size() / ((System.nanoTime() - t0) / 1e9);
        }

        double recordsPerSecond;
        double pythonPerSecond;
        int pythonRecords;
        float[] rows = FittedSets.rows(dim, 64, 5);
        try (EmbeddedKafkaCluster kafka = EmbeddedKafkaCluster.startDefault();
             HiddenStatePublisher publisher = new HiddenStatePublisher(HiddenStatePublisher.producerConfig(kafka.bootstrapServers(), null))) {
            try (Admin admin = Admin.create(Map.<String, Object>of("bootstrap.servers", kafka.bootstrapServers()))) {
                // The embedded broker does not auto-create topics.
                admin.createTopics(List.of(new NewTopic("bench.hidden-states", 2, (short) 1))).all().get(60, TimeUnit.SECONDS);
            }
            HiddenState[] pool = new HiddenState[64];
            for (int i = 0; i < pool.length; i++)
                pool[i] = HiddenStateBuilder.create("warm-" + i, FittedSets.MODEL_ID)
                        .layer(0, Arrays.copyOfRange(rows, i * dim, (i + 1) * dim)).build();
            for (HiddenState s : pool) publisher.send("bench.hidden-states", s); // creates the topic, warms the client
            publisher.flush();
            long t0 = System.nanoTime();
            for (int i = 0; i < records; i++)
                publisher.send("bench.hidden-states", pool[i % pool.length].toBuilder().setRequestId("req-" + i).build());
            publisher.flush();
            recordsPerSecond = records / ((System.nanoTime() - t0) / 1e9);
            pythonRecords = Math.min(records, 10_000);
            pythonPerSecond = pythonProducer(kafka.bootstrapServers(), rows, dim, pythonRecords);
        }

        String md = "## Gateway throughput\n\n"
                + "Command: `" + args[1] + "`\n\nMachine: " + machine + "\n\n"
                + "| what | figure |\n| --- | ---: |\n"
                + String.format("| DJL gateway, all-MiniLM-L6-v2 (ONNX Runtime, %d layers, d = %d, mean pooling, default batch), %d prompts × %d passes | %.1f prompts/s |%n",
                layers, hidden, prompts.size(), passes, promptsPerSecond)
                + String.format("| Java HiddenStatePublisher (default producer settings: acks=all, idempotent, lz4) → in-JVM broker, 2 partitions, d = %d f32, %d records | %.0f records/s |%n",
                dim, records, recordsPerSecond)
                + String.format("| Python producer (clients/python, kafka-python 2.0.2, f32) → the same broker, d = %d, %d records (process start and .npy load included) | %.0f records/s |%n%n",
                dim, pythonRecords, pythonPerSecond)
                + "Prompts: the first " + perFile + " of each of " + args[2] + " (the MiniLM run happens before the broker starts; the publisher builds each record from a pool of 64 random vectors, so the figure is serialisation + Kafka, not the model).\n";
        Files.writeString(Path.of(args[0]), md);
    }

    /**
     * Runs {@code python3 -m refusal_monitor_producer} on an .npy of {@code n} rows cycled from the pool and returns
     * records per second of the whole process (start-up and .npy load included, so the figure is pessimistic).
     */
    private static double pythonProducer(String bootstrap, float[] pool, int dim, int n) throws Exception {
        Path dir = Files.createTempDirectory("bench-python-producer");
        Path npy = dir.resolve("rows.npy");
        float[] data = new float[n * dim];
        int poolRows = pool.length / dim;
        for (int i = 0; i < n; i++) System.arraycopy(pool, (i % poolRows) * dim, data, i * dim, dim);
        dev.refusalmonitor.activations.NpyWriter.write(npy, new dev.refusalmonitor.activations.NpyArray(
                new int[]{n, dim}, data, dev.refusalmonitor.activations.NpyDType.F32));
        Path root = Path.of(System.getProperty("refusalmonitor.root", "."));
        ProcessBuilder pb = new ProcessBuilder("/usr/bin/python3", "-m", "refusal_monitor_producer",
                "--bootstrap-servers", bootstrap, "--input", npy.toString(), "--model-id", FittedSets.MODEL_ID,
                "--topic", "bench.hidden-states", "--request-id-prefix", "py-");
        pb.environment().put("PYTHONPATH", root.resolve("clients/python").toString());
        pb.redirectErrorStream(true);
        pb.redirectOutput(dir.resolve("python.log").toFile());
        long t0 = System.nanoTime();
        Process proc = pb.start();
        if (!proc.waitFor(10, TimeUnit.MINUTES)) {
            proc.destroyForcibly();
            throw new IllegalStateException("the Python producer did not finish within 10 minutes");
        }
        double secs = (System.nanoTime() - t0) / 1e9;
        if (proc.exitValue() != 0)
            throw new IllegalStateException("the Python producer failed: " + Files.readString(dir.resolve("python.log")));
        return n / secs;
    }
}
