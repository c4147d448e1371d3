package dev.refusalmonitor.trainer.cli;

import dev.refusalmonitor.cli.ExitCodes;
import dev.refusalmonitor.trainer.publish.VersionedPublisher;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.util.concurrent.Callable;

/** {@code probe-trainer withdraw}: a signed withdrawal of a model's directions. */
@Command(name = "withdraw", mixinStandardHelpOptions = true,
        description = {"Withdraw a model's directions: publish a withdrawal record, signed with --signing-key, as the "
                + "model's next version. Monitors then dead-letter the model's records (no_directions) until a newer "
                + "set is published. A plain tombstone does not withdraw a model unless the monitors allow it."})
public final class WithdrawCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    KafkaOptions kafka;

    @Mixin
    SigningOptions signing;

    @Parameters(index = "0", paramLabel = "MODEL", description = "Model id.")
    String modelId;

    @Override
    public Integer call() {
        try (VersionedPublisher p = new VersionedPublisher(kafka.clientProperties(), kafka.directionsTopic,
                kafka.historyTopic, 1024, kafka.timeout, signing.signer())) {
            VersionedPublisher.Published out = p.withdraw(modelId);
            spec.commandLine().getOut().printf("model %s: withdrawn as of version %d (%s)%n", modelId, out.version(),
                    out.keyId().isEmpty() ? "unsigned" : "signed by key " + out.keyId());
            spec.commandLine().getOut().flush();
            return ExitCodes.OK;
        }
    }
}
