package dev.refusalmonitor.deploy;

import dev.refusalmonitor.monitor.stream.DirectionTrust;

import com.fasterxml.jackson.databind.JsonNode;
import dev.refusalmonitor.deploy.Manifests.Container;
import dev.refusalmonitor.monitor.config.MonitorConfig;
import dev.refusalmonitor.monitor.config.NoDirectionsPolicy;
import dev.refusalmonitor.contract.TopicId;
import dev.refusalmonitor.monitor.http.Check;
import dev.refusalmonitor.monitor.http.HttpEndpoints;
import dev.refusalmonitor.monitor.kafka.Topics;
import dev.refusalmonitor.monitor.metrics.DirectionSetMetrics;
import dev.refusalmonitor.monitor.metrics.ScoringMetrics;
import dev.refusalmonitor.monitor.stream.DirectionRegistry;
import dev.refusalmonitor.monitor.stream.ScoreListener;
import dev.refusalmonitor.monitor.stream.ScoringTopology;
import dev.refusalmonitor.trainer.service.TrainerHttp;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.apache.kafka.streams.TopologyDescription;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The rendered Kubernetes manifests (base and the example overlay) against the code: the monitor's settings, ports
 * and HTTP endpoints, the trainer's and the bridge's command lines, the Kafka client variables, the vLLM export the
 * bridge reads, and the images the image build makes. Kafka topics and ACLs: {@link KafkaTopicsAndAclsTest}.
 */
class KubernetesManifestsTest {
    static final String MONITOR_IMAGE = "refusal-monitor/monitor-service";
    static final String TRAINER_IMAGE = "refusal-monitor/probe-trainer";
    static final String GATEWAY_IMAGE = "refusal-monitor/gateway";
    static final String VLLM_IMAGE = "vllm/vllm-openai";
    /** The images the project's image build makes (tag: the project version, and latest). */
    static final List<String> PROJECT_IMAGES = List.of(MONITOR_IMAGE, TRAINER_IMAGE, GATEWAY_IMAGE);

    /** The monitor's configuration as the monitor container would build it from the rendered manifests. */
    static MonitorConfig monitorConfig(Manifests m) {
        Container c = m.container(MONITOR_IMAGE);
        Map<String, String> env = m.environment(c);
        String file = env.get(MonitorConfig.CONFIG_FILE_ENV);
        assertNotNull(file, c.location() + " does not set " + MonitorConfig.CONFIG_FILE_ENV);
        return Code.monitorConfig(mountedConfigMapFile(m, c, file), env);
    }

    /** The text of a file the container sees in a mounted ConfigMap. */
    static String mountedConfigMapFile(Manifests m, Container c, String path) {
        JsonNode mount = Manifests.volumeAt(c, path);
        assertNotNull(mount, c.location() + ": no volume is mounted at " + path);
        JsonNode cm = mount.path("volume").path("configMap");
        assertFalse(cm.isMissingNode(), c.location() + ": " + path + " is not in a ConfigMap volume");
        String mountPath = mount.path("mountPath").asText();
        String subPath = mount.path("subPath").asText();
        String file = !subPath.isEmpty() ? subPath : path.substring(mountPath.length()).replaceFirst("^/", "");
        String key = file;
        for (JsonNode item : cm.path("items")) if (file.equals(item.path("path").asText())) key = item.path("key").asText();
        JsonNode v = m.configMapData(cm.path("name").asText()).path(key);
        assertTrue(v.isTextual(), c.location() + ": ConfigMap " + cm.path("name").asText() + " has no key " + key + " for " + path);
        return v.asText();
    }

