package dev.refusalmonitor.monitor.metrics;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;

/**
 * The {@value MetricNames#TAG_MODEL} label of the per-model meters, from a bounded set: a model id is its own label
 * only while a direction set for it is in force ({@code inForce}), and only for the first {@code maxModels} such ids;
 * every other id is {@value #OTHER}. So a record cannot create a series by inventing a model id: rejected records
 * carry no model label at all, and accepted ones are bounded by the direction sets an operator published.
 *
 * <p>Label values are also {@link #sanitize sanitised}: control characters (NUL included), quotes, backslashes and
 * anything outside printable ASCII become {@code _}, and values are cut to {@value #MAX_LABEL_CHARS} characters.
 * Thread-safe.
 */
public final class ModelLabels {
    /** The label of every model id outside the bounded set. */
    public static final String OTHER = "_other";
    /** Longest label value exported. */
    public static final int MAX_LABEL_CHARS = 128;
    /** Default cap on distinct model labels. */
    public static final int DEFAULT_MAX_MODELS = 64;

    private final Predicate<String> inForce;
    private final int maxModels;
    private final Set<String> labelled = ConcurrentHashMap.newKeySet();

    /**
     * @param inForce true for model ids with a direction set in force (the monitor's registry)
     * @param maxModels at most this many distinct model labels besides {@value #OTHER}
     */
    public ModelLabels(Predicate<String> inForce, int maxModels) {
        if (maxModels < 0) throw new IllegalArgumentException("maxModels must be >= 0, got " + maxModels);
        this.inForce = inForce;
        this.maxModels = maxModels;
    }

    /** The label for {@code modelId}: its sanitised id when a set is in force for it (within the cap), else {@value #OTHER}. */
    public String label(String modelId) {
        if (modelId == null || modelId.isEmpty() || !inForce.test(modelId)) return OTHER;
        String l = sanitize(modelId);
        if (labelled.contains(l)) return l;
        synchronized (labelled) {
            if (labelled.contains(l)) return l;
            if (labelled.size() >= maxModels) return OTHER;
            labelled.add(l);
            return l;
        }
    }

    /** Printable ASCII except {@code " \\} kept, everything else {@code _}; at most {@value #MAX_LABEL_CHARS} chars; empty → {@code _}. */
    public static String sanitize(String value) {
        if (value == null || value.isEmpty()) return "_";
        int n = Math.min(value.length(), MAX_LABEL_CHARS);
        StringBuilder sb = null;
        for (int i = 0; i < n; i++) {
            char c = value.charAt(i);
            boolean ok = c >= 0x20 && c < 0x7f && c != '"' && c != '\\';
            if (!ok && sb == null) sb = new StringBuilder(n).append(value, 0, i);
            if (sb != null) sb.append(ok ? c : '_');
        }
        if (sb != null) return sb.toString();
        return n == value.length() ? value : value.substring(0, n);
    }
}
