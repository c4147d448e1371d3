package dev.refusalmonitor.math.drift;

/** Why a window closed. */
public enum WindowClose {
    /** It reached the configured number of requests. */
    COUNT,
    /** Event time passed the end of its tumbling time bucket. */
    TIME,
    /**
     * A record scored with a newer direction-set version arrived: the window (scored under the old version) is closed
     * without comparison and the slice starts a fresh reference under the new version.
     */
    DIRECTIONS_VERSION
}
