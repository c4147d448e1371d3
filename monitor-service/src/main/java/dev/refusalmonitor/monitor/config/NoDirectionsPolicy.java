package dev.refusalmonitor.monitor.config;

import java.util.Arrays;
import java.util.stream.Collectors;

/** What the scorer does with a record for a model that has no direction set yet. */
public enum NoDirectionsPolicy {
    /** Send it to the DLQ with reason {@code no_directions}. */
    DLQ("dlq"),
    /** Send it to the retry topic, which the scorer also reads, so it is scored once directions arrive. */
    RETRY_TOPIC("retry-topic");

    private final String value;

    NoDirectionsPolicy(String value) {
        this.value = value;
    }

    /** The configuration spelling ({@code dlq} or {@code retry-topic}). */
    public String value() {
        return value;
    }

    /** Parses the configuration spelling; anything else is rejected with the allowed values. */
    public static NoDirectionsPolicy parse(String s) {
        for (NoDirectionsPolicy p : values()) {
            if (p.value.equals(s.trim())) {
                return p;
            }
        }
        throw new IllegalArgumentException("no.directions.policy must be one of "
                + Arrays.stream(values()).map(NoDirectionsPolicy::value).collect(Collectors.joining(", "))
                + ", got '" + s + "'");
    }
}
