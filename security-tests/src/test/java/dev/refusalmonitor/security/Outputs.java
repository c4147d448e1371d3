package dev.refusalmonitor.security;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * Every output of the services while a test runs, to be searched for secrets and hidden-state values: this JVM's
 * standard output and error (where every service and the broker log, through slf4j-simple), copied as it passes, plus
 * each other text a test collects ({@link #add}): command output, {@code /metrics} pages, dead-letter reasons, drift
 * reports, report files, the Python producer's output.
 */
final class Outputs implements AutoCloseable {
    private final ByteArrayOutputStream copy = new ByteArrayOutputStream();
    private final PrintStream oldOut = System.out;
    private final PrintStream oldErr = System.err;
    private final Map<String, String> texts = new LinkedHashMap<>();

    private Outputs() {
        System.setOut(new PrintStream(new Tee(oldOut, copy), true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(new Tee(oldErr, copy), true, StandardCharsets.UTF_8));
    }

    /** Starts copying System.out and System.err; {@link #close()} stops. */
    static Outputs capture() {
        return new Outputs();
    }

    /** What the JVM printed since {@link #capture()}. */
    String log() {
        synchronized (copy) {
            return copy.toString(StandardCharsets.UTF_8);
        }
    }

    /** One more output to search; {@code label} says where it came from. */
    synchronized Outputs add(String label, String text) {
        String key = label;
        for (int i = 2; texts.containsKey(key); i++) key = label + " #" + i;
        texts.put(key, text == null ? "" : text);
        return this;
    }

    /** Fails naming every output (and the line in it) that contains one of {@code forbidden}. */
    synchronized void assertFree(String what, Collection<String> forbidden) {
        Map<String, String> all = new LinkedHashMap<>(texts);
        all.put("the log (System.out and System.err)", log());
        List<String> leaks = new ArrayList<>();
        for (Map.Entry<String, String> e : all.entrySet()) {
            for (String f : forbidden) {
                int at = e.getValue().indexOf(f);
                if (at < 0) continue;
                int from = Math.max(e.getValue().lastIndexOf('\n', at) + 1, at - 160);
                // Show what led up to it, not the secret itself.
                leaks.add(e.getKey() + ": ..." + e.getValue().substring(from, at).strip() + " <" + what + ">");
            }
        }
        if (!leaks.isEmpty()) fail(what + " found in " + leaks.size() + " output(s):\n" + String.join("\n", leaks));
    }

    /** The texts added so far, by label. */
    synchronized Map<String, String> texts() {
        return new LinkedHashMap<>(texts);
    }

    @Override
    public void close() {
        System.out.flush();
        System.err.flush();
        System.setOut(oldOut);
        System.setErr(oldErr);
    }

    private static final class Tee extends OutputStream {
        private final OutputStream a;
        private final ByteArrayOutputStream b;

        Tee(OutputStream a, ByteArrayOutputStream b) {
            this.a = a;
            this.b = b;
        }

        @Override
        public void write(int x) {
            synchronized (b) {
                b.write(x);
            }
            try {
                a.write(x);
            } catch (java.io.IOException e) {
                // the original stream's problem, not the copy's
            }
        }

        @Override
        public void write(byte[] buf, int off, int len) {
            synchronized (b) {
                b.write(buf, off, len);
            }
            try {
                a.write(buf, off, len);
            } catch (java.io.IOException e) {
                // as above
            }
        }

        @Override
        public void flush() throws java.io.IOException {
            a.flush();
        }
    }
}
