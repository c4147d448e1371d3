package dev.refusalmonitor.deploy;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The Kubernetes manifests as {@code kubectl kustomize} renders them: one list of documents per kustomization, and
 * the helpers the checks share (containers by image, a container's environment as the kubelet resolves it, args with
 * {@code $(VAR)} expanded).
 */
final class Manifests {
    static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    static final ObjectMapper JSON = new ObjectMapper();

    /** Value given to variables that come from a Secret (never real): the checks only need their names. */
    static final String SECRET_PLACEHOLDER = "secret-from-kubernetes";

    private static final Map<String, Manifests> RENDERED = new ConcurrentHashMap<>();
    private static final Pattern VAR = Pattern.compile("\\$\\(([A-Za-z_][A-Za-z0-9_]*)\\)");

    final String kustomization;
    final List<JsonNode> documents;

    private Manifests(String kustomization, List<JsonNode> documents) {
        this.kustomization = kustomization;
        this.documents = documents;
    }

    /** The repository root: the nearest ancestor of the working directory holding deploy/kubernetes. */
    static Path root() {
        Path p = Path.of("").toAbsolutePath();
        while (p != null) {
            if (Files.isDirectory(p.resolve("deploy/kubernetes"))) return p;
            p = p.getParent();
        }
        throw new AssertionError("no deploy/kubernetes above " + Path.of("").toAbsolutePath());
    }

    /** {@code kubectl kustomize deploy/kubernetes/<dir>}, parsed; the test is skipped when kubectl is missing. */
    static Manifests render(String dir) {
        Optional<Path> kubectl = kubectl();
        assumeTrue(kubectl.isPresent(), "kubectl not installed: Kubernetes manifests not checked (apt-get install kubectl)");
        return RENDERED.computeIfAbsent(dir, d -> run(kubectl.get(), d));
    }

    private static Optional<Path> kubectl() {
        String path = System.getenv("PATH");
        List<String> dirs = new ArrayList<>(List.of("/usr/bin", "/usr/local/bin"));
        if (path != null) dirs.addAll(List.of(path.split(File.pathSeparator)));
        for (String dir : dirs) {
            Path p = Path.of(dir, "kubectl");
            if (Files.isExecutable(p)) return Optional.of(p);
        }
        return Optional.empty();
    }

