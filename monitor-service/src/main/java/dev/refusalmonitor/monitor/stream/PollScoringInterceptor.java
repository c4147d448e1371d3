package dev.refusalmonitor.monitor.stream;

import org.apache.kafka.clients.consumer.ConsumerInterceptor;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Map;

/**
 * The hook that gives {@link PollScoring} each poll of the stream thread's main consumer (set by MonitorApp through
 * {@code main.consumer.interceptor.classes}). Returns the records unchanged; a failure here costs speed only (the
 * processor scores what was not scored ahead), so it is logged and never reaches the consumer.
 */
public final class PollScoringInterceptor implements ConsumerInterceptor<byte[], byte[]> {
    private static final Logger LOG = LoggerFactory.getLogger(PollScoringInterceptor.class);
    private PollScoring scoring;
    private long lastWarnedMs;

    @Override
    public void configure(Map<String, ?> configs) {
        Object o = configs.get(PollScoring.CONFIG);
        if (!(o instanceof PollScoring p))
            throw new ConfigException(PollScoring.CONFIG, o, "must be the monitor's PollScoring (MonitorApp sets it)");
        scoring = p;
    }

    @Override
    public ConsumerRecords<byte[], byte[]> onConsume(ConsumerRecords<byte[], byte[]> records) {
        try {
            scoring.scorePoll(records);
        } catch (RuntimeException e) {
            long now = System.currentTimeMillis();
            if (now - lastWarnedMs > 60_000) {
                lastWarnedMs = now;
                LOG.warn("scoring a poll ahead failed; its records are scored one by one: {}", e.toString());
            }
        }
        return records;
    }

    @Override
    public void onCommit(Map<TopicPartition, OffsetAndMetadata> offsets) {
    }

    @Override
    public void close() {
    }
}
