package dev.refusalmonitor.schemas.signing;

import dev.refusalmonitor.schemas.v1.DirectionSetEnvelope;

import java.io.IOException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.PublicKey;
import java.security.Signature;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * The public keys whose direction sets a monitor accepts, by key id. Several keys may be trusted at once so keys can
 * be rotated: trust the new key, re-sign and publish with it, then stop trusting the old one.
 */
public final class TrustedKeys {
    /** What {@link #verify} found. */
    public enum Verdict {
        /** Signed by a trusted key, and the signature matches the payload. */
        VALID,
        /** No signature. */
        UNSIGNED,
        /** Signed by a key that is not trusted here. */
        UNTRUSTED_KEY,
        /** Signed by a trusted key id, but the signature does not match the payload. */
        BAD_SIGNATURE
    }

    private final Map<String, PublicKey> byId;

    private TrustedKeys(Map<String, PublicKey> byId) {
        this.byId = Map.copyOf(byId);
    }

    public static TrustedKeys of(Collection<PublicKey> keys) {
        Map<String, PublicKey> m = new LinkedHashMap<>();
        for (PublicKey k : keys) m.put(SigningKeys.keyId(k), k);
        return new TrustedKeys(m);
    }

    /** Reads X.509 PEM public keys ({@code signing-key.pub.pem}). */
    public static TrustedKeys load(Collection<Path> pemFiles) throws IOException {
        Map<String, PublicKey> m = new LinkedHashMap<>();
        for (Path p : pemFiles) {
            PublicKey k = SigningKeys.readPublic(p);
            m.put(SigningKeys.keyId(k), k);
        }
        return new TrustedKeys(m);
    }

    public Set<String> keyIds() {
        return byId.keySet();
    }

    public boolean isEmpty() {
        return byId.isEmpty();
    }

    public Verdict verify(DirectionSetEnvelope envelope) {
        if (envelope.getSignature().isEmpty()) return Verdict.UNSIGNED;
        PublicKey key = byId.get(envelope.getKeyId());
        if (key == null) return Verdict.UNTRUSTED_KEY;
        try {
            Signature s = Signature.getInstance(SigningKeys.ALGORITHM);
            s.initVerify(key);
            s.update(envelope.getPayload().toByteArray());
            return s.verify(envelope.getSignature().toByteArray()) ? Verdict.VALID : Verdict.BAD_SIGNATURE;
        } catch (GeneralSecurityException e) {
            return Verdict.BAD_SIGNATURE;
        }
    }
}
