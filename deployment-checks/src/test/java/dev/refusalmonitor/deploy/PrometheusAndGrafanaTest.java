package dev.refusalmonitor.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.refusalmonitor.monitor.config.MonitorConfig;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * deploy/prometheus/prometheus.yml reaches the services as the Compose stack names them, on the code's default ports;
 * the Grafana dashboards import with a datasource picker and their provisioning still selects the provisioned
 * datasource.
 */
class PrometheusAndGrafanaTest {
    /** Compose service names of the monitor instances and the trainer (the Compose stack uses these). */
    static final List<String> MONITOR_SERVICES = List.of("monitor-1", "monitor-2");
    static final String TRAINER_SERVICE = "trainer";
    static final String DATASOURCE_VARIABLE = "datasource";

    private static JsonNode scrapeJob(JsonNode config, String job) {
        for (JsonNode j : config.path("scrape_configs")) if (job.equals(j.path("job_name").asText())) return j;
        throw new AssertionError("prometheus.yml has no job " + job);
    }

    private static Set<String> targets(JsonNode job) {
        Set<String> out = new TreeSet<>();
        for (JsonNode sc : job.path("static_configs")) sc.path("targets").forEach(t -> out.add(t.asText()));
        return out;
    }

    @Test
    void shouldScrapeTheComposeServicesOnTheirDefaultPorts() throws IOException {
        Path root = Manifests.root();
        JsonNode config = Manifests.YAML.readTree(root.resolve("deploy/prometheus/prometheus.yml").toFile());
        // The alert rules select job="refusal-monitor"; the trainer's job is refusal-trainer.
        JsonNode monitor = scrapeJob(config, "refusal-monitor");
        Set<String> expected = new TreeSet<>();
        MONITOR_SERVICES.forEach(s -> expected.add(s + ":" + MonitorConfig.DEFAULT_HTTP_PORT));
        assertEquals(expected, targets(monitor), "refusal-monitor targets");
        assertEquals("/metrics", monitor.path("metrics_path").asText("/metrics"));
        JsonNode trainer = scrapeJob(config, "refusal-trainer");
        String trainerPort = Code.defaultOf(Code.trainerCli(), "run", "--http-port");
        assertEquals(Set.of(TRAINER_SERVICE + ":" + trainerPort), targets(trainer), "refusal-trainer targets");
        assertEquals("/metrics", trainer.path("metrics_path").asText("/metrics"));
        assertTrue(Files.readString(root.resolve("deploy/prometheus/refusal-monitor-rules.yml")).contains("job=\"refusal-monitor\""),
                "the rules no longer select job refusal-monitor: rename the scrape job with them");

        // The Compose stack (compose.yaml; the other files are overlays on it) must define these services.
        for (Path compose : composeFiles(root)) {
            if (!compose.getFileName().toString().equals("compose.yaml")) continue;
            JsonNode services = Manifests.YAML.readTree(compose.toFile()).path("services");
            if (services.isMissingNode()) continue;
            for (String s : concat(MONITOR_SERVICES, TRAINER_SERVICE)) {
                assertTrue(services.has(s), root.relativize(compose) + " has no service " + s + " (prometheus.yml scrapes it)");
            }
        }
    }

    private static List<String> concat(List<String> a, String b) {
        List<String> out = new ArrayList<>(a);
        out.add(b);
        return out;
    }

    private static List<Path> composeFiles(Path root) throws IOException {
        Path deploy = root.resolve("deploy");
        try (Stream<Path> s = Files.walk(deploy)) {
            return s.filter(Files::isRegularFile).filter(p -> {
                String n = p.getFileName().toString();
                return n.contains("compose") && (n.endsWith(".yml") || n.endsWith(".yaml"));
            }).sorted().toList();
        }
    }

    private static List<Path> dashboards() throws IOException {
        try (Stream<Path> s = Files.list(Manifests.root().resolve("grafana/dashboards"))) {
            List<Path> out = s.filter(p -> p.toString().endsWith(".json")).sorted().toList();
            assertFalse(out.isEmpty(), "no dashboards");
            return out;
        }
    }

