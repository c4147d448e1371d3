package dev.refusalmonitor.math.drift;

/** What each closed window is compared with. */
public enum ReferenceMode {
    /** The slice's first R closed windows, merged, become the baseline and stay (until {@link DriftTracker#rebaseline}). */
    PINNED,
    /** The R windows closed just before this one, merged: the reference follows slow change and forgets old drift. */
    TRAILING
}
