package dev.refusalmonitor.trainer.cli;

import dev.refusalmonitor.cli.ExitCodes;

import dev.refusalmonitor.contract.directions.DirectionSetModel;
import dev.refusalmonitor.contract.directions.LayerDirections;
import dev.refusalmonitor.trainer.publish.DirectionsCatalog;
import dev.refusalmonitor.trainer.publish.PublishedSet;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.PrintWriter;
import java.time.Instant;
import java.util.Collection;
import java.util.concurrent.Callable;

/** {@code probe-trainer list}: the direction sets on the topic. */
@Command(name = "list", mixinStandardHelpOptions = true,
        description = "List the direction sets in force (or, with --history MODEL, every published version of a model).")
public final class ListCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    KafkaOptions kafka;

    @Option(names = "--history", paramLabel = "MODEL", description = "List every version of MODEL from the history topic.")
    String historyModel;

    @Override
    public Integer call() {
        Collection<PublishedSet> sets = historyModel == null
                ? DirectionsCatalog.inForce(kafka.clientProperties(), kafka.directionsTopic, kafka.timeout).values()
                : DirectionsCatalog.history(kafka.clientProperties(), kafka.historyTopic, historyModel, kafka.timeout).values();
        PrintWriter o = spec.commandLine().getOut();
        o.printf("%-24s %8s  %-24s %6s  %-12s %8s %12s  %s%n", "MODEL", "VERSION", "CREATED", "D", "LAYERS", "SCORING", "BYTES", "SHA256");
        for (PublishedSet p : sets) {
            DirectionSetModel s = p.set();
            o.printf("%-24s %8d  %-24s %6d  %-12s %8d %12d  %s%n", s.modelId(), s.version(),
                    Instant.ofEpochMilli(s.createdAtUnixMs()), s.d(), layers(s), s.scoringLayer(), p.sizeBytes(),
                    p.sha256().substring(0, Math.min(12, p.sha256().length())));
        }
        if (sets.isEmpty()) o.println("(no direction sets on " + (historyModel == null ? kafka.directionsTopic : kafka.historyTopic) + ")");
        o.flush();
        return ExitCodes.OK;
    }

    static String layers(DirectionSetModel s) {
        StringBuilder b = new StringBuilder();
        for (LayerDirections l : s.layers()) b.append(b.length() == 0 ? "" : ",").append(l.layer());
        return b.toString();
    }
}
