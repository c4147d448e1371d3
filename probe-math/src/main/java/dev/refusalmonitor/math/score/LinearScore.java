package dev.refusalmonitor.math.score;

/** Argument checks shared by the projection scorers. */
final class LinearScore {
    private LinearScore() {
    }

    static float[] checkDirection(float[] direction, String name) {
        if (direction == null || direction.length == 0) throw new IllegalArgumentException(name + " direction is empty");
        for (int i = 0; i < direction.length; i++)
            if (!Float.isFinite(direction[i])) throw new IllegalArgumentException(name + " direction has a non-finite value at " + i);
        return direction;
    }

    static void checkRow(float[] x, int off, int d) {
        if (off < 0 || off > x.length - d)
            throw new IllegalArgumentException("row [" + off + ", " + (off + d) + ") is outside an array of " + x.length);
    }
}
