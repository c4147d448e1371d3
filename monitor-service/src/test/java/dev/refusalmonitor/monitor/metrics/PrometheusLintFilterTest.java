package dev.refusalmonitor.monitor.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PrometheusLintFilterTest {

    @Test
    void shouldRenameWhatPromtoolFlagsAndLeaveCompliantNamesAlone() {
        PrometheusMeterRegistry r = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        r.config().meterFilter(new PrometheusLintFilter());
        Counter.builder("kafka.consumer.io.time.ns.total").register(r).increment(5);
        Gauge.builder("kafka.consumer.connection.count", () -> 3).register(r);
        Counter.builder("refusal.monitor.records").description("Hidden-state records handled").register(r).increment();
        Gauge.builder("kafka.consumer.fetch.manager.records.lag.max", () -> 1).description("lag").register(r);
        String text = r.scrape();
        assertTrue(text.contains("kafka_consumer_io_time_total 5.0"), text);
        assertTrue(text.contains("# HELP kafka_consumer_io_time_total kafka consumer io time total (from its client library) (nanoseconds)"), text);
        assertTrue(text.contains("kafka_consumer_connections 3.0"), text);
        assertFalse(text.contains("_ns_"), text);
        assertTrue(text.contains("refusal_monitor_records_total 1.0"), text);
        assertTrue(text.contains("kafka_consumer_fetch_manager_records_lag_max 1.0"), text);
        r.close();
    }
}
