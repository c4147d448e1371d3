package dev.refusalmonitor.monitor.cli;

import dev.refusalmonitor.monitor.config.MonitorConfig;
import dev.refusalmonitor.contract.TopicId;
import dev.refusalmonitor.cli.CliException;
import dev.refusalmonitor.cli.ExitCodes;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;

/**
 * {@code monitor-service replay}: moves parked records (policy {@code retry-topic}: records for a model that had no
 * direction set) back to the hidden-states topic once directions exist. Reads the parked topic up to its end offsets
 * at start, re-produces each record unchanged (key, value, headers but the parking header), and commits the consumer
 * group's offsets only after the producer has flushed, so a crash replays at most a batch twice, never loses one.
 */
@Command(name = "replay", mixinStandardHelpOptions = true,
        description = "Move records parked in the retry topic back to the hidden-states topic (after directions are published).")
public final class ReplayCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--config", paramLabel = "FILE", description = "The monitor's properties file (topics and Kafka settings).")
    Path configFile;

    @Option(names = "--set", paramLabel = "KEY=VALUE", description = "Override one setting (repeatable).")
    Map<String, String> overrides = new LinkedHashMap<>();

    @Option(names = "--group", defaultValue = "refusal-monitor-replay", description = "Consumer group of the replay (default: ${DEFAULT-VALUE}).")
    String group;

    @Option(names = "--timeout", defaultValue = "60", description = "Give up after this many seconds (default: ${DEFAULT-VALUE}).")
    long timeoutSeconds;

    @Override
    public Integer call() {
        MonitorConfig config = MonitorConfig.fromSystem(configFile, overrides);
        String from = config.topic(TopicId.HIDDEN_STATES_RETRY).name();
        String to = config.topic(TopicId.HIDDEN_STATES).name();
        Properties cp = config.consumerProperties();
        cp.put(ConsumerConfig.GROUP_ID_CONFIG, group);
        cp.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        cp.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        cp.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        Properties pp = config.producerProperties();
        pp.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        pp.put(ProducerConfig.ACKS_CONFIG, "all");
        long deadline = System.nanoTime() + Duration.ofSeconds(timeoutSeconds).toNanos();
        long moved = 0;
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(cp, new ByteArrayDeserializer(), new ByteArrayDeserializer());
             KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(pp, new ByteArraySerializer(), new ByteArraySerializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(from, Duration.ofSeconds(timeoutSeconds)).stream()
                    .map(p -> new TopicPartition(from, p.partition())).collect(Collectors.toList());
            if (partitions.isEmpty()) throw CliException.usage("topic " + from + " does not exist");
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions, Duration.ofSeconds(timeoutSeconds));
            consumer.subscribe(Set.of(from));
            while (!reached(consumer, end)) {
                if (System.nanoTime() > deadline)
                    throw new CliException(ExitCodes.RUNTIME_FAILURE, "replay did not reach the end of " + from
                            + " within " + timeoutSeconds + " s (" + moved + " records moved and committed)");
                ConsumerRecords<byte[], byte[]> batch = consumer.poll(Duration.ofMillis(500));
                for (ConsumerRecord<byte[], byte[]> r : batch) {
                    if (r.offset() >= end.getOrDefault(new TopicPartition(r.topic(), r.partition()), Long.MAX_VALUE)) continue;
                    ProducerRecord<byte[], byte[]> out = new ProducerRecord<>(to, null, r.key(), r.value(), r.headers());
                    out.headers().remove(dev.refusalmonitor.monitor.stream.ScoringProcessor.PARKED_REASON_HEADER);
                    producer.send(out);
                    moved++;
                }
                producer.flush(); // acknowledged before the offsets move on
                consumer.commitSync();
            }
        }
        spec.commandLine().getOut().printf("moved %d record(s) from %s to %s%n", moved, from, to);
        spec.commandLine().getOut().flush();
        return ExitCodes.OK;
    }

    private static boolean reached(KafkaConsumer<?, ?> consumer, Map<TopicPartition, Long> end) {
        for (Map.Entry<TopicPartition, Long> e : end.entrySet()) {
            if (e.getValue() == 0) continue;
            if (!consumer.assignment().contains(e.getKey())) return false;
            if (consumer.position(e.getKey()) < e.getValue()) return false;
        }
        return true;
    }
}