    @ParameterizedTest
    @ValueSource(strings = {"base", "overlays/example"})
    void shouldSetOnlyRealMonitorSettings(String k) {
        Manifests m = Manifests.render(k);
        Container c = m.container(MONITOR_IMAGE);
        Set<String> known = Code.monitorEnvironmentNames();
        Set<String> unknown = new TreeSet<>();
        m.environment(c).keySet().stream().filter(n -> n.startsWith(MonitorConfig.MONITOR_ENV_PREFIX) && !known.contains(n))
                .forEach(unknown::add);
        assertEquals(Set.of(), unknown, k + ": " + c.location() + " sets variables the monitor does not know (it refuses to"
                + " start): known are " + known);
        MonitorConfig config = monitorConfig(m);
        // The monitor takes every KAFKA_* variable as the Kafka setting it names (security, bootstrap servers).
        m.environment(c).forEach((name, value) -> {
            if (name.startsWith(MonitorConfig.KAFKA_ENV_PREFIX)) {
                assertEquals(value, config.kafkaSettings().get(Code.kafkaSetting(name)), k + ": the monitor's value of " + name);
            }
        });
        assertEquals(MonitorConfig.DEFAULT_HTTP_PORT, config.httpPort(), k + ": monitor HTTP port");
        assertEquals(config.httpPort(), Manifests.port(c, "http"), k + ": container port http vs the monitor's HTTP port");
        assertEquals(List.of("run"), m.args(c), k + ": the monitor runs `monitor-service run`");
        Code.parse(Code.monitorCli(), m.args(c), k + " " + c.location());
    }

    @ParameterizedTest
    @ValueSource(strings = {"base", "overlays/example"})
    void shouldBindTheMonitorWhereTheKubeletAndPrometheusReachIt(String k) throws IOException {
        MonitorConfig config = monitorConfig(Manifests.render(k));
        assertFalse(InetAddress.getByName(config.httpBindAddress()).isLoopbackAddress(),
                k + ": the monitor binds " + config.httpBindAddress() + " (set REFUSAL_MONITOR_HTTP_BIND_ADDRESS=0.0.0.0)");
    }

