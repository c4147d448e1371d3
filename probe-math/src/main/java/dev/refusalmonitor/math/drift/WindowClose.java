package dev.refusalmonitor.math.drift;

/** Why a window closed. */
public enum WindowClose {
    /** It reached the configured number of requests. */
    COUNT,
    /** Event time passed the end of its tumbling time bucket. */
    TIME
}
