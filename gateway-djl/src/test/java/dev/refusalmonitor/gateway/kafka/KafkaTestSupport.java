package dev.refusalmonitor.gateway.kafka;

import dev.refusalmonitor.schemas.HiddenStateDecoder;
import dev.refusalmonitor.schemas.DecodedHiddenState;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.fail;

/** Topic creation and reading records back from the embedded broker, with deadlines on every wait. */
final class KafkaTestSupport {
    private KafkaTestSupport() {
    }

    static void createTopics(String bootstrap, String... topics) throws Exception {
        Properties p = new Properties();
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        try (Admin admin = Admin.create(p)) {
            List<NewTopic> list = new ArrayList<>();
            for (String t : topics) list.add(new NewTopic(t, 1, (short) 1));
            admin.createTopics(list).all().get(30, TimeUnit.SECONDS);
        }
    }

    /**
     * Reads the whole topic from the beginning: waits (at most {@code deadline}) until {@code atLeast} records
     * arrived, then drains what else is there with one more short poll, so extra records (duplicates) show up.
     */
    static List<ConsumerRecord<String, byte[]>> readAll(String bootstrap, String topic, int atLeast, Duration deadline) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        List<ConsumerRecord<String, byte[]>> out = new ArrayList<>();
        try (KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(p, new StringDeserializer(), new ByteArrayDeserializer())) {
            TopicPartition tp = new TopicPartition(topic, 0);
            c.assign(List.of(tp));
            c.seekToBeginning(List.of(tp));
            long end = System.nanoTime() + deadline.toNanos();
            while (out.size() < atLeast && System.nanoTime() < end) {
                c.poll(Duration.ofMillis(200)).forEach(out::add);
            }
            c.poll(Duration.ofMillis(300)).forEach(out::add);
        }
        return out;
    }

    /** Decodes every record value with the monitor's decoder; fails on a rejected record. Key: request id. */
    static Map<String, DecodedHiddenState> decodeAll(List<ConsumerRecord<String, byte[]>> records) {
        HiddenStateDecoder decoder = new HiddenStateDecoder();
        Map<String, DecodedHiddenState> out = new LinkedHashMap<>();
        for (ConsumerRecord<String, byte[]> r : records) {
            HiddenStateDecoder.Result res = decoder.decode(r.value());
            if (res instanceof HiddenStateDecoder.Rejected rej) fail("record " + r.key() + " rejected: " + rej);
            DecodedHiddenState s = ((HiddenStateDecoder.Decoded) res).state();
            if (!r.key().equals(s.requestId())) fail("record key " + r.key() + " is not its request id " + s.requestId());
            if (out.put(r.key(), s) != null) fail("request " + r.key() + " was published more than once");
        }
        return out;
    }
}
