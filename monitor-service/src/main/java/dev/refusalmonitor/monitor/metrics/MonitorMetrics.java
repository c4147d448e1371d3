package dev.refusalmonitor.monitor.metrics;

import java.util.ArrayList;
import java.util.List;

import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.kafka.KafkaStreamsMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.apache.kafka.streams.KafkaStreams;

/**
 * The process's meter registry with the JVM binders, plus Kafka Streams' own metrics once a
 * {@link KafkaStreams} exists, all passed through {@link PrometheusLintFilter} so the exposition passes
 * {@code promtool check metrics}. Closing releases the GC listener and the Streams binding.
 */
public final class MonitorMetrics implements AutoCloseable {

    private final PrometheusMeterRegistry registry;
    private final List<AutoCloseable> closeables = new ArrayList<>();

    /** A Prometheus registry with the JVM and process binders bound. */
    public MonitorMetrics() {
        this.registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        // Before any binder: third-party names that promtool check metrics would flag are renamed.
        registry.config().meterFilter(new PrometheusLintFilter());
        new ClassLoaderMetrics().bindTo(registry);
        new JvmMemoryMetrics().bindTo(registry);
        JvmGcMetrics gc = new JvmGcMetrics();
        gc.bindTo(registry);
        closeables.add(gc);
        new JvmThreadMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
    }

    public PrometheusMeterRegistry registry() {
        return registry;
    }

    /** Binds a monitor binder (e.g. {@link ScoringMetrics}) and returns it. */
    public <B extends io.micrometer.core.instrument.binder.MeterBinder> B bind(B binder) {
        binder.bindTo(registry);
        return binder;
    }

    /**
     * Exposes the Streams instance's metrics as {@code kafka_*} (consumer lag, process rates, ...).
     * Call before {@code streams.start()}; closed with this object.
     */
    public KafkaStreamsMetrics bindKafkaStreams(KafkaStreams streams) {
        KafkaStreamsMetrics m = new KafkaStreamsMetrics(streams, Tags.empty());
        m.bindTo(registry);
        closeables.add(m);
        return m;
    }

    /** The Prometheus text exposition of every meter. */
    public String scrape() {
        return registry.scrape();
    }

    @Override
    public void close() {
        for (AutoCloseable c : closeables) {
            try {
                c.close();
            } catch (Exception e) {
                // Closing metrics must not mask the shutdown cause.
            }
        }
        closeables.clear();
        registry.close();
    }
}
