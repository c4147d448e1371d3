package dev.refusalmonitor.math.fit;

import java.util.SplittableRandom;

/** The seeded shuffles of the fit (split, folds, label control, PCA pairing) all draw the same way. */
final class Permutations {
    private Permutations() {
    }

    /** A Fisher–Yates permutation of 0..n−1: for i from n−1 down to 1, swap i with {@code rnd.nextInt(i + 1)}. */
    static int[] shuffled(int n, SplittableRandom rnd) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) p[i] = i;
        for (int i = n - 1; i > 0; i--) {
            int j = rnd.nextInt(i + 1);
            int t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
        return p;
    }
}
