package dev.refusalmonitor.schemas;

import dev.refusalmonitor.contract.directions.CastParams;
import dev.refusalmonitor.contract.directions.DirectionSetModel;
import dev.refusalmonitor.contract.directions.LayerDirections;
import dev.refusalmonitor.contract.directions.LogisticProbeParams;
import dev.refusalmonitor.contract.directions.MahalanobisParams;
import dev.refusalmonitor.contract.directions.RefusalPlaneParams;
import dev.refusalmonitor.contract.directions.Sector;
import dev.refusalmonitor.contract.directions.Standardisation;

import java.lang.reflect.RecordComponent;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.fail;

/** Direction-set models for tests (fixed seeds, every field set) and a field-by-field equality assertion. */
final class TestModels {
    private TestModels() {
    }

    /**
     * A complete model: layers {@code layers}, dim {@code d}, k = 2 eigenvectors, exact whitening on the first layer
     * only (the second has none), a PCA reading vector on the first layer only, a refusal plane with sectors, an
     * ensemble over all layers. With {@code dyadic}, every value is a multiple of 1/64 (short, exact decimals).
     */
    static DirectionSetModel model(long seed, int d, int[] layers, boolean dyadic) {
        Random rnd = new Random(seed);
        List<LayerDirections> out = new ArrayList<>();
        for (int i = 0; i < layers.length; i++) {
            int k = Math.min(2, d);
            float[] std = vec(rnd, d, dyadic);
            for (int j = 0; j < d; j++) std[j] = Math.abs(std[j]) + 0.5f;
            float[] eig = vec(rnd, k * d, dyadic);
            MahalanobisParams m = new MahalanobisParams(0.25, 1.5, 0.125, 12.0, k, eig,
                    new double[] {3.5, 2.25}, 0.75, i == 0 ? vec(rnd, d * (d + 1) / 2, dyadic) : null,
                    i % 2 == 1, new float[] {0.5f, 1.25f, 2.0f, 4.0f});
            out.add(new LayerDirections(layers[i], vec(rnd, d, dyadic), vec(rnd, d, dyadic), vec(rnd, d, dyadic),
                    new Standardisation(0.5 + i, 2.0), vec(rnd, d, dyadic), new Standardisation(-1.0, 0.25),
                    new LogisticProbeParams(vec(rnd, d, dyadic), std, vec(rnd, d, dyadic), -0.375, 1.0, 0.5),
                    m,
                    new CastParams(vec(rnd, d, dyadic), 0.125 * (i + 1), i == 0, 0.875),
                    i == 0 ? vec(rnd, d, dyadic) : null,
                    new Standardisation(0.0625, 1.5)));
        }
        RefusalPlaneParams plane = new RefusalPlaneParams(layers[0], vec(rnd, d, dyadic), vec(rnd, d, dyadic),
                vec(rnd, d, dyadic), List.of(new Sector("refuse", -45.0, 45.0), new Sector("comply", 135.0, -135.0),
                new Sector("redirect", 45.0, 135.0)));
        return new DirectionSetModel("test/model-" + d, "rev-a", 7, 1_700_000_000_000L, d, layers[0],
                layers[layers.length - 1], List.copyOf(out), plane, layers.clone(), 120, 80,
                "{\"chosen_layer\":" + layers[0] + "}");
    }

    private static float[] vec(Random rnd, int n, boolean dyadic) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = dyadic ? (rnd.nextInt(257) - 128) / 64f : (float) rnd.nextGaussian();
        }
        return v;
    }

    /**
     * Asserts two values are equal component by component (records recursively, arrays element-wise and
     * bit-exactly for floats, lists element-wise); {@code path} names the first difference.
     */
    static void assertDeepEquals(Object expected, Object actual, String path) {
        if (expected == null || actual == null) {
            if (expected == null) assertNull(actual, path + ": expected null");
            else assertNotNull(actual, path + ": expected a value, got null");
            return;
        }
        if (expected instanceof List<?> e) {
            if (!(actual instanceof List<?> a)) throw new AssertionError(path + ": expected a list, got " + actual);
            assertEquals(e.size(), a.size(), path + ": size");
            for (int i = 0; i < e.size(); i++) assertDeepEquals(e.get(i), a.get(i), path + "[" + i + "]");
            return;
        }
        assertEquals(expected.getClass(), actual.getClass(), path + ": class");
        if (expected instanceof float[] e) {
            float[] a = (float[]) actual;
            assertEquals(e.length, a.length, path + ": length");
            for (int i = 0; i < e.length; i++) {
                if (Float.floatToRawIntBits(e[i]) != Float.floatToRawIntBits(a[i])) {
                    fail(path + "[" + i + "]: expected " + e[i] + " got " + a[i]);
                }
            }
        } else if (expected instanceof double[] e) {
            double[] a = (double[]) actual;
            assertEquals(e.length, a.length, path + ": length");
            for (int i = 0; i < e.length; i++) {
                if (Double.doubleToRawLongBits(e[i]) != Double.doubleToRawLongBits(a[i])) {
                    fail(path + "[" + i + "]: expected " + e[i] + " got " + a[i]);
                }
            }
        } else if (expected instanceof int[] e) {
            if (!Arrays.equals(e, (int[]) actual)) fail(path + ": expected " + Arrays.toString(e) + " got "
                    + Arrays.toString((int[]) actual));
        } else if (expected.getClass().isRecord()) {
            for (RecordComponent c : expected.getClass().getRecordComponents()) {
                try {
                    assertDeepEquals(c.getAccessor().invoke(expected), c.getAccessor().invoke(actual),
                            path + "." + c.getName());
                } catch (ReflectiveOperationException ex) {
                    throw new AssertionError(ex);
                }
            }
        } else if (expected instanceof Double e) {
            assertEquals(Double.doubleToRawLongBits(e), Double.doubleToRawLongBits((Double) actual), path);
        } else {
            assertEquals(expected, actual, path);
        }
    }
}
