package dev.refusalmonitor.bench.e2e;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Samples this JVM's and another process's (the broker's) CPU time every 20 ms, so the CPU spent between two
 * instants of a drain (its first and last record) can be read afterwards by interpolation: CPU per record during the
 * drain, without a reader's start-up and group join.
 */
final class CpuSampler implements AutoCloseable {
    private record Sample(long nanoTime, double selfSeconds, double otherSeconds) {
    }

    private final long otherPid;
    private final List<Sample> samples = new ArrayList<>();
    private final Thread thread;
    private volatile boolean running = true;

    CpuSampler(long otherPid) {
        this.otherPid = otherPid;
        thread = new Thread(() -> {
            while (running) {
                Sample s = new Sample(System.nanoTime(), selfSeconds(), otherSeconds());
                synchronized (samples) {
                    samples.add(s);
                }
                try {
                    Thread.sleep(20);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "cpu-sampler");
        thread.setDaemon(true);
        thread.start();
    }

    /** {this JVM, the other process} CPU seconds between two System.nanoTime instants (interpolated). */
    double[] between(long fromNs, long toNs) {
        synchronized (samples) {
            return new double[] {at(toNs, true) - at(fromNs, true), at(toNs, false) - at(fromNs, false)};
        }
    }

    private double at(long ns, boolean self) {
        if (samples.isEmpty()) return Double.NaN;
        int i = 0;
        while (i + 1 < samples.size() && samples.get(i + 1).nanoTime() <= ns) i++;
        Sample a = samples.get(i), b = i + 1 < samples.size() ? samples.get(i + 1) : a;
        double va = self ? a.selfSeconds() : a.otherSeconds(), vb = self ? b.selfSeconds() : b.otherSeconds();
        if (b.nanoTime() == a.nanoTime()) return va;
        double f = Math.max(0, Math.min(1, (double) (ns - a.nanoTime()) / (b.nanoTime() - a.nanoTime())));
        return va + f * (vb - va);
    }

    private static double selfSeconds() {
        var os = (com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean();
        return os.getProcessCpuTime() / 1e9;
    }

    /** utime + stime (fields 14 and 15 of /proc/PID/stat, clock ticks of 1/100 s). */
    private double otherSeconds() {
        try {
            String stat = Files.readString(Path.of("/proc/" + otherPid + "/stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return (Long.parseLong(f[11]) + Long.parseLong(f[12])) / 100.0;
        } catch (IOException | RuntimeException e) {
            return Double.NaN;
        }
    }

    @Override
    public void close() throws InterruptedException {
        running = false;
        thread.interrupt();
        thread.join(1000);
    }
}
