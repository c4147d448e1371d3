package dev.refusalmonitor.trainer.cli;

import dev.refusalmonitor.cli.CliException;
import dev.refusalmonitor.schemas.signing.DirectionSetSigner;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Path;

/** {@code --signing-key}: the Ed25519 key that signs the sets a command writes (a picocli mixin). */
public final class SigningOptions {

    @Option(names = "--signing-key", paramLabel = "FILE",
            description = "Ed25519 private key (PKCS#8 PEM, from 'probe-trainer keygen') that signs the set; "
                    + "monitors accept only sets signed by a key they trust.")
    Path signingKey;

    /** The signer, or null when no key was given. */
    public DirectionSetSigner signer() {
        if (signingKey == null) return null;
        try {
            return DirectionSetSigner.fromPem(signingKey);
        } catch (IOException e) {
            throw CliException.usage("cannot read the signing key " + signingKey + ": " + e.getMessage());
        }
    }
}
