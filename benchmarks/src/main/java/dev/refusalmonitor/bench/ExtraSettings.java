package dev.refusalmonitor.bench;

import java.util.Map;

/**
 * Monitor settings a benchmark run adds on top of its own: {@code -Dbench.extra=KEY=VALUE,...} (for example through
 * {@code JAVA_TOOL_OPTIONS}), so a variant is measured with the same command and code as the default.
 */
public final class ExtraSettings {
    private ExtraSettings() {
    }

    /** Puts every {@code bench.extra} pair into {@code settings} (later pairs win); returns {@code settings}. */
    public static Map<String, String> addTo(Map<String, String> settings) {
        for (String kv : System.getProperty("bench.extra", "").split(",")) {
            if (kv.isBlank()) continue;
            String[] parts = kv.split("=", 2);
            if (parts.length != 2) throw new IllegalArgumentException("bench.extra wants KEY=VALUE pairs, got " + kv);
            settings.put(parts[0].trim(), parts[1].trim());
        }
        return settings;
    }
}
