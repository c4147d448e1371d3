package dev.refusalmonitor.trainer.cli;

import dev.refusalmonitor.cli.CliException;

import dev.refusalmonitor.cli.ExitCodes;

import dev.refusalmonitor.contract.directions.DirectionSetModel;
import dev.refusalmonitor.contract.directions.LayerDirections;
import dev.refusalmonitor.trainer.publish.DirectionsCatalog;
import dev.refusalmonitor.trainer.publish.PublishedSet;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.PrintWriter;
import java.time.Instant;
import java.util.concurrent.Callable;

/** {@code probe-trainer show MODEL}: one set's details and its report JSON. */
@Command(name = "show", mixinStandardHelpOptions = true,
        description = "Show the set in force for MODEL (or --set-version N from the history topic) with its report JSON.")
public final class ShowCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    KafkaOptions kafka;

    @Parameters(index = "0", paramLabel = "MODEL", description = "Model id.")
    String modelId;

    @Option(names = "--set-version", paramLabel = "N", description = "An earlier version, from the history topic.")
    Long version;

    @Override
    public Integer call() {
        PublishedSet p = version == null
                ? DirectionsCatalog.inForce(kafka.clientProperties(), kafka.directionsTopic, kafka.timeout).get(modelId)
                : DirectionsCatalog.fromHistory(kafka.clientProperties(), kafka.historyTopic, modelId, version, kafka.timeout);
        if (p == null)
            throw new CliException(ExitCodes.USAGE, "no direction set for model '" + modelId + "'"
                    + (version == null ? " on " + kafka.directionsTopic : " version " + version + " on " + kafka.historyTopic));
        DirectionSetModel s = p.set();
        PrintWriter o = spec.commandLine().getOut();
        o.printf("model:          %s%n", s.modelId());
        o.printf("revision:       %s%n", s.modelRevision().isEmpty() ? "-" : s.modelRevision());
        o.printf("version:        %d%n", s.version());
        o.printf("created-at:     %s%n", Instant.ofEpochMilli(s.createdAtUnixMs()));
        o.printf("signed by:      %s%n", p.keyId().isEmpty() ? "unsigned" : "key " + p.keyId());
        o.printf("d:              %d%n", s.d());
        o.printf("layers:         %s%n", ListCommand.layers(s));
        o.printf("scoring layer:  %d%n", s.scoringLayer());
        o.printf("CAST layer:     %d%n", s.castLayer());
        o.printf("samples:        %d harmful / %d harmless%n", s.harmfulCount(), s.harmlessCount());
        boolean exact = false;
        for (LayerDirections l : s.layers()) exact |= l.mahalanobis().hasExact();
        o.printf("mahalanobis:    %s%n", exact ? "exact+low_rank" : "low_rank");
        o.printf("size:           %d bytes%n", p.sizeBytes());
        o.printf("sha256:         %s%n", p.sha256());
        o.println("report:");
        o.println(s.reportJson().isEmpty() ? "{}" : s.reportJson());
        o.flush();
        return ExitCodes.OK;
    }
}
