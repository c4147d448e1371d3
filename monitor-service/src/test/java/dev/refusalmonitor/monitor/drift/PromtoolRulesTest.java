package dev.refusalmonitor.monitor.drift;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/** Runs Debian's promtool on deploy/prometheus: the config and rules are valid and every rule unit test passes. */
class PromtoolRulesTest {

    static Path binary(String name) {
        for (String dir : List.of("/usr/bin", "/usr/local/bin")) {
            Path p = Path.of(dir, name);
            if (Files.isExecutable(p)) return p;
        }
        String path = System.getenv("PATH");
        if (path != null) {
            for (String dir : path.split(java.io.File.pathSeparator)) {
                Path p = Path.of(dir, name);
                if (Files.isExecutable(p)) return p;
            }
        }
        fail(name + " not found: install Debian's prometheus package (.ci/run does)");
        throw new AssertionError();
    }

    static String run(Path dir, List<String> command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            fail(String.join(" ", command) + " did not finish within 60 s");
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), () -> String.join(" ", command) + " failed:\n" + out);
        return out;
    }

    @Test
    void shouldAcceptTheRulesFile() throws Exception {
        Path dir = DeployFiles.rulesFile().getParent();
        String out = run(dir, List.of(binary("promtool").toString(), "check", "rules", DeployFiles.rulesFile().toString()));
        assertTrue(out.contains("SUCCESS"), out);
    }

    @Test
    void shouldAcceptThePrometheusConfig() throws Exception {
        Path dir = DeployFiles.rulesFile().getParent();
        run(dir, List.of(binary("promtool").toString(), "check", "config", dir.resolve("prometheus.yml").toString()));
    }

    @Test
    void shouldPassEveryRuleUnitTest() throws Exception {
        Path dir = DeployFiles.root().resolve("deploy/prometheus/tests");
        List<String> cmd = new ArrayList<>(List.of(binary("promtool").toString(), "test", "rules"));
        DeployFiles.ruleTests().forEach(f -> cmd.add(f.getFileName().toString()));
        String out = run(dir, cmd);
        assertTrue(out.contains("SUCCESS") && !out.contains("FAILED"), out);
    }
}