    /** The uid of the datasource grafana/provisioning provisions. */
    private static String provisionedUid() throws IOException {
        JsonNode ds = Manifests.YAML.readTree(Manifests.root().resolve("grafana/provisioning/datasources/prometheus.yml").toFile());
        JsonNode first = ds.path("datasources").path(0);
        assertEquals("prometheus", first.path("type").asText());
        return first.path("uid").asText();
    }

    @Test
    void shouldImportDashboardsWithADatasourcePicker() throws IOException {
        String provisioned = provisionedUid();
        assertEquals("refusal-prometheus", provisioned, "the provisioned datasource keeps its uid");
        for (Path d : dashboards()) {
            JsonNode dash = Manifests.JSON.readTree(d.toFile());
            String name = d.getFileName().toString();
            // Import: Grafana asks for the datasource named by __inputs.
            JsonNode input = null;
            for (JsonNode i : dash.path("__inputs")) if ("DS_PROMETHEUS".equals(i.path("name").asText())) input = i;
            assertNotNull(input, name + ": no __inputs entry DS_PROMETHEUS");
            assertEquals("datasource", input.path("type").asText(), name + ": DS_PROMETHEUS type");
            assertEquals("prometheus", input.path("pluginId").asText(), name + ": DS_PROMETHEUS plugin");
            // The picker on the dashboard: a datasource variable, by default the provisioned datasource.
            JsonNode variable = null;
            for (JsonNode v : dash.path("templating").path("list")) if (DATASOURCE_VARIABLE.equals(v.path("name").asText())) variable = v;
            assertNotNull(variable, name + ": no template variable " + DATASOURCE_VARIABLE);
            assertEquals("datasource", variable.path("type").asText(), name + ": variable type");
            assertEquals("prometheus", variable.path("query").asText(), name + ": variable query");
            assertEquals(provisioned, variable.path("current").path("value").asText(), name + ": the variable's default");
            assertEquals(DATASOURCE_VARIABLE, dash.path("templating").path("list").path(0).path("name").asText(),
                    name + ": the datasource variable must come first (the others query through it)");
            // Every panel, target and query variable queries through the variable; no hard-coded uid is left.
            List<String> wrong = new ArrayList<>();
            int[] count = {0};
            walk(dash, "", (path, ds) -> {
                if (path.startsWith("/templating/list[0]")) return;
                count[0]++;
                if (!("${" + DATASOURCE_VARIABLE + "}").equals(ds.path("uid").asText()) || !"prometheus".equals(ds.path("type").asText())) {
                    wrong.add(path + " = " + ds);
                }
            });
            assertEquals(List.of(), wrong, name + ": datasources not taken from ${" + DATASOURCE_VARIABLE + "}");
            for (JsonNode p : dash.path("panels")) {
                assertTrue(p.has("datasource"), name + ": panel '" + p.path("title").asText() + "' has no datasource");
                for (JsonNode t : p.path("targets")) {
                    assertTrue(t.has("datasource"), name + ": a target of panel '" + p.path("title").asText() + "' has no datasource");
                }
            }
            assertTrue(count[0] > dash.path("panels").size(), name + ": expected panel and target datasources");
            assertFalse(Manifests.JSON.writeValueAsString(dash).replace(variable.toString(), "").contains(provisioned),
                    name + ": the uid " + provisioned + " is still hard-coded outside the variable's default");
        }
    }

    private interface DatasourceVisitor {
        void visit(String path, JsonNode datasource);
    }

    private static void walk(JsonNode n, String path, DatasourceVisitor v) {
        if (n.isObject()) {
            n.fields().forEachRemaining(e -> {
                String p = path + "/" + e.getKey();
                if (e.getKey().equals("datasource") && e.getValue().isObject()) v.visit(p, e.getValue());
                else if (e.getKey().equals("datasource")) v.visit(p, Manifests.JSON.createObjectNode().put("uid", e.getValue().asText()));
                else walk(e.getValue(), p, v);
            });
        } else if (n.isArray()) {
            for (int i = 0; i < n.size(); i++) walk(n.get(i), path + "[" + i + "]", v);
        }
    }
}
