package dev.refusalmonitor.math;

import dev.refusalmonitor.math.score.CastScorer;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Prints the bits of the CAST kernel's results for fixed seeded inputs, one {@code name bits} line each, after the
 * JVM description on the first line. Run in a child JVM by {@link TanhCosineDeterminismTest} (e.g. with -Xint);
 * the optional argument is a number of warm-up rounds over the same calls before printing.
 */
public final class TanhCosineBitsMain {
    private TanhCosineBitsMain() {
    }

    public static void main(String[] args) {
        int warm = args.length > 0 ? Integer.parseInt(args[0]) : 0;
        System.out.println("vm " + System.getProperty("java.vm.info"));
        for (String line : results(warm)) System.out.println(line);
    }

    /** The {@code name bits} lines for the seeded cases after {@code warm} rounds of the same calls. */
    static List<String> results(int warm) {
        List<Case> cases = cases();
        for (int r = 0; r < warm; r++)
            for (Case k : cases) k.run();
        List<String> out = new ArrayList<>();
        for (Case k : cases) {
            double[] v = k.run();
            out.add(k.name + " tanhCosine " + Long.toHexString(Double.doubleToRawLongBits(v[0])));
            out.add(k.name + " similarity " + Long.toHexString(Double.doubleToRawLongBits(v[1])));
        }
        return out;
    }

    private static List<Case> cases() {
        List<Case> cases = new ArrayList<>();
        for (int d : new int[]{4096, 1000})
            for (long seed = 1; seed <= 3; seed++) {
                SplittableRandom rnd = new SplittableRandom(seed * 1000 + d);
                float[] c = new float[d], x = new float[d];
                for (int j = 0; j < d; j++) c[j] = (float) rnd.nextGaussian();
                // along c by 0.5, 1, 1.5: a c_j spans the curved part of tanh, where a lane-wise TANH differs by tier
                for (int j = 0; j < d; j++) x[j] = (float) (rnd.nextGaussian() + 0.5 * seed * c[j]);
                cases.add(new Case("d" + d + "-seed" + seed, x, c));
            }
        return cases;
    }

    private static final class Case {
        final String name;
        final float[] x, c;
        final CastScorer scorer;
        final double a;

        Case(String name, float[] x, float[] c) {
            this.name = name;
            this.x = x;
            this.c = c;
            scorer = new CastScorer(c, 0, true);
            double cx = 0, cc = 0;
            for (int j = 0; j < c.length; j++) {
                cx += (double) c[j] * x[j];
                cc += (double) c[j] * c[j];
            }
            a = cx / cc;
        }

        double[] run() {
            return new double[]{FloatKernels.tanhCosine(x, 0, c, a, c.length), scorer.similarity(x)};
        }
    }
}
