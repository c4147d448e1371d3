package dev.refusalmonitor.schemas.signing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Base64;
import java.util.HexFormat;

/**
 * Ed25519 keys for direction sets, with the JDK's own EdDSA: PEM files ({@code PRIVATE KEY} = PKCS#8,
 * {@code PUBLIC KEY} = X.509 SubjectPublicKeyInfo, as {@code openssl genpkey -algorithm ed25519} writes them) and the
 * key id (the first 16 hex digits of the SHA-256 of the public key's X.509 encoding).
 */
public final class SigningKeys {
    public static final String ALGORITHM = "Ed25519";
    public static final String PRIVATE_KEY_FILE = "signing-key.pem";
    public static final String PUBLIC_KEY_FILE = "signing-key.pub.pem";

    private SigningKeys() {
    }

    public static KeyPair generate() {
        try {
            return KeyPairGenerator.getInstance(ALGORITHM).generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("this JVM has no " + ALGORITHM + " (JDK 15+ has)", e);
        }
    }

    /** The key id of a public key. */
    public static String keyId(PublicKey key) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(key.getEncoded());
            return HexFormat.of().formatHex(digest, 0, 8);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Writes {@code dir/signing-key.pem} (owner read/write only where the file system allows) and
     * {@code dir/signing-key.pub.pem}; refuses to overwrite either.
     */
    public static void write(KeyPair pair, Path dir) throws IOException {
        Files.createDirectories(dir);
        Path priv = dir.resolve(PRIVATE_KEY_FILE);
        Path pub = dir.resolve(PUBLIC_KEY_FILE);
        for (Path p : new Path[]{priv, pub})
            if (Files.exists(p)) throw new java.nio.file.FileAlreadyExistsException(p.toString(), null, "will not overwrite a key");
        Files.createFile(priv);
        try {
            Files.setPosixFilePermissions(priv, PosixFilePermissions.fromString("rw-------"));
        } catch (UnsupportedOperationException notPosix) {
            // the file system has no POSIX permissions; the directory's protection applies
        }
        Files.writeString(priv, pem("PRIVATE KEY", pair.getPrivate().getEncoded()), StandardCharsets.US_ASCII);
        Files.writeString(pub, pem("PUBLIC KEY", pair.getPublic().getEncoded()), StandardCharsets.US_ASCII);
    }

    public static PrivateKey readPrivate(Path file) throws IOException {
        byte[] der = der(file, "PRIVATE KEY");
        try {
            return KeyFactory.getInstance(ALGORITHM).generatePrivate(new PKCS8EncodedKeySpec(der));
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException(file + " is not an " + ALGORITHM + " private key (PKCS#8 PEM): " + e.getMessage());
        }
    }

    public static PublicKey readPublic(Path file) throws IOException {
        byte[] der = der(file, "PUBLIC KEY");
        try {
            return KeyFactory.getInstance(ALGORITHM).generatePublic(new X509EncodedKeySpec(der));
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException(file + " is not an " + ALGORITHM + " public key (X.509 PEM): " + e.getMessage());
        }
    }

    static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, new byte[]{'\n'}).encodeToString(der)
                + "\n-----END " + type + "-----\n";
    }

    private static byte[] der(Path file, String type) throws IOException {
        String text = Files.readString(file, StandardCharsets.US_ASCII);
        String begin = "-----BEGIN " + type + "-----";
        String end = "-----END " + type + "-----";
        int b = text.indexOf(begin);
        int e = text.indexOf(end);
        // Never echo the file's content: it may be a key.
        if (b < 0 || e < b) throw new IllegalArgumentException(file + " has no PEM block '" + begin + "'");
        try {
            return Base64.getMimeDecoder().decode(text.substring(b + begin.length(), e));
        } catch (IllegalArgumentException bad) {
            throw new IllegalArgumentException(file + " has a PEM block that is not base64");
        }
    }
}
