package dev.refusalmonitor.trainer.cli;

import dev.refusalmonitor.cli.ExitCodes;
import dev.refusalmonitor.schemas.signing.SigningKeys;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.nio.file.Path;
import java.security.KeyPair;
import java.util.concurrent.Callable;

/** {@code probe-trainer keygen}: a new Ed25519 key pair for signing direction sets. */
@Command(name = "keygen", mixinStandardHelpOptions = true,
        description = "Write a new Ed25519 key pair: DIR/signing-key.pem (private, PKCS#8; keep it secret) and "
                + "DIR/signing-key.pub.pem (public, X.509; give it to the monitors as a trusted key).")
public final class KeygenCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Directory of the two files (never overwritten).")
    Path out;

    @Override
    public Integer call() throws Exception {
        KeyPair pair = SigningKeys.generate();
        SigningKeys.write(pair, out);
        spec.commandLine().getOut().printf("key id %s: wrote %s and %s%n", SigningKeys.keyId(pair.getPublic()),
                out.resolve(SigningKeys.PRIVATE_KEY_FILE), out.resolve(SigningKeys.PUBLIC_KEY_FILE));
        return ExitCodes.OK;
    }
}
