package dev.refusalmonitor.schemas;

import com.google.protobuf.ByteString;
import dev.refusalmonitor.contract.directions.DirectionSetModel;
import dev.refusalmonitor.schemas.signing.DirectionSetSigner;
import dev.refusalmonitor.schemas.signing.SigningKeys;
import dev.refusalmonitor.schemas.signing.TrustedKeys;
import dev.refusalmonitor.schemas.v1.DirectionSetEnvelope;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Ed25519 signatures on direction sets: key files, key ids, and what a monitor's trust check finds. */
class DirectionSetSigningTest {
    private static final DirectionSetModel MODEL = TestModels.model(3, 8, new int[]{1, 2}, false);

    @TempDir
    Path tmp;

    @Test
    void keyFilesRoundTripAndTheSignerDerivesThePublicKeyFromThePrivateOne() throws Exception {
        KeyPair pair = SigningKeys.generate();
        SigningKeys.write(pair, tmp);
        DirectionSetSigner fromFile = DirectionSetSigner.fromPem(tmp.resolve(SigningKeys.PRIVATE_KEY_FILE));
        assertArrayEquals(pair.getPublic().getEncoded(), fromFile.publicKey().getEncoded());
        assertEquals(SigningKeys.keyId(pair.getPublic()), fromFile.keyId());
        assertEquals(16, fromFile.keyId().length());
        assertArrayEquals(pair.getPublic().getEncoded(),
                SigningKeys.readPublic(tmp.resolve(SigningKeys.PUBLIC_KEY_FILE)).getEncoded());
        assertTrue(Files.readString(tmp.resolve(SigningKeys.PRIVATE_KEY_FILE)).startsWith("-----BEGIN PRIVATE KEY-----"));
        assertThrows(java.nio.file.FileAlreadyExistsException.class, () -> SigningKeys.write(SigningKeys.generate(), tmp),
                "a key is never overwritten");
    }

    @Test
    void aSignedSetVerifiesAgainstItsKeyOnly() throws Exception {
        DirectionSetSigner signer = DirectionSetSigner.of(SigningKeys.generate());
        DirectionSetSigner other = DirectionSetSigner.of(SigningKeys.generate());
        DirectionSetEnvelope signed = DirectionSetCodec.envelope(MODEL, signer);
        assertEquals(signer.keyId(), signed.getKeyId());

        TrustedKeys trustSigner = TrustedKeys.of(List.of(signer.publicKey(), other.publicKey()));
        assertEquals(TrustedKeys.Verdict.VALID, trustSigner.verify(signed));
        assertEquals(TrustedKeys.Verdict.UNTRUSTED_KEY, TrustedKeys.of(List.of(other.publicKey())).verify(signed));
        assertEquals(TrustedKeys.Verdict.UNSIGNED, trustSigner.verify(DirectionSetCodec.envelope(MODEL, null)));
        assertEquals(MODEL.version(), DirectionSetCodec.open(signed).version(), "a signed set opens like any other");
    }

    @Test
    void anyChangeToThePayloadBreaksTheSignatureEvenWithARecomputedChecksum() throws Exception {
        DirectionSetSigner signer = DirectionSetSigner.of(SigningKeys.generate());
        DirectionSetEnvelope signed = DirectionSetCodec.envelope(MODEL, signer);
        byte[] payload = signed.getPayload().toByteArray();
        payload[payload.length / 2] ^= 1;
        DirectionSetEnvelope tampered = signed.toBuilder().setPayload(ByteString.copyFrom(payload))
                .setSha256(DirectionSetCodec.sha256Hex(payload)).build();
        TrustedKeys trust = TrustedKeys.of(List.of(signer.publicKey()));
        assertEquals(TrustedKeys.Verdict.BAD_SIGNATURE, trust.verify(tampered));
        DirectionSetEnvelope otherVersion = DirectionSetCodec.envelope(MODEL.withVersion(MODEL.version() + 1, 0), null)
                .toBuilder().setSignature(signed.getSignature()).setKeyId(signed.getKeyId()).build();
        assertEquals(TrustedKeys.Verdict.BAD_SIGNATURE, trust.verify(otherVersion), "a signature cannot move to another version");
    }

    @Test
    void badKeyFilesFailWithTheFileNameAndNeverItsContent() throws Exception {
        Path notPem = tmp.resolve("k.pem");
        Files.writeString(notPem, "secret-looking-text");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SigningKeys.readPrivate(notPem));
        assertTrue(e.getMessage().contains(notPem.toString()), e.getMessage());
        assertFalse(e.getMessage().contains("secret-looking-text"), e.getMessage());
    }
}
