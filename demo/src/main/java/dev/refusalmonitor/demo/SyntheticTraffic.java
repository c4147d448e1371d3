package dev.refusalmonitor.demo;

import dev.refusalmonitor.math.fit.LabelledLayers;
import dev.refusalmonitor.math.synthetic.PlantedTruthTraffic;

import java.util.SplittableRandom;

/** Demo traffic from the planted-truth generator, used when no transformer is available. */
final class SyntheticTraffic implements DemoTraffic {
    private final PlantedTruthTraffic traffic;

    SyntheticTraffic(String modelId, int d, int nLayers, long seed) {
        this.traffic = new PlantedTruthTraffic(modelId, d, nLayers, seed);
    }

    @Override
    public String modelId() {
        return traffic.modelId();
    }

    @Override
    public String description() {
        return traffic.description();
    }

    @Override
    public int d() {
        return traffic.d();
    }

    @Override
    public int[] layers() {
        return traffic.layers();
    }

    @Override
    public LabelledLayers trainingSet(int version) {
        return traffic.trainingSet(version);
    }

    @Override
    public float[][] next(boolean harmful, SplittableRandom rnd) {
        return traffic.next(harmful, rnd);
    }
}
