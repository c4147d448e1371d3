package dev.refusalmonitor.activations;

/** How a per-request file with one hidden state per token position becomes one row. */
public enum Pooling {
    /** The last position of the file: the last prompt token unless the export included output tokens. */
    LAST_TOKEN,
    /** The mean over all positions (computed in double, then rounded to float). */
    MEAN
}
