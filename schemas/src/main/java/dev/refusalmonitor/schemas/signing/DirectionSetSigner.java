package dev.refusalmonitor.schemas.signing;

import java.io.IOException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.interfaces.EdECPrivateKey;
import java.security.spec.NamedParameterSpec;

/** Signs direction-set payloads with an Ed25519 private key (the trainer's {@code --signing-key}). */
public final class DirectionSetSigner {
    private final PrivateKey key;
    private final PublicKey publicKey;
    private final String keyId;

    private DirectionSetSigner(PrivateKey key, PublicKey publicKey) {
        this.key = key;
        this.publicKey = publicKey;
        this.keyId = SigningKeys.keyId(publicKey);
    }

    public static DirectionSetSigner of(KeyPair pair) {
        return new DirectionSetSigner(pair.getPrivate(), pair.getPublic());
    }

    /** Reads a PKCS#8 PEM private key ({@code signing-key.pem}); the public key is derived from it. */
    public static DirectionSetSigner fromPem(Path file) throws IOException {
        PrivateKey key = SigningKeys.readPrivate(file);
        return new DirectionSetSigner(key, publicKeyOf(key));
    }

    public String keyId() {
        return keyId;
    }

    public PublicKey publicKey() {
        return publicKey;
    }

    /** The Ed25519 signature of {@code payload}. */
    public byte[] sign(byte[] payload) {
        try {
            Signature s = Signature.getInstance(SigningKeys.ALGORITHM);
            s.initSign(key);
            s.update(payload);
            return s.sign();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot sign with key " + keyId + ": " + e.getMessage(), e);
        }
    }

    /**
     * An Ed25519 public key is a function of the private key's 32-byte seed; the JDK has no call for it, but its key
     * pair generator computes exactly that from the seed it draws, so it is handed the seed as its "random" bytes.
     */
    private static PublicKey publicKeyOf(PrivateKey key) {
        if (!(key instanceof EdECPrivateKey ed) || ed.getBytes().isEmpty())
            throw new IllegalArgumentException("not an Ed25519 private key");
        byte[] seed = ed.getBytes().get();
        SecureRandom replay = new SecureRandom() {
            @Override
            public void nextBytes(byte[] bytes) {
                if (bytes.length != seed.length) throw new IllegalStateException("unexpected key generation");
                System.arraycopy(seed, 0, bytes, 0, seed.length);
            }
        };
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance(SigningKeys.ALGORITHM);
            g.initialize(NamedParameterSpec.ED25519, replay);
            return g.generateKeyPair().getPublic();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot derive the public key: " + e.getMessage(), e);
        }
    }
}
