package dev.refusalmonitor.monitor.drift;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/** The repository's deploy/prometheus rules and grafana dashboards, and the metric names their PromQL uses. */
final class DeployFiles {
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    private static final ObjectMapper JSON = new ObjectMapper();

    /** PromQL functions, aggregations and keywords: every other identifier outside braces is a metric name. */
    private static final Set<String> PROMQL_WORDS = Set.of("sum", "min", "max", "avg", "count", "stddev", "stdvar",
            "topk", "bottomk", "quantile", "count_values", "group", "rate", "irate", "increase", "delta", "idelta",
            "deriv", "histogram_quantile", "abs", "absent", "absent_over_time", "clamp", "clamp_min", "clamp_max",
            "max_over_time", "min_over_time", "avg_over_time", "sum_over_time", "count_over_time", "last_over_time",
            "label_replace", "label_join", "vector", "scalar", "time", "and", "or", "unless", "bool", "offset",
            "by", "without", "on", "ignoring", "group_left", "group_right", "inf", "nan", "label_values", "e");

    private DeployFiles() {
    }

    /** The repository root: the nearest ancestor of the working directory holding deploy/prometheus. */
    static Path root() {
        Path p = Path.of("").toAbsolutePath();
        while (p != null) {
            if (Files.isDirectory(p.resolve("deploy/prometheus"))) return p;
            p = p.getParent();
        }
        throw new AssertionError("no deploy/prometheus above " + Path.of("").toAbsolutePath());
    }

    static Path rulesFile() {
        return root().resolve("deploy/prometheus/refusal-monitor-rules.yml");
    }

    static List<Path> ruleTests() {
        return list(root().resolve("deploy/prometheus/tests"), ".yml");
    }

    static List<Path> dashboards() {
        return list(root().resolve("grafana/dashboards"), ".json");
    }

    private static List<Path> list(Path dir, String suffix) {
        try (Stream<Path> s = Files.list(dir)) {
            List<Path> out = s.filter(f -> f.toString().endsWith(suffix)).sorted().toList();
            if (out.isEmpty()) throw new AssertionError("no " + suffix + " files in " + dir);
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Rule name (alert or record) → expression. */
    static Map<String, String> ruleExpressions() {
        Map<String, String> out = new LinkedHashMap<>();
        for (JsonNode g : read(YAML, rulesFile()).get("groups")) {
            for (JsonNode r : g.get("rules")) {
                String name = r.has("alert") ? r.get("alert").asText() : r.get("record").asText();
                out.put(name, r.get("expr").asText());
            }
        }
        return out;
    }

    /** Names of the recording rules (they may be used by alerts and panels). */
    static Set<String> recordedNames() {
        Set<String> out = new LinkedHashSet<>();
        for (JsonNode g : read(YAML, rulesFile()).get("groups")) {
            for (JsonNode r : g.get("rules")) if (r.has("record")) out.add(r.get("record").asText());
        }
        return out;
    }

    /** Panel target expressions of one dashboard, "title → expr" entries in order. */
    static List<Map.Entry<String, String>> panelQueries(Path dashboard) {
        List<Map.Entry<String, String>> out = new ArrayList<>();
        for (JsonNode p : read(JSON, dashboard).get("panels")) {
            for (JsonNode t : p.get("targets")) out.add(Map.entry(p.get("title").asText(), t.get("expr").asText()));
        }
        return out;
    }

    /** PromQL of the query variables of one dashboard (the datasource picker variable has no PromQL). */
    static List<String> variableQueries(Path dashboard) {
        List<String> out = new ArrayList<>();
        for (JsonNode v : read(JSON, dashboard).path("templating").path("list")) {
            if (v.path("type").asText().equals("query")) out.add(v.get("query").get("query").asText());
        }
        return out;
    }

    /**
     * Grafana's variables replaced as a user viewing every model would see them: {@code $model} etc. by {@code .+}
     * (the panels use =~), {@code $__rate_interval} by 1m.
     */
    static String substituteVariables(String expr) {
        return expr.replace("$__rate_interval", "1m").replace("$__interval", "15s")
                .replaceAll("\\$\\{?(model|tenant|route)}?", ".+");
    }

    /** The metric names an expression reads (label matchers, strings, durations and grouping labels removed). */
    static Set<String> metricNames(String expr) {
        String s = expr.replaceAll("\"(?:[^\"\\\\]|\\\\.)*\"", "\"\"")   // strings
                .replaceAll("\\{[^}]*}", " ")                            // label matchers
                .replaceAll("\\[[^]]*]", " ")                            // range selectors
                .replaceAll("\\b(by|without|on|ignoring|group_left|group_right)\\s*\\([^)]*\\)", " ")
                .replaceAll("\\b\\d+(\\.\\d+)?(e-?\\d+)?\\b", " ");     // numbers
        Set<String> out = new LinkedHashSet<>();
        Matcher m = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*").matcher(s);
        while (m.find()) {
            String w = m.group();
            if (!PROMQL_WORDS.contains(w.toLowerCase(java.util.Locale.ROOT))) out.add(w);
        }
        return out;
    }

    private static JsonNode read(ObjectMapper mapper, Path f) {
        try {
            return mapper.readTree(f.toFile());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + f, e);
        }
    }
}