    private static Manifests run(Path kubectl, String dir) {
        Path target = root().resolve("deploy/kubernetes").resolve(dir);
        try {
            Path out = Files.createTempFile("kustomize-", ".yaml");
            try {
                Process p = new ProcessBuilder(kubectl.toString(), "kustomize", target.toString())
                        .redirectErrorStream(false).redirectOutput(out.toFile()).start();
                byte[] err = p.getErrorStream().readAllBytes();
                if (!p.waitFor(120, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                    fail("kubectl kustomize " + dir + " did not finish within 120 s");
                }
                assertEquals(0, p.exitValue(), () -> "kubectl kustomize " + dir + " failed (the manifests need kustomize v5,"
                        + " kubectl 1.27 or newer; this is " + clientVersion(kubectl) + "):\n" + new String(err, StandardCharsets.UTF_8));
                List<JsonNode> docs = new ArrayList<>();
                try (JsonParser parser = YAML.getFactory().createParser(out.toFile());
                     MappingIterator<JsonNode> it = YAML.readValues(parser, JsonNode.class)) {
                    while (it.hasNext()) {
                        JsonNode n = it.next();
                        if (n != null && !n.isNull() && !n.isMissingNode() && n.size() > 0) docs.add(n);
                    }
                }
                assertTrue(docs.size() > 10, "kubectl kustomize " + dir + " rendered only " + docs.size() + " documents");
                return new Manifests(dir, List.copyOf(docs));
            } finally {
                Files.deleteIfExists(out);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }

    private static String clientVersion(Path kubectl) {
        try {
            Process p = new ProcessBuilder(kubectl.toString(), "version", "--client").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim().replace('\n', ' ');
            p.waitFor(30, TimeUnit.SECONDS);
            return out;
        } catch (IOException e) {
            return "unknown version (" + e.getMessage() + ")";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "unknown version";
        }
    }

    @Override
    public String toString() {
        return kustomization;
    }

    // ---- documents ----

    List<JsonNode> ofKind(String kind) {
        return documents.stream().filter(d -> kind.equals(d.path("kind").asText())).toList();
    }

    JsonNode named(String kind, String name) {
        return ofKind(kind).stream().filter(d -> name.equals(d.path("metadata").path("name").asText())).findFirst()
                .orElseThrow(() -> new AssertionError(kustomization + ": no " + kind + " named " + name));
    }

    static String name(JsonNode doc) {
        return doc.path("metadata").path("name").asText();
    }

    /** Every workload's pod template, by workload name. */
    Map<String, JsonNode> podTemplates() {
        Map<String, JsonNode> out = new LinkedHashMap<>();
        for (JsonNode d : documents) {
            JsonNode spec = d.path("spec").path("template").path("spec");
            if (spec.has("containers")) out.put(d.path("kind").asText() + "/" + name(d), d.path("spec").path("template"));
        }
        return out;
    }

    /** A container and the workload it belongs to. */
    record Container(String workload, JsonNode template, JsonNode node) {
        String name() {
            return node.path("name").asText();
        }

        String image() {
            return node.path("image").asText();
        }

        /** The image without registry and tag, e.g. {@code refusal-monitor/monitor-service}. */
        String repository() {
            String image = image();
            int at = image.indexOf('@');
            if (at >= 0) image = image.substring(0, at);
            int slash = image.lastIndexOf('/');
            int colon = image.lastIndexOf(':');
            if (colon > slash) image = image.substring(0, colon);
            String[] parts = image.split("/");
            if (parts.length > 2 && (parts[0].contains(".") || parts[0].contains(":") || parts[0].equals("localhost"))) {
                image = String.join("/", List.of(parts).subList(1, parts.length));
            }
            return image;
        }

        String tag() {
            String image = image();
            int slash = image.lastIndexOf('/');
            int colon = image.lastIndexOf(':');
            return colon > slash ? image.substring(colon + 1) : "latest";
        }

        String location() {
            return workload + " container " + name();
        }

        JsonNode podSpec() {
            return template.path("spec");
        }
    }

    List<Container> containers() {
        List<Container> out = new ArrayList<>();
        podTemplates().forEach((workload, template) -> {
            for (JsonNode c : template.path("spec").path("containers")) out.add(new Container(workload, template, c));
            for (JsonNode c : template.path("spec").path("initContainers")) out.add(new Container(workload, template, c));
        });
        return out;
    }

    /** The one container running an image whose repository ends with {@code repositorySuffix}. */
    Container container(String repositorySuffix) {
        List<Container> found = containers().stream().filter(c -> c.repository().endsWith(repositorySuffix)).toList();
        assertEquals(1, found.size(), () -> kustomization + ": containers running " + repositorySuffix + ": "
                + found.stream().map(Container::location).toList());
        return found.get(0);
    }

    /** The data of the ConfigMap with this (rendered) name. */
    JsonNode configMapData(String name) {
        return named("ConfigMap", name).path("data");
    }

    /**
     * The container's environment as the kubelet builds it: {@code envFrom} ConfigMaps first, then {@code env} in order;
     * values from ConfigMaps are resolved, Secret values are {@link #SECRET_PLACEHOLDER}, {@code $(VAR)} in values is
     * expanded with the variables defined before.
     */
    Map<String, String> environment(Container c) {
        Map<String, String> env = new LinkedHashMap<>();
        for (JsonNode from : c.node().path("envFrom")) {
            String prefix = from.path("prefix").asText("");
            if (from.has("configMapRef")) {
                configMapData(from.path("configMapRef").path("name").asText())
                        .fields().forEachRemaining(e -> env.put(prefix + e.getKey(), e.getValue().asText()));
            } else if (from.has("secretRef")) {
                fail(c.location() + ": envFrom a Secret hides which variables it sets; reference single keys instead");
            }
        }
        for (JsonNode e : c.node().path("env")) {
            String name = e.path("name").asText();
            JsonNode from = e.path("valueFrom");
            if (e.has("value")) {
                env.put(name, expand(e.path("value").asText(), env));
            } else if (from.has("configMapKeyRef")) {
                JsonNode ref = from.path("configMapKeyRef");
                JsonNode v = configMapData(ref.path("name").asText()).path(ref.path("key").asText());
                assertTrue(v.isTextual(), c.location() + ": " + name + " refers to missing key " + ref);
                env.put(name, v.asText());
            } else if (from.has("secretKeyRef")) {
                env.put(name, SECRET_PLACEHOLDER);
            } else {
                env.put(name, "from-" + from.fieldNames().next());
            }
        }
        return env;
    }

    /** The Secret a container's variable comes from, or null. */
    static String secretOf(Container c, String variable) {
        for (JsonNode e : c.node().path("env")) {
            if (variable.equals(e.path("name").asText()) && e.path("valueFrom").has("secretKeyRef")) {
                return e.path("valueFrom").path("secretKeyRef").path("name").asText();
            }
        }
        return null;
    }

    /** The container's args with {@code $(VAR)} references expanded from its environment. */
    List<String> args(Container c) {
        Map<String, String> env = environment(c);
        List<String> out = new ArrayList<>();
        for (JsonNode a : c.node().path("args")) out.add(expand(a.asText(), env));
        return out;
    }

    static String expand(String s, Map<String, String> env) {
        Matcher m = VAR.matcher(s);
        StringBuilder sb = new StringBuilder();
        while (m.find()) {
            String v = env.get(m.group(1));
            m.appendReplacement(sb, Matcher.quoteReplacement(v != null ? v : m.group()));
        }
        m.appendTail(sb);
        return sb.toString();
    }

    /** The value of {@code --name=value} or {@code --name value} in args, or null. */
    static String option(List<String> args, String name) {
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            if (a.startsWith(name + "=")) return a.substring(name.length() + 1);
            if (a.equals(name) && i + 1 < args.size()) return args.get(i + 1);
        }
        return null;
    }

    /** The named container port's number. */
    static int port(Container c, String name) {
        for (JsonNode p : c.node().path("ports")) if (name.equals(p.path("name").asText())) return p.path("containerPort").asInt();
        throw new AssertionError(c.location() + " has no port named " + name);
    }

    /** A probe's or Service's port (a number or a container port name) as a number. */
    static int resolvePort(Container c, JsonNode port) {
        return port.isInt() ? port.asInt() : port(c, port.asText());
    }

    /** The mount path of the volume the file at {@code path} lies in, with that volume, or null. */
    static JsonNode volumeAt(Container c, String path) {
        JsonNode best = null;
        int bestLength = -1;
        for (JsonNode m : c.node().path("volumeMounts")) {
            String mp = m.path("mountPath").asText();
            if ((path.equals(mp) || path.startsWith(mp.endsWith("/") ? mp : mp + "/")) && mp.length() > bestLength) {
                best = m;
                bestLength = mp.length();
            }
        }
        if (best == null) return null;
        String volume = best.path("name").asText();
        for (JsonNode v : c.podSpec().path("volumes")) {
            if (volume.equals(v.path("name").asText())) {
                return JSON.createObjectNode().put("mountPath", best.path("mountPath").asText())
                        .put("subPath", best.path("subPath").asText("")).put("readOnly", best.path("readOnly").asBoolean(false))
                        .set("volume", v);
            }
        }
        throw new AssertionError(c.location() + " mounts undeclared volume " + volume);
    }
}
