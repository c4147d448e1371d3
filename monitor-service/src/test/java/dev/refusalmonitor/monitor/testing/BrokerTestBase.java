package dev.refusalmonitor.monitor.testing;

import dev.refusalmonitor.embedded.EmbeddedKafkaCluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;

/** One real in-JVM KRaft broker per test class, a state directory for Kafka Streams, and the tests' deadline. */
public abstract class BrokerTestBase {
    protected static final Duration WAIT = Duration.ofSeconds(45);
    protected static EmbeddedKafkaCluster kafka;

    @TempDir
    protected static Path stateDir;

    @BeforeAll
    static void startBroker() {
        kafka = EmbeddedKafkaCluster.builder().build();
        kafka.start();
    }

    @AfterAll
    static void stopBroker() {
        if (kafka != null) kafka.close();
    }
}
