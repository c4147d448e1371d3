package dev.refusalmonitor.trainer.cli;

import dev.refusalmonitor.cli.CliException;

import dev.refusalmonitor.cli.ExitCodes;

import dev.refusalmonitor.contract.SizeLimits;

import dev.refusalmonitor.trainer.publish.VersionedPublisher;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.util.concurrent.Callable;

/** {@code probe-trainer rollback MODEL --to VERSION}: re-publishes an earlier set as a new version. */
@Command(name = "rollback", mixinStandardHelpOptions = true,
        description = "Re-publish an earlier version of MODEL (read from the history topic) as the next version.")
public final class RollbackCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    KafkaOptions kafka;

    @Parameters(index = "0", paramLabel = "MODEL", description = "Model id.")
    String modelId;

    @Option(names = "--to", required = true, paramLabel = "VERSION", description = "The earlier version to bring back.")
    long to;

    @Option(names = "--max-set-bytes", defaultValue = "" + SizeLimits.DEFAULT_MAX_SET_BYTES,
            description = "Refuse a set larger than this (default: ${DEFAULT-VALUE}).")
    long maxSetBytes;

    @Mixin
    SigningOptions signing;

    @Override
    public Integer call() throws Exception {
        if (to < 1) throw CliException.usage("--to must be >= 1, got " + to);
        try (VersionedPublisher p = new VersionedPublisher(kafka.clientProperties(), kafka.directionsTopic,
                kafka.historyTopic, maxSetBytes, kafka.timeout, signing.signer())) {
            VersionedPublisher.Published out;
            try {
                out = p.rollback(modelId, to);
            } catch (IllegalArgumentException e) {
                throw CliException.usage(e.getMessage());
            }
            spec.commandLine().getOut().printf("model %s: version %d re-published as version %d (%d bytes, sha256 %s, %s)%n",
                    modelId, to, out.version(), out.sizeBytes(), out.sha256(),
                    out.keyId().isEmpty() ? "unsigned" : "signed by key " + out.keyId());
            spec.commandLine().getOut().flush();
            return ExitCodes.OK;
        }
    }
}
