package dev.refusalmonitor.bench.e2e;

import dev.refusalmonitor.schemas.HiddenStateDecoder;
import dev.refusalmonitor.schemas.v1.SafetyScore;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;

import java.time.Duration;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The ceiling of any Kafka Streams scorer on this machine: the monitor's Streams settings and data flow (read a
 * hidden state, decode and validate it, write one score-sized record) with the scoring left out. Benchmark-only code;
 * the product has no switch that skips scoring.
 */
final class StreamsCeiling {
    private StreamsCeiling() {
    }

    /** Drains n records from {@code input} into {@code output}; the span from the first to the last record forwarded. */
    static Span drain(Properties streamsProps, String input, String output, int n) throws InterruptedException {
        AtomicLong count = new AtomicLong(), first = new AtomicLong(), last = new AtomicLong();
        Topology t = new Topology();
        t.addSource("hidden-states", Serdes.String().deserializer(), Serdes.ByteArray().deserializer(), input);
        t.addProcessor("decode", () -> new Processor<String, byte[], String, byte[]>() {
            private final HiddenStateDecoder decoder = new HiddenStateDecoder();
            private ProcessorContext<String, byte[]> context;

            @Override
            public void init(ProcessorContext<String, byte[]> context) {
                this.context = context;
            }

            @Override
            public void process(Record<String, byte[]> record) {
                if (!(decoder.decode(record.value()) instanceof HiddenStateDecoder.Decoded decoded))
                    throw new IllegalStateException("benchmark record did not decode");
                // A record of a score's size and shape, without the scores.
                byte[] out = SafetyScore.newBuilder().setRequestId(decoded.state().requestId())
                        .setModelId(decoded.state().modelId()).setDirectionsVersion(1).setProbeProbability(0.5)
                        .setMahalanobisRefusal(1).setMahalanobisOod(2).setCastSimilarity(0.1).setAngleDeg(10)
                        .build().toByteArray();
                context.forward(new Record<>(decoded.state().requestId(), out, record.timestamp()));
                long now = System.nanoTime();
                if (count.getAndIncrement() == 0) first.set(now);
                last.set(now);
            }
        }, "hidden-states");
        t.addSink("scores", output, Serdes.String().serializer(), Serdes.ByteArray().serializer(), "decode");
        try (KafkaStreams streams = new KafkaStreams(t, streamsProps)) {
            streams.start();
            long deadline = System.nanoTime() + Duration.ofMinutes(10).toNanos();
            while (count.get() < n) {
                if (System.nanoTime() > deadline || streams.state() == KafkaStreams.State.ERROR)
                    throw new IllegalStateException("streams ceiling: " + count.get() + " of " + n + ", state " + streams.state());
                Thread.sleep(20);
            }
        }
        return new Span(n, first.get(), last.get());
    }
}
