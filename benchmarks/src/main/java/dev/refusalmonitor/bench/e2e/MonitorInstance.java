package dev.refusalmonitor.bench.e2e;

import dev.refusalmonitor.bench.FittedSets;
import dev.refusalmonitor.contract.directions.DirectionSetModel;
import dev.refusalmonitor.monitor.app.MonitorApp;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A second monitor instance in its own JVM, for {@link ProcessBrokerBenchmark}'s "2 instances" row. It first warms
 * up (one monitor drains WARM_TOPIC with its own application id, so this JVM's JIT is as warm as the parent's), prints
 * {@code warmed}, waits for a line {@code go} on stdin, then starts a monitor with the parent's application id
 * (PREFIX-app, the same consumer group: the two instances share the partitions) on INPUT. Every 100 ms it prints
 * {@code count DEAD COUNT FIRST_MS LAST_MS} (epoch ms of its first and last score); stdin closing stops it.
 *
 * <p>Usage: MonitorInstance BOOTSTRAP WORK_DIR PREFIX INPUT GUARANTEE(eos|alos) D LAYERS K WARM_TOPIC WARM_N
 */
public final class MonitorInstance {
    private MonitorInstance() {
    }

    public static void main(String[] args) throws Exception {
        String bootstrap = args[0], prefix = args[2], input = args[3];
        boolean eos = args[4].equals("eos");
        int d = Integer.parseInt(args[5]), layers = Integer.parseInt(args[6]), k = Integer.parseInt(args[7]);
        String warmTopic = args[8];
        int warmN = Integer.parseInt(args[9]);
        EndToEndBenchmark b = new EndToEndBenchmark(bootstrap, Path.of(args[1]));
        DirectionSetModel set = FittedSets.withLowRankK(FittedSets.cached(d, layers, 200, 1024), k);
        b.drain(prefix + "-warm", warmTopic, set, warmN, eos);
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        System.out.println("warmed");
        System.out.flush();
        if (!"go".equals(in.readLine())) return;

        ScoreTimes listener = new ScoreTimes(System::currentTimeMillis);
        AtomicLong count = listener.count, dead = listener.dead, first = listener.first, last = listener.last;
        try (MonitorApp app = MonitorApp.start(b.config(prefix, input, eos), listener)) {
            Thread reporter = new Thread(() -> {
                try {
                    while (!Thread.currentThread().isInterrupted()) {
                        System.out.println("count " + dead.get() + " " + count.get() + " " + first.get() + " " + last.get());
                        System.out.flush();
                        Thread.sleep(100);
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }, "reporter");
            reporter.setDaemon(true);
            reporter.start();
            while (in.readLine() != null) {
                // stdin closed = stop
            }
            reporter.interrupt();
        }
    }
}