    @ParameterizedTest
    @ValueSource(strings = {"base", "overlays/example"})
    void shouldProbeAndScrapeWhatTheMonitorServes(String k) throws IOException {
        Manifests m = Manifests.render(k);
        Container c = m.container(MONITOR_IMAGE);
        int port = monitorConfig(m).httpPort();
        // The real endpoints, live but not ready: the liveness paths must answer 200, the readiness path 503.
        try (HttpEndpoints http = HttpEndpoints.start("127.0.0.1", 0, new PrometheusMeterRegistry(PrometheusConfig.DEFAULT),
                () -> Check.ok("live"), () -> Check.fail("not ready"))) {
            assertEquals(404, Code.get(http.port(), "/no-such-path"), "the monitor answers unknown paths with 404");
            checkProbe(k, c, "startupProbe", port, http.port(), 200);
            checkProbe(k, c, "livenessProbe", port, http.port(), 200);
            checkProbe(k, c, "readinessProbe", port, http.port(), 503);
            checkScrape(k, m, c, "refusal-monitor", port, http.port());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"base", "overlays/example"})
    void shouldRunTheTrainerWithItsRealFlagsPortAndEndpoints(String k) {
        Manifests m = Manifests.render(k);
        Container c = m.container(TRAINER_IMAGE);
        CommandLine.Model.CommandSpec run = Code.parse(Code.trainerCli(), m.args(c), k + " " + c.location());
        assertEquals("run", run.name(), k + ": the trainer runs `probe-trainer run`");
        int port = Code.<Integer>value(run, "--http-port");
        assertEquals(Integer.parseInt(Code.defaultOf(Code.trainerCli(), "run", "--http-port")), port,
                k + ": the trainer's --http-port vs its default");
        assertEquals(port, Manifests.port(c, "http"), k + ": container port http vs the trainer's --http-port");
        assertEquals(1, m.named("Deployment", "refusal-trainer").path("spec").path("replicas").asInt(),
                k + ": one trainer (README: run only one trainer per model)");
        // The real endpoints, first unhealthy then healthy: the probes must follow /healthz.
        boolean[] healthy = {false};
        BooleanSupplier health = () -> healthy[0];
        try (TrainerHttp http = new TrainerHttp("127.0.0.1", 0, () -> "# no metrics\n", health)) {
            assertEquals(404, Code.get(http.port(), "/no-such-path"), "the trainer answers unknown paths with 404");
            checkProbe(k, c, "livenessProbe", port, http.port(), 503);
            healthy[0] = true;
            checkProbe(k, c, "startupProbe", port, http.port(), 200);
            checkProbe(k, c, "livenessProbe", port, http.port(), 200);
            checkProbe(k, c, "readinessProbe", port, http.port(), 200);
            checkScrape(k, m, c, "refusal-trainer", port, http.port());
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** A probe's path answers {@code status} on the real server, and its port is the service's HTTP port. */
    private static void checkProbe(String k, Container c, String probe, int servicePort, int localPort, int status) {
        JsonNode get = c.node().path(probe).path("httpGet");
        assertFalse(get.isMissingNode(), k + ": " + c.location() + " has no " + probe + ".httpGet");
        assertEquals(servicePort, Manifests.resolvePort(c, get.path("port")), k + ": " + c.location() + " " + probe + " port");
        String path = get.path("path").asText();
        assertEquals(status, Code.get(localPort, path), k + ": " + c.location() + " " + probe + " GET " + path);
    }

    /**
     * The pod's prometheus.io annotations, the Service named {@code service} and its ServiceMonitor lead to the
     * container's HTTP port, and the scraped path serves metrics.
     */
    private static void checkScrape(String k, Manifests m, Container c, String service, int port, int localPort) {
        JsonNode annotations = c.template().path("metadata").path("annotations");
        assertEquals("true", annotations.path("prometheus.io/scrape").asText(), k + ": " + c.location() + " scrape annotation");
        assertEquals(Integer.toString(port), annotations.path("prometheus.io/port").asText(), k + ": " + c.location() + " prometheus.io/port");
        String annotated = annotations.path("prometheus.io/path").asText();
        assertEquals(200, Code.get(localPort, annotated), k + ": " + c.location() + " prometheus.io/path " + annotated);

        JsonNode svc = m.named("Service", service);
        JsonNode podLabels = c.template().path("metadata").path("labels");
        svc.path("spec").path("selector").fields().forEachRemaining(e -> assertEquals(e.getValue().asText(),
                podLabels.path(e.getKey()).asText(), k + ": Service " + service + " selects label " + e.getKey()));
        Map<String, JsonNode> servicePorts = new LinkedHashMap<>();
        for (JsonNode p : svc.path("spec").path("ports")) {
            servicePorts.put(p.path("name").asText(), p);
            assertEquals(port, Manifests.resolvePort(c, p.path("targetPort")), k + ": Service " + service + " targetPort");
        }
        JsonNode sm = m.named("ServiceMonitor", service);
        sm.path("spec").path("selector").path("matchLabels").fields().forEachRemaining(e -> assertEquals(e.getValue().asText(),
                svc.path("metadata").path("labels").path(e.getKey()).asText(), k + ": ServiceMonitor " + service + " selects " + e.getKey()));
        JsonNode endpoints = sm.path("spec").path("endpoints");
        assertFalse(endpoints.isEmpty(), k + ": ServiceMonitor " + service + " has no endpoints");
        for (JsonNode e : endpoints) {
            assertTrue(servicePorts.containsKey(e.path("port").asText()), k + ": ServiceMonitor " + service + " port "
                    + e.path("port").asText() + " is not a port of Service " + service);
            String path = e.path("path").asText("/metrics");
            assertEquals(200, Code.get(localPort, path), k + ": ServiceMonitor " + service + " path " + path);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"base", "overlays/example"})
    void shouldNameOnlyRealKafkaSettingsInKafkaVariables(String k) {
        Manifests m = Manifests.render(k);
        Set<String> wrong = new TreeSet<>();
        for (Container c : m.containers()) {
            for (String name : m.environment(c).keySet()) {
                if (name.startsWith(MonitorConfig.KAFKA_ENV_PREFIX) && !Code.isKafkaSetting(Code.kafkaSetting(name))) {
                    wrong.add(c.location() + ": " + name + " (" + Code.kafkaSetting(name) + ")");
                }
            }
        }
        assertEquals(Set.of(), wrong, k + ": KAFKA_* variables that name no Kafka client setting (they are ignored)");
        for (String image : PROJECT_IMAGES) {
            Container c = m.container(image);
            Map<String, String> env = m.environment(c);
            for (String required : List.of("KAFKA_BOOTSTRAP_SERVERS", "KAFKA_SECURITY_PROTOCOL", "KAFKA_SASL_MECHANISM",
                    "KAFKA_SASL_JAAS_CONFIG", "KAFKA_SSL_TRUSTSTORE_LOCATION")) {
                assertTrue(env.containsKey(required), k + ": " + c.location() + " does not set " + required);
            }
            assertNotNull(Manifests.secretOf(c, "KAFKA_SASL_JAAS_CONFIG"), k + ": " + c.location()
                    + " must take KAFKA_SASL_JAAS_CONFIG from a Secret");
            String truststore = env.get("KAFKA_SSL_TRUSTSTORE_LOCATION");
            JsonNode mount = Manifests.volumeAt(c, truststore);
            assertNotNull(mount, k + ": " + c.location() + ": nothing mounted at the truststore " + truststore);
            JsonNode secret = mount.path("volume").path("secret");
            assertFalse(secret.isMissingNode(), k + ": " + c.location() + ": the truststore is not in a Secret volume");
            String file = truststore.substring(mount.path("mountPath").asText().length()).replaceFirst("^/", "");
            boolean listed = !secret.has("items");
            for (JsonNode item : secret.path("items")) listed |= file.equals(item.path("path").asText());
            assertTrue(listed, k + ": " + c.location() + ": the truststore " + file + " is not among the Secret's items");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"base", "overlays/example"})
    void shouldNotInjectServiceLinks(String k) {
        // With service links on, Kubernetes sets REFUSAL_MONITOR_SERVICE_HOST, REFUSAL_MONITOR_PORT, ... for the Service
        // refusal-monitor: the monitor refuses unknown REFUSAL_MONITOR_* variables, and KAFKA_* ones would be read as
        // Kafka settings by every service.
        Manifests.render(k).podTemplates().forEach((workload, template) -> assertEquals(Boolean.FALSE,
                template.path("spec").path("enableServiceLinks").isBoolean() ? template.path("spec").path("enableServiceLinks").asBoolean() : null,
                k + ": " + workload + " must set enableServiceLinks: false"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"base", "overlays/example"})
    void shouldRunTheImagesTheImageBuildMakes(String k) throws IOException {
        Manifests m = Manifests.render(k);
        String version = System.getProperty("refusalmonitor.version");
        assertNotNull(version, "refusalmonitor.version not set (surefire sets it to the project version)");
        for (String image : PROJECT_IMAGES) {
            Container c = m.container(image);
            assertEquals(image, c.repository(), k + ": " + c.location() + " image " + c.image());
            if (k.equals("base")) {
                assertEquals(image + ":" + version, c.image(), k + ": " + c.location() + " image (tag = project version)");
            } else {
                assertTrue(Set.of(version, "latest").contains(c.tag()), k + ": " + c.location() + " tag " + c.tag());
            }
        }
        Set<String> ours = m.containers().stream().map(Container::repository).filter(r -> r.startsWith("refusal-monitor/"))
                .collect(Collectors.toCollection(TreeSet::new));
        assertEquals(new TreeSet<>(PROJECT_IMAGES), ours, k + ": project images in the manifests");
        // Once the image build is in the repository, every image name must appear in it.
        List<Path> buildFiles = imageBuildFiles();
        if (!buildFiles.isEmpty()) {
            StringBuilder all = new StringBuilder();
            for (Path f : buildFiles) all.append(Files.readString(f)).append('\n');
            for (String image : PROJECT_IMAGES) {
                assertTrue(all.indexOf(image) >= 0, k + ": image " + image + " appears in none of the image build files "
                        + buildFiles.stream().map(p -> Manifests.root().relativize(p).toString()).toList());
            }
        }
    }

    /** Containerfiles, Dockerfiles, Compose files and image build scripts of the repository. */
    static List<Path> imageBuildFiles() throws IOException {
        Path root = Manifests.root();
        try (Stream<Path> s = Files.walk(root)) {
            return s.filter(Files::isRegularFile)
                    .filter(p -> {
                        String rel = root.relativize(p).toString().replace('\\', '/');
                        return !rel.startsWith(".git/") && !rel.contains("/target/") && !rel.startsWith("deploy/kubernetes/")
                                && !rel.contains("node_modules/");
                    })
                    .filter(p -> {
                        String n = p.getFileName().toString().toLowerCase(java.util.Locale.ROOT);
                        return n.startsWith("containerfile") || n.startsWith("dockerfile") || n.endsWith(".containerfile")
                                || n.endsWith(".dockerfile") || (n.contains("compose") && (n.endsWith(".yml") || n.endsWith(".yaml")))
                                || (n.endsWith(".sh") && n.contains("image"));
                    })
                    .sorted().toList();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"base", "overlays/example"})
    void shouldBridgeWhatVllmExports(String k) throws IOException {
        Manifests m = Manifests.render(k);
        Container vllm = m.container(VLLM_IMAGE);
        Container bridge = m.container(GATEWAY_IMAGE);
        assertEquals(vllm.workload(), bridge.workload(), k + ": the bridge runs as a sidecar of vLLM");
        List<String> vargs = m.args(vllm);
        JsonNode spec = Manifests.JSON.readTree(required(k, vargs, "--speculative-config"));
        JsonNode kv = Manifests.JSON.readTree(required(k, vargs, "--kv-transfer-config"));
        assertEquals("extract_hidden_states", spec.path("method").asText(), k + ": speculative method");
        assertEquals(1, spec.path("num_speculative_tokens").asInt(), k + ": extract_hidden_states needs num_speculative_tokens 1");
        assertEquals("ExampleHiddenStatesConnector", kv.path("kv_connector").asText(), k + ": kv_connector");
        assertEquals("kv_producer", kv.path("kv_role").asText(), k + ": kv_role");
        assertTrue(vargs.contains("--no-enable-chunked-prefill"), k + ": the hidden-state export needs chunked prefill off");
        List<Integer> exported = new ArrayList<>();
        for (JsonNode l : spec.path("draft_model_config").path("hf_config").path("eagle_aux_hidden_state_layer_ids")) {
            assertTrue(l.isInt(), k + ": layer id " + l);
            exported.add(l.asInt());
        }
        assertFalse(exported.isEmpty(), k + ": no eagle_aux_hidden_state_layer_ids");

        CommandLine.Model.CommandSpec run = Code.parse(Code.gatewayCli(), m.args(bridge), k + " " + bridge.location());
        assertEquals("vllm-bridge", run.name(), k + ": the sidecar runs `gateway vllm-bridge`");
        Path watch = Code.value(run, "--watch-dir");
        String storage = kv.path("kv_connector_extra_config").path("shared_storage_path").asText();
        assertEquals(storage, watch.toString(), k + ": vLLM's shared_storage_path vs the bridge's --watch-dir");
        JsonNode vMount = Manifests.volumeAt(vllm, storage);
        JsonNode bMount = Manifests.volumeAt(bridge, watch.toString());
        assertNotNull(vMount, k + ": vLLM has no volume at " + storage);
        assertNotNull(bMount, k + ": the bridge has no volume at " + watch);
        assertEquals(vMount.path("volume").path("name").asText(), bMount.path("volume").path("name").asText(),
                k + ": vLLM and the bridge must share the hidden-state folder's volume");
        assertEquals(vMount.path("mountPath").asText(), bMount.path("mountPath").asText(), k + ": shared folder mount path");
        assertTrue(bMount.path("volume").has("emptyDir"), k + ": the shared folder is a pod-local emptyDir");

        int[] axis = Code.value(run, "--axis-layers");
        assertNotNull(axis, k + ": the bridge needs --axis-layers (the files do not record the layer ids)");
        assertEquals(exported, Arrays.stream(axis).boxed().toList(), k + ": bridge --axis-layers vs vLLM's layer ids");
        int[] published = Code.value(run, "--layers");
        if (published != null) {
            for (int l : published) assertTrue(exported.contains(l), k + ": bridge --layers " + l + " is not exported");
        }
        String model = vargs.get(0);
        assertFalse(model.startsWith("-") || model.contains("$("), k + ": vLLM's first argument must be the model, got " + model);
        String served = Manifests.option(vargs, "--served-model-name");
        assertEquals(served != null ? served : model, Code.<String>value(run, "--model-id"),
                k + ": the bridge's --model-id vs the model vLLM serves");
        assertEquals(monitorConfig(m).topic(TopicId.HIDDEN_STATES).name(), Code.<String>value(run, "--topic"),
                k + ": the bridge's --topic vs the monitor's hidden-states topic");
    }

    private static String required(String k, List<String> args, String option) {
        String v = Manifests.option(args, option);
        assertNotNull(v, k + ": vLLM args lack " + option);
        assertFalse(v.contains("$("), k + ": unresolved variable in " + option + ": " + v);
        return v;
    }

    @ParameterizedTest
    @ValueSource(strings = {"base", "overlays/example"})
    void shouldSpreadTheMonitorOverTheHiddenStatePartitions(String k) {
        Manifests m = Manifests.render(k);
        MonitorConfig config = monitorConfig(m);
        JsonNode deployment = m.named("Deployment", "refusal-monitor");
        int replicas = deployment.path("spec").path("replicas").asInt();
        assertTrue(replicas >= 2, k + ": at least 2 monitor replicas");
        int threads = replicas * config.streamThreads();
        int partitions = config.topic(TopicId.HIDDEN_STATES).partitions();
        assertTrue(threads <= partitions, k + ": " + replicas + " replicas x " + config.streamThreads() + " stream threads = "
                + threads + " threads, more than the " + partitions + " hidden-states partitions (some would idle)");
        JsonNode podLabels = deployment.path("spec").path("template").path("metadata").path("labels");
        List<JsonNode> pdbs = m.ofKind("PodDisruptionBudget");
        assertTrue(pdbs.stream().anyMatch(p -> {
            boolean all = true;
            var it = p.path("spec").path("selector").path("matchLabels").fields();
            while (it.hasNext()) {
                var e = it.next();
                all &= e.getValue().asText().equals(podLabels.path(e.getKey()).asText());
            }
            return all;
        }), k + ": no PodDisruptionBudget selects the monitor pods");
    }

    @ParameterizedTest
    @ValueSource(strings = {"base", "overlays/example"})
    void shouldSizeEveryContainerAndTheJavaHeap(String k) {
        Manifests m = Manifests.render(k);
        for (Container c : m.containers()) {
            JsonNode r = c.node().path("resources");
            assertTrue(r.path("requests").has("cpu") && r.path("requests").has("memory"), k + ": " + c.location() + " requests");
            assertTrue(r.path("limits").has("memory"), k + ": " + c.location() + " memory limit");
        }
        for (String image : PROJECT_IMAGES) {
            Container c = m.container(image);
            String opts = m.environment(c).getOrDefault("JAVA_OPTS", "");
            assertTrue(opts.contains("-XX:MaxRAMPercentage="), k + ": " + c.location() + " JAVA_OPTS without MaxRAMPercentage");
            assertFalse(opts.contains("-Xmx"), k + ": " + c.location() + " JAVA_OPTS fixes the heap with -Xmx");
        }
    }

    /**
     * With a read-only root file system, everything a service writes must land on a writable volume: the JVM's and
     * Kafka Streams' temporary files ({@code /tmp}, Streams' default state.dir), DJL's engine cache (the fits run on
     * DJL's PyTorch engine, which extracts its native libraries at first use) and the trainer's reports.
     */
    @ParameterizedTest
    @ValueSource(strings = {"base", "overlays/example"})
    void shouldGiveTheServicesWritableScratchSpace(String k) {
        Manifests m = Manifests.render(k);
        for (String image : PROJECT_IMAGES) {
            Container c = m.container(image);
            if (!c.node().path("securityContext").path("readOnlyRootFilesystem").asBoolean(false)) continue;
            List<String> paths = new ArrayList<>(List.of("/tmp/kafka-streams"));
            String djl = m.environment(c).get("DJL_CACHE_DIR");
            assertNotNull(djl, k + ": " + c.location() + " has a read-only root file system but no DJL_CACHE_DIR");
            paths.add(djl + "/pytorch");
            if (image.equals(TRAINER_IMAGE)) {
                CommandLine.Model.CommandSpec run = Code.parse(Code.trainerCli(), m.args(c), k + " " + c.location());
                Path reports = Code.value(run, "--report-dir");
                assertTrue(reports.isAbsolute(), k + ": the trainer's --report-dir must be absolute, got " + reports);
                paths.add(reports + "/report.json");
            }
            for (String p : paths) {
                JsonNode mount = Manifests.volumeAt(c, p);
                assertNotNull(mount, k + ": " + c.location() + " writes " + p + " on its read-only root file system");
                JsonNode v = mount.path("volume");
                assertFalse(mount.path("readOnly").asBoolean(), k + ": " + c.location() + ": " + p + " is on a read-only mount");
                assertTrue(v.has("emptyDir") || v.has("persistentVolumeClaim") || v.has("ephemeral"),
                        k + ": " + c.location() + ": " + p + " is on volume " + v.path("name").asText() + ", which is not writable");
            }
        }
    }

    /**
     * The topology reads and writes only the configured topics, and its only state stores are the two drift stores,
     * whose changelogs Kafka Streams creates under {@code <application id>-} (the directions store is a global store
     * with logging off). The monitor's KafkaUser holds exactly that prefix (see
     * {@code shouldGrantTheMonitorExactlyWhatItUses}); when this fails the topology gained a store or an internal topic:
     * check that prefix grant and update this test.
     */
    @ParameterizedTest
    @ValueSource(strings = {"base", "overlays/example"})
    void shouldKeepStateOnlyInTheDriftStores(String k) {
        MonitorConfig config = monitorConfig(Manifests.render(k));
        TopologyDescription d = ScoringTopology.build(Topics.from(config), new ScoringTopology.Parts(
                new DirectionRegistry(new DirectionSetMetrics(), Clock.systemUTC(), DirectionTrust.NOT_REQUIRED), new ScoringMetrics(),
                NoDirectionsPolicy.DLQ, ScoreListener.NONE, Clock.systemUTC(), dev.refusalmonitor.monitor.stream.RecordLimits.DEFAULTS,
                config.driftEnabled() ? dev.refusalmonitor.monitor.drift.DriftParts.from(config,
                        new dev.refusalmonitor.monitor.drift.DriftMetrics()) : null)).describe();
        Set<String> configured = new HashSet<>();
        config.topics().forEach(t -> configured.add(t.name()));
        Set<String> other = new TreeSet<>();
        for (TopologyDescription.Subtopology s : d.subtopologies()) {
            for (TopologyDescription.Node n : s.nodes()) {
                if (n instanceof TopologyDescription.Source src) {
                    src.topicSet().stream().filter(t -> !configured.contains(t)).forEach(other::add);
                } else if (n instanceof TopologyDescription.Sink sink) {
                    if (!configured.contains(sink.topic())) other.add(String.valueOf(sink.topic()));
                } else if (n instanceof TopologyDescription.Processor p && !p.stores().isEmpty()
                        && !Set.of(Topics.DRIFT_PARTIALS_STORE, Topics.DRIFT_SLICES_STORE).containsAll(p.stores())) {
                    other.add("stores " + p.stores());
                }
            }
        }
        for (TopologyDescription.GlobalStore g : d.globalStores()) {
            g.source().topicSet().stream().filter(t -> !configured.contains(t)).forEach(other::add);
        }
        assertEquals(Set.of(), other, k + ": the topology uses other internal topics or stores; see this test's Javadoc");
    }
}
