package dev.refusalmonitor.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;

/** One line describing where and when a benchmark ran, for BENCHMARKS.md. */
public final class Machine {
    private Machine() {
    }

    public static String describe() {
        String cpu = grep(Path.of("/proc/cpuinfo"), "model name");
        String mem = grep(Path.of("/proc/meminfo"), "MemTotal");
        long memGib = mem.isEmpty() ? -1 : Math.round(Long.parseLong(mem.replaceAll("[^0-9]", "")) / 1048576.0);
        return String.format("%s; nproc %d; memory %d GiB; JDK %s (%s); max heap %d MiB; %s",
                cpu.isEmpty() ? "unknown CPU" : cpu, Runtime.getRuntime().availableProcessors(), memGib,
                System.getProperty("java.vm.version"), System.getProperty("java.vm.name"),
                Runtime.getRuntime().maxMemory() >> 20,
                ZonedDateTime.now().format(DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm z")));
    }

    private static String grep(Path file, String key) {
        try {
            for (String line : Files.readAllLines(file))
                if (line.startsWith(key)) return line.substring(line.indexOf(':') + 1).trim();
        } catch (IOException | RuntimeException e) {
            return "";
        }
        return "";
    }
}
