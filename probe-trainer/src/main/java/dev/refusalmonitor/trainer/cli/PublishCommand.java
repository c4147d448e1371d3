package dev.refusalmonitor.trainer.cli;

import dev.refusalmonitor.cli.CliException;

import dev.refusalmonitor.cli.ExitCodes;

import dev.refusalmonitor.contract.SizeLimits;

import dev.refusalmonitor.contract.directions.DirectionSetModel;
import dev.refusalmonitor.schemas.DirectionSetCodec;
import dev.refusalmonitor.schemas.signing.DirectionSetSigner;
import dev.refusalmonitor.schemas.InvalidDirectionSetException;
import dev.refusalmonitor.trainer.publish.SetTooLargeException;
import dev.refusalmonitor.trainer.publish.VersionedPublisher;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code probe-trainer publish --directions FILE}: publishes a set fitted offline as the model's next version. */
@Command(name = "publish", mixinStandardHelpOptions = true,
        description = "Publish a directions.pb written by 'fit' as the model's next version (no quality gate: you ran the fit).")
public final class PublishCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    KafkaOptions kafka;

    @Option(names = "--directions", required = true, paramLabel = "FILE", description = "A sealed set (fit's directions.pb).")
    Path directions;

    @Option(names = "--max-set-bytes", defaultValue = "" + SizeLimits.DEFAULT_MAX_SET_BYTES,
            description = "Refuse a set larger than this (default: ${DEFAULT-VALUE}).")
    long maxSetBytes;

    @Mixin
    SigningOptions signing;

    @Override
    public Integer call() throws Exception {
        byte[] written = Files.readAllBytes(directions);
        DirectionSetModel set;
        boolean signedFile;
        try {
            signedFile = !DirectionSetCodec.parseEnvelope(written).getSignature().isEmpty();
            set = DirectionSetCodec.open(written);
        } catch (InvalidDirectionSetException e) {
            throw CliException.usage(directions + " is not a valid direction set: " + e.getMessage());
        }
        DirectionSetSigner signer = signing.signer();
        VersionedPublisher.ensureTopics(kafka.clientProperties(), kafka.directionsTopic, kafka.historyTopic,
                maxSetBytes, kafka.timeout);
        try (VersionedPublisher p = new VersionedPublisher(kafka.clientProperties(), kafka.directionsTopic,
                kafka.historyTopic, maxSetBytes, kafka.timeout, signer)) {
            // The file as fit wrote it (same checksum and signature) when its version is the next one and no other
            // key is to sign it; otherwise sealed again as the next version.
            VersionedPublisher.Published out = signer == null || signedFile && signer.keyId().equals(
                    DirectionSetCodec.parseEnvelope(written).getKeyId()) ? p.publishAsWritten(written) : null;
            boolean asWritten = out != null;
            if (!asWritten) {
                if (signedFile && signer == null)
                    throw CliException.usage(directions + " is signed for version " + set.version() + " but model '"
                            + set.modelId() + "' needs version " + (p.latestVersion(set.modelId()) + 1)
                            + ": give --signing-key to sign it as that version, or refit with --set-version");
                out = p.publish(set.modelId(), v -> set.withVersion(v, System.currentTimeMillis()));
            }
            spec.commandLine().getOut().printf("model %s: published version %d (%d bytes, sha256 %s, %s, %s)%n",
                    set.modelId(), out.version(), out.sizeBytes(), out.sha256(),
                    out.keyId().isEmpty() ? "unsigned" : "signed by key " + out.keyId(),
                    asWritten ? "as written" : "sealed again as the next version");
            spec.commandLine().getOut().flush();
            return ExitCodes.OK;
        } catch (SetTooLargeException e) {
            throw new CliException(ExitCodes.REJECTED, e.getMessage());
        }
    }
}
