package dev.refusalmonitor.bench.e2e;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Samples this JVM's and another process's (the broker's) CPU time every 20 ms, so the CPU spent between two
 * instants of a drain (its first and last record) can be read afterwards by interpolation: CPU per record during the
 * drain, without a reader's start-up and group join. Both JVMs' JIT compiler threads are sampled too: their CPU
 * is part of each JVM's, and shows whether a reader was measured before the compilers had settled.
 */
final class CpuSampler implements AutoCloseable {
    private record Sample(long nanoTime, double selfSeconds, double otherSeconds, double jitSeconds, double otherJitSeconds) {
    }

    private final long otherPid;
    private final List<Sample> samples = new ArrayList<>();
    private final CompilerThreads self = new CompilerThreads("self");
    private final CompilerThreads other;
    private final Thread thread;
    private volatile boolean running = true;

    CpuSampler(long otherPid) {
        this.otherPid = otherPid;
        this.other = new CompilerThreads(Long.toString(otherPid));
        thread = new Thread(() -> {
            while (running) {
                Sample s = new Sample(System.nanoTime(), selfSeconds(), otherSeconds(), self.sample(), other.sample());
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

    /**
     * {this JVM, the other process} CPU seconds and their JIT compiler threads' CPU seconds (part of it) between two
     * System.nanoTime instants (interpolated).
     */
    double[] between(long fromNs, long toNs) {
        synchronized (samples) {
            return new double[] {at(toNs, Sample::selfSeconds) - at(fromNs, Sample::selfSeconds),
                    at(toNs, Sample::otherSeconds) - at(fromNs, Sample::otherSeconds),
                    at(toNs, Sample::jitSeconds) - at(fromNs, Sample::jitSeconds),
                    at(toNs, Sample::otherJitSeconds) - at(fromNs, Sample::otherJitSeconds)};
        }
    }

    /** This JVM's and the other process's JIT compiler CPU seconds at the latest sample. */
    double jitSeconds() {
        synchronized (samples) {
            return samples.isEmpty() ? 0 : samples.get(samples.size() - 1).jitSeconds() + samples.get(samples.size() - 1).otherJitSeconds();
        }
    }

    private double at(long ns, java.util.function.ToDoubleFunction<Sample> figure) {
        if (samples.isEmpty()) return Double.NaN;
        int i = 0;
        while (i + 1 < samples.size() && samples.get(i + 1).nanoTime() <= ns) i++;
        Sample a = samples.get(i), b = i + 1 < samples.size() ? samples.get(i + 1) : a;
        double va = figure.applyAsDouble(a), vb = figure.applyAsDouble(b);
        if (b.nanoTime() == a.nanoTime()) return va;
        double f = Math.max(0, Math.min(1, (double) (ns - a.nanoTime()) / (b.nanoTime() - a.nanoTime())));
        return va + f * (vb - va);
    }

    private static double selfSeconds() {
        var os = (com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean();
        return os.getProcessCpuTime() / 1e9;
    }

    /**
     * CPU seconds of one JVM's JIT compiler threads, from /proc/PID/task (their list is refreshed every 50 samples, as
     * HotSpot starts and stops compiler threads on demand; one that ended keeps its last figure in the total).
     */
    private static final class CompilerThreads {
        private final String pid;
        private final List<Path> stats = new ArrayList<>();
        private final java.util.Map<Path, Double> byThread = new java.util.HashMap<>();
        private long count;

        CompilerThreads(String pid) {
            this.pid = pid;
        }

        double sample() {
            if (count++ % 50 == 0) {
                stats.clear();
                threads(pid).forEach((stat, comm) -> {
                    if (comm.startsWith("C1 Compiler") || comm.startsWith("C2 Compiler")) stats.add(stat);
                });
            }
            for (Path stat : stats) {
                double s = ticks(stat);
                if (!Double.isNaN(s)) byThread.put(stat, s);
            }
            return byThread.values().stream().mapToDouble(Double::doubleValue).sum();
        }
    }

    /** The threads of process {@code pid} ("self" for this JVM): each one's /proc stat file and its name (comm). */
    static java.util.Map<Path, String> threads(String pid) {
        java.util.Map<Path, String> out = new java.util.HashMap<>();
        java.io.File[] tasks = new java.io.File("/proc/" + pid + "/task").listFiles();
        if (tasks != null) for (java.io.File task : tasks) {
            try {
                out.put(task.toPath().resolve("stat"), Files.readString(task.toPath().resolve("comm")).trim());
            } catch (IOException e) {
                // the thread ended meanwhile
            }
        }
        return out;
    }

    private double otherSeconds() {
        return ticks(Path.of("/proc/" + otherPid + "/stat"));
    }

    /** utime + stime (fields 14 and 15 of a /proc stat file, clock ticks of 1/100 s) in seconds. */
    static double ticks(Path statFile) {
        try {
            String stat = Files.readString(statFile);
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
