package dev.refusalmonitor.demo;

import dev.refusalmonitor.math.fit.LabelledLayers;

import java.util.SplittableRandom;

/** Where the demo's hidden states come from: a labelled training set for the first fit, then a live stream. */
public interface DemoTraffic {
    /** Model id the traffic is for. */
    String modelId();

    /** A short description for the banner (e.g. which model produced the activations). */
    String description();

    int d();

    /** Layer indices every request carries, ascending. */
    int[] layers();

    /** Labelled rows for fitting version {@code version} (different versions may see different samples). */
    LabelledLayers trainingSet(int version);

    /** One live request's per-layer vectors (parallel to {@link #layers()}), harmful or not. */
    float[][] next(boolean harmful, SplittableRandom rnd);
}
