package dev.refusalmonitor.monitor.testing;

import dev.refusalmonitor.schemas.signing.DirectionSetSigner;
import dev.refusalmonitor.schemas.signing.SigningKeys;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.PublicKey;

/**
 * The tests' trusted signing key: one Ed25519 pair per test JVM, its public key written to a temporary PEM file that
 * test configurations name in {@code refusal.monitor.directions.trusted.keys}. Fixture sets are signed with it.
 */
public final class TestKeys {
    private static final KeyPair PAIR = SigningKeys.generate();
    private static final DirectionSetSigner SIGNER = DirectionSetSigner.of(PAIR);
    private static final Path DIR;

    static {
        try {
            DIR = Files.createTempDirectory("monitor-test-keys");
            SigningKeys.write(PAIR, DIR);
            DIR.resolve(SigningKeys.PRIVATE_KEY_FILE).toFile().deleteOnExit();
            DIR.resolve(SigningKeys.PUBLIC_KEY_FILE).toFile().deleteOnExit();
            DIR.toFile().deleteOnExit();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private TestKeys() {
    }

    public static DirectionSetSigner signer() {
        return SIGNER;
    }

    public static PublicKey publicKey() {
        return PAIR.getPublic();
    }

    /** The trusted public key as a PEM file. */
    public static Path publicKeyFile() {
        return DIR.resolve(SigningKeys.PUBLIC_KEY_FILE);
    }

    /** The trusted private key as a PEM file (for {@code probe-trainer --signing-key}). */
    public static Path privateKeyFile() {
        return DIR.resolve(SigningKeys.PRIVATE_KEY_FILE);
    }
}
