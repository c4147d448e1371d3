package dev.refusalmonitor.trainer.reservoir;

import dev.refusalmonitor.math.fit.LabelledLayers;
import dev.refusalmonitor.schemas.HiddenStateBuilder;
import dev.refusalmonitor.schemas.v1.HarmLabel;
import dev.refusalmonitor.schemas.v1.ResponseLabel;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

class SampleIntakeTest {
    private static final int D = 8;

    private static float[] vector(SplittableRandom rnd, int d) {
        float[] v = new float[d];
        for (int j = 0; j < d; j++) v[j] = (float) rnd.nextGaussian();
        return v;
    }

    private static byte[] sample(String id, String model, HarmLabel harm, float[] l2, float[] l4) {
        HiddenStateBuilder b = HiddenStateBuilder.create(id, model).layer(2, l2).layer(4, l4);
        if (harm != null) b.labels(harm, ResponseLabel.RESPONSE_LABEL_UNSPECIFIED, "", "test");
        return b.toByteArray();
    }

    private static List<byte[]> valid(int n, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        List<byte[]> out = new ArrayList<>();
        for (int i = 0; i < n; i++)
            out.add(sample("r" + i, "m", i % 3 == 0 ? HarmLabel.HARM_LABEL_HARMFUL : HarmLabel.HARM_LABEL_HARMLESS,
                    vector(rnd, D), vector(rnd, D)));
        return out;
    }

    private static List<byte[]> malformed() {
        SplittableRandom rnd = new SplittableRandom(99);
        float[] nan = vector(rnd, D);
        nan[3] = Float.NaN;
        return List.of(
                new byte[]{1, 2, 3, 4, 5},                                                          // malformed
                sample("x1", "m", null, vector(rnd, D), vector(rnd, D)),                             // missing_label
                sample("x2", "m", HarmLabel.HARM_LABEL_UNSPECIFIED, vector(rnd, D), vector(rnd, D)), // missing_label
                sample("x3", "m", HarmLabel.HARM_LABEL_HARMFUL, vector(rnd, D + 1), vector(rnd, D + 1)), // wrong_dim
                sample("x4", "m", HarmLabel.HARM_LABEL_HARMFUL, nan, vector(rnd, D)),                // non_finite
                HiddenStateBuilder.create("x5", "m").layer(2, vector(rnd, D))
                        .labels(HarmLabel.HARM_LABEL_HARMLESS, ResponseLabel.RESPONSE_LABEL_COMPLIED, "", "").toByteArray()); // missing_layer
    }

    @Test
    void shouldSkipMalformedSamplesWithTheirReasonAndLeaveTheReservoirAsIfTheyNeverCame() {
        SampleIntake clean = new SampleIntake(null, null, 40, 5, null);
        SampleIntake mixed = new SampleIntake(null, null, 40, 5, null);
        List<byte[]> good = valid(120, 1);
        List<byte[]> bad = malformed();
        List<String> reasons = new ArrayList<>();
        for (int i = 0; i < good.size(); i++) {
            assertEquals(SampleOutcome.Kind.ACCEPTED, clean.offer(good.get(i)).kind());
            assertEquals(SampleOutcome.Kind.ACCEPTED, mixed.offer(good.get(i)).kind());
            // After the reservoir exists (its d is fixed), interleave every malformed kind.
            if (i % 20 == 1) for (byte[] b : bad) {
                SampleOutcome o = mixed.offer(b);
                assertEquals(SampleOutcome.Kind.SKIPPED, o.kind(), o::toString);
                reasons.add(o.reason());
            }
        }
        assertEquals(List.of("malformed", "missing_label", "missing_label", "wrong_dim", "non_finite", "missing_layer"),
                reasons.subList(0, 6));
        assertEquals(clean.reservoir("m").stats(), mixed.reservoir("m").stats());
        LabelledLayers a = clean.reservoir("m").snapshot(), b = mixed.reservoir("m").snapshot();
        for (int l = 0; l < 2; l++) {
            assertArrayEquals(a.harmful()[l], b.harmful()[l]);
            assertArrayEquals(a.harmless()[l], b.harmless()[l]);
        }
    }

    @Test
    void shouldFixTheLayerSetAndIgnoreOtherModelsWhenFiltered() {
        SampleIntake intake = new SampleIntake("m", new int[]{4}, 10, 1, null);
        SplittableRandom rnd = new SplittableRandom(3);
        assertEquals(SampleOutcome.Kind.IGNORED,
                intake.offer(sample("a", "other", HarmLabel.HARM_LABEL_HARMFUL, vector(rnd, D), vector(rnd, D))).kind());
        assertNull(intake.reservoir("other"));
        assertEquals(SampleOutcome.Kind.ACCEPTED,
                intake.offer(sample("b", "m", HarmLabel.HARM_LABEL_HARMFUL, vector(rnd, D), vector(rnd, D))).kind());
        assertArrayEquals(new int[]{4}, intake.reservoir("m").layers());
        assertEquals(1, intake.reservoir("m").stats().harmful());
    }

    @Test
    void shouldCarryResponseLabelsOfHarmfulRows() {
        assertEquals(1, SampleIntake.harmfulResponse(ResponseLabel.RESPONSE_LABEL_UNSPECIFIED));
        assertEquals(1, SampleIntake.harmfulResponse(ResponseLabel.RESPONSE_LABEL_REFUSED));
        assertEquals(3, SampleIntake.harmfulResponse(ResponseLabel.RESPONSE_LABEL_COMPLIED_WITH_WARNING));
        assertEquals(4, SampleIntake.harmfulResponse(ResponseLabel.RESPONSE_LABEL_REDIRECTED));
    }
}
