package dev.refusalmonitor.monitor.drift;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.refusalmonitor.monitor.metrics.MetricNames;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every metric name in deploy/prometheus rules and grafana dashboards is one the monitor exports (MetricNames), a
 * recording rule's output, or Prometheus' own ({@code up}, {@code ALERTS}): renaming a metric breaks the build.
 */
class RulesAndDashboardsReferenceTest {

    private static Set<String> allowed() {
        Set<String> ok = new HashSet<>();
        for (String n : MetricNames.allPrometheusNames()) {
            ok.add(n);
            if (n.equals(MetricNames.PROM_SCORING) || n.startsWith(MetricNames.PROM_SCORE_PREFIX)) {
                for (String suffix : new String[]{"_bucket", "_count", "_sum", "_max"}) ok.add(n + suffix);
            }
        }
        ok.addAll(DeployFiles.recordedNames());
        ok.add("up");
        ok.add("ALERTS");
        return ok;
    }

    @Test
    void shouldFindMetricNamesInPromql() {
        assertEquals(Set.of("foo_total", "bar:baz:rate5m"), DeployFiles.metricNames(
                "sum by (model, le) (rate(foo_total{a=\"x y\", le=~\"b|c\"}[5m])) / on (model) group_left bar:baz:rate5m > 1e-4"));
        assertEquals(Set.of("refusal_monitor_records_total"),
                DeployFiles.metricNames("label_values(refusal_monitor_records_total, model)").stream()
                        .filter(n -> !n.equals("model")).collect(java.util.stream.Collectors.toSet()));
    }

    @Test
    void shouldUseOnlyExportedMetricsInRules() {
        Set<String> ok = allowed();
        Set<String> unknown = new TreeSet<>();
        DeployFiles.ruleExpressions().forEach((rule, expr) -> {
            Set<String> names = DeployFiles.metricNames(expr);
            assertFalse(names.isEmpty(), rule + " reads no metric");
            names.stream().filter(n -> !ok.contains(n)).forEach(n -> unknown.add(rule + ": " + n));
        });
        assertTrue(unknown.isEmpty(), "rules use metrics the monitor does not export: " + unknown);
    }

    @Test
    void shouldUseOnlyExportedMetricsInDashboards() {
        Set<String> ok = allowed();
        Set<String> unknown = new TreeSet<>();
        int panels = 0;
        for (Path d : DeployFiles.dashboards()) {
            for (Map.Entry<String, String> q : DeployFiles.panelQueries(d)) {
                panels++;
                Set<String> names = DeployFiles.metricNames(DeployFiles.substituteVariables(q.getValue()));
                assertFalse(names.isEmpty(), d.getFileName() + " / " + q.getKey() + " reads no metric");
                names.stream().filter(n -> !ok.contains(n))
                        .forEach(n -> unknown.add(d.getFileName() + " / " + q.getKey() + ": " + n));
            }
            for (String v : DeployFiles.variableQueries(d)) {
                // label_values(metric{...}, label): the metric is the first argument.
                String metric = v.replaceAll("^label_values\\(\\s*([a-zA-Z_:][a-zA-Z0-9_:]*).*$", "$1");
                if (!ok.contains(metric)) unknown.add(d.getFileName() + " variable: " + metric);
            }
        }
        assertTrue(panels >= 20, "expected the three dashboards' panels, found " + panels);
        assertTrue(unknown.isEmpty(), "dashboards use metrics the monitor does not export: " + unknown);
    }

    @Test
    void shouldDocumentAndUnitTestEveryAlert() throws Exception {
        ObjectMapper yaml = new ObjectMapper(new YAMLFactory());
        Set<String> alerts = new TreeSet<>();
        for (JsonNode g : yaml.readTree(DeployFiles.rulesFile().toFile()).get("groups")) {
            for (JsonNode r : g.get("rules")) {
                if (!r.has("alert")) continue;
                alerts.add(r.get("alert").asText());
                for (String a : new String[]{"summary", "runbook"}) {
                    assertTrue(r.path("annotations").hasNonNull(a), r.get("alert").asText() + " has no " + a);
                }
            }
        }
        Set<String> fires = new HashSet<>();
        Set<String> silent = new HashSet<>();
        for (Path t : DeployFiles.ruleTests()) {
            for (JsonNode test : yaml.readTree(t.toFile()).get("tests")) {
                for (JsonNode c : test.path("alert_rule_test")) {
                    (c.path("exp_alerts").isEmpty() ? silent : fires).add(c.get("alertname").asText());
                }
            }
        }
        for (String a : alerts) {
            assertTrue(fires.contains(a), "no promtool test shows " + a + " firing");
            assertTrue(silent.contains(a), "no promtool test shows " + a + " staying silent");
        }
    }
}
