package dev.refusalmonitor.monitor.testing;

import java.util.HashMap;
import java.util.Map;

/** Reads sample values out of a Prometheus text exposition (what {@code /metrics} serves). */
public final class PrometheusText {
    private PrometheusText() {
    }

    /**
     * The sum of every sample of family {@code name} whose labels include all of {@code labels}; fails when no
     * sample matches (a missing series is a bug, not zero).
     */
    public static double value(String scrape, String name, Map<String, String> labels) {
        double sum = 0;
        int matched = 0;
        for (String line : scrape.split("\n")) {
            if (line.isEmpty() || line.startsWith("#")) continue;
            int brace = line.indexOf('{');
            int space = line.lastIndexOf(' ');
            String sampleName = brace >= 0 && brace < space ? line.substring(0, brace) : line.substring(0, line.indexOf(' '));
            if (!sampleName.equals(name)) continue;
            Map<String, String> have = brace >= 0 && brace < space ? labels(line.substring(brace + 1, line.lastIndexOf('}')))
                    : Map.of();
            boolean all = true;
            for (Map.Entry<String, String> e : labels.entrySet()) all &= e.getValue().equals(have.get(e.getKey()));
            if (!all) continue;
            matched++;
            sum += Double.parseDouble(line.substring(space + 1).trim());
        }
        if (matched == 0) throw new AssertionError("no sample " + name + labels + " in the scrape");
        return sum;
    }

    private static Map<String, String> labels(String s) {
        // Our label values never contain quotes or commas, so a plain split is enough.
        Map<String, String> out = new HashMap<>();
        for (String part : s.split(",")) {
            int eq = part.indexOf('=');
            if (eq < 0) continue;
            String v = part.substring(eq + 1).trim();
            if (v.startsWith("\"") && v.endsWith("\"") && v.length() >= 2) v = v.substring(1, v.length() - 1);
            out.put(part.substring(0, eq).trim(), v);
        }
        return out;
    }
}
