package dev.refusalmonitor.monitor.cli;

/**
 * What the monitor and {@code score} say when the JVM was started without {@code --add-modules jdk.incubator.vector}:
 * the plain-loop kernels then score, which agree with the SIMD ones to f32 rounding but not bit for bit. Every
 * launcher ({@code bin/lib/launch.sh}, the benchmarks, the tests) sets the flag; a hand-written {@code java} command
 * must too, for offline scores to equal the stream's bits.
 */
public final class SimdNotice {
    public static final String TEXT = "warning: this JVM was started without --add-modules jdk.incubator.vector: scoring "
            + "uses the plain-loop kernels (about 4x slower at d = 4096), whose results can differ in the last bits from "
            + "a JVM with the flag; start the monitor and the offline score command the same way (bin/monitor-service does)";

    private SimdNotice() {
    }
}
