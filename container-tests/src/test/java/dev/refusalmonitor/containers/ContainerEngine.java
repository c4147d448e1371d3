package dev.refusalmonitor.containers;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.exception.NotFoundException;
import org.testcontainers.DockerClientFactory;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Whether the container tests can run here: a Docker-compatible engine answers (DOCKER_HOST, e.g. podman's socket set
 * up by {@code ../shared/tools/container-engine.sh --env}, or the default Docker socket) and the product's images built
 * by {@code deploy/images/build.sh} are present, tagged {@value #TAG_PROPERTY} (default: the project version).
 */
final class ContainerEngine {
    static final String TAG_PROPERTY = "containertests.image.tag";
    static final String KAFKA = "refusal-monitor/kafka";
    static final String MONITOR = "refusal-monitor/monitor-service";

    private ContainerEngine() {
    }

    static String tag() {
        String t = System.getProperty(TAG_PROPERTY);
        return t == null || t.isBlank() || t.startsWith("${") ? "latest" : t;
    }

    static String image(String repository) {
        return repository + ":" + tag();
    }

    /** Null when the tests can run; otherwise the one-line reason they are skipped (computed once). */
    static String skipReason(String... repositories) {
        String host = System.getenv("DOCKER_HOST");
        if (host == null || host.isBlank()) {
            if (!Files.exists(Path.of("/var/run/docker.sock")))
                return "no container engine: DOCKER_HOST is not set and /var/run/docker.sock does not exist "
                        + "(here: eval \"$(bash ../shared/tools/container-engine.sh --env)\")";
        } else if (host.startsWith("unix://") && !Files.exists(Path.of(URI.create(host).getPath()))) {
            return "no container engine: DOCKER_HOST=" + host + " names a socket that does not exist";
        }
        DockerClient client;
        try {
            client = DockerClientFactory.instance().client();
        } catch (RuntimeException | Error e) {
            String why = e.getMessage() == null ? e.toString() : e.getMessage().lines().findFirst().orElse("");
            return "no container engine answers at " + (host == null ? "/var/run/docker.sock" : host) + " (" + why
                    + "); without an image registry also set TESTCONTAINERS_RYUK_DISABLED=true and "
                    + "TESTCONTAINERS_CHECKS_DISABLE=true (container-engine.sh --env does)";
        }
        List<String> missing = new ArrayList<>();
        for (String repository : repositories) {
            try {
                client.inspectImageCmd(image(repository)).exec();
            } catch (NotFoundException e) {
                missing.add(image(repository));
            }
        }
        if (!missing.isEmpty()) return "images missing: " + String.join(", ", missing) + " (build them: deploy/images/build.sh)";
        return null;
    }
}
