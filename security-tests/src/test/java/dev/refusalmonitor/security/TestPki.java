package dev.refusalmonitor.security;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.math.BigInteger;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * The certificates of the secured broker, made by the test (nothing is committed, nothing is downloaded): a CA; the
 * broker's key and certificate (SAN {@code DNS:localhost,IP:127.0.0.1}) signed by it, in a PKCS12 key store; the CA
 * as a PEM file (what the Kubernetes pods mount as {@code ca.crt}) and in a PKCS12 trust store; a second, unrelated
 * CA (an untrusted certificate); and a certificate signed by the good CA for another host name (to show that the
 * clients verify host names). Keys are EC P-256, certificates valid for two days.
 *
 * <p>The certificates are encoded here with a few lines of DER rather than with {@code keytool}: on the shared build
 * machine the dozen {@code keytool} processes this needs took longer than the rest of the set-up together.
 */
final class TestPki {
    static final String STORE_TYPE = "PKCS12";

    /** Password of the broker's own stores (the broker is not the product under test: no sentinel in it). */
    final String brokerStorePassword;
    /** Password of the clients' PKCS12 trust store: contains the sentinel, it must never be printed. */
    final String clientStorePassword;
    final Path brokerKeystore;
    final Path brokerTruststore;
    /** The CA certificate, PEM: {@code ssl.truststore.type=PEM}, as deployed. */
    final Path caPem;
    /** The CA certificate in a PKCS12 trust store protected by {@link #clientStorePassword}. */
    final Path clientTruststore;
    /** Another CA's certificate, PEM: the broker's certificate does not chain to it. */
    final Path untrustedCaPem;
    /** Key store (password {@link #brokerStorePassword}) with a certificate from the good CA for {@code elsewhere.invalid}. */
    final Path otherHostKeystore;

    private TestPki(Path dir, String brokerStorePassword, String clientStorePassword) {
        this.brokerStorePassword = brokerStorePassword;
        this.clientStorePassword = clientStorePassword;
        this.brokerKeystore = dir.resolve("broker.p12");
        this.brokerTruststore = dir.resolve("broker-truststore.p12");
        this.caPem = dir.resolve("ca.crt");
        this.clientTruststore = dir.resolve("client-truststore.p12");
        this.untrustedCaPem = dir.resolve("untrusted-ca.crt");
        this.otherHostKeystore = dir.resolve("other-host.p12");
    }

    static TestPki create(Path dir, String brokerStorePassword, String clientStorePassword)
            throws IOException, GeneralSecurityException {
        Files.createDirectories(dir);
        TestPki pki = new TestPki(dir, brokerStorePassword, clientStorePassword);
        KeyPair ca = keyPair();
        X509Certificate caCert = certificate("refusal-monitor test CA", ca, "refusal-monitor test CA", ca, true, List.of(), List.of());
        writePem(pki.caPem, caCert);
        trustStore(pki.brokerTruststore, caCert, brokerStorePassword);
        trustStore(pki.clientTruststore, caCert, clientStorePassword);

        KeyPair broker = keyPair();
        X509Certificate brokerCert = certificate("localhost", broker, "refusal-monitor test CA", ca, false,
                List.of("localhost"), List.of(InetAddress.getByName("127.0.0.1")));
        keyStore(pki.brokerKeystore, broker, brokerCert, caCert, brokerStorePassword);

        KeyPair other = keyPair();
        X509Certificate otherCert = certificate("elsewhere.invalid", other, "refusal-monitor test CA", ca, false,
                List.of("elsewhere.invalid"), List.of());
        keyStore(pki.otherHostKeystore, other, otherCert, caCert, brokerStorePassword);

        KeyPair rogue = keyPair();
        writePem(pki.untrustedCaPem, certificate("some other CA", rogue, "some other CA", rogue, true, List.of(), List.of()));
        return pki;
    }

    private static KeyPair keyPair() throws GeneralSecurityException {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"));
        return g.generateKeyPair();
    }

    private static void trustStore(Path file, X509Certificate ca, String password) throws IOException, GeneralSecurityException {
        KeyStore ks = KeyStore.getInstance(STORE_TYPE);
        ks.load(null, null);
        ks.setCertificateEntry("ca", ca);
        store(ks, file, password);
    }

    private static void keyStore(Path file, KeyPair key, X509Certificate cert, X509Certificate ca, String password)
            throws IOException, GeneralSecurityException {
        KeyStore ks = KeyStore.getInstance(STORE_TYPE);
        ks.load(null, null);
        ks.setKeyEntry("server", key.getPrivate(), password.toCharArray(), new Certificate[]{cert, ca});
        store(ks, file, password);
    }

    private static void store(KeyStore ks, Path file, String password) throws IOException, GeneralSecurityException {
        try (OutputStream out = Files.newOutputStream(file)) {
            ks.store(out, password.toCharArray());
        }
    }

    private static void writePem(Path file, X509Certificate cert) throws IOException, GeneralSecurityException {
        String b64 = Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(cert.getEncoded());
        Files.writeString(file, "-----BEGIN CERTIFICATE-----\n" + b64 + "\n-----END CERTIFICATE-----\n", StandardCharsets.US_ASCII);
    }

    // ---- X.509 v3 in DER (RFC 5280), signed with ECDSA/SHA-256 ----

    private static final String ECDSA_WITH_SHA256 = "1.2.840.10045.4.3.2";

    static X509Certificate certificate(String subjectCn, KeyPair subject, String issuerCn, KeyPair issuer, boolean ca,
                                       List<String> dnsNames, List<InetAddress> ips) throws GeneralSecurityException {
        Instant now = Instant.now();
        List<byte[]> extensions = new ArrayList<>();
        if (ca) {
            extensions.add(extension("2.5.29.19", true, seq(bool(true))));                       // basicConstraints CA
            extensions.add(extension("2.5.29.15", true, bitString(new byte[]{(byte) 0x06}, 1)));  // keyCertSign, cRLSign
        } else {
            List<byte[]> names = new ArrayList<>();
            for (String d : dnsNames) names.add(tlv(0x82, d.getBytes(StandardCharsets.US_ASCII)));  // [2] dNSName
            for (InetAddress ip : ips) names.add(tlv(0x87, ip.getAddress()));                     // [7] iPAddress
            extensions.add(extension("2.5.29.17", false, seq(names.toArray(byte[][]::new))));      // subjectAltName
            extensions.add(extension("2.5.29.15", true, bitString(new byte[]{(byte) 0x88}, 3)));  // digitalSignature, keyAgreement
            extensions.add(extension("2.5.29.37", false, seq(oid("1.3.6.1.5.5.7.3.1"), oid("1.3.6.1.5.5.7.3.2"))));
        }
        byte[] algorithm = seq(oid(ECDSA_WITH_SHA256));
        byte[] tbs = seq(
                tlv(0xA0, integer(BigInteger.TWO)),                                     // [0] version v3
                integer(new BigInteger(64, new SecureRandom()).add(BigInteger.ONE)),    // serial
                algorithm,
                name(issuerCn),
                seq(time(now.minus(Duration.ofHours(1))), time(now.plus(Duration.ofDays(2)))),
                name(subjectCn),
                subject.getPublic().getEncoded(),                                        // SubjectPublicKeyInfo
                tlv(0xA3, seq(extensions.toArray(byte[][]::new))));                     // [3] extensions
        Signature s = Signature.getInstance("SHA256withECDSA");
        s.initSign(issuer.getPrivate());
        s.update(tbs);
        byte[] der = seq(tbs, algorithm, bitString(s.sign(), 0));
        return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(new ByteArrayInputStream(der));
    }

    private static byte[] name(String cn) {
        return seq(set(seq(oid("2.5.4.3"), tlv(0x0C, cn.getBytes(StandardCharsets.UTF_8)))));
    }

    private static byte[] extension(String id, boolean critical, byte[] value) {
        return critical ? seq(oid(id), bool(true), tlv(0x04, value)) : seq(oid(id), tlv(0x04, value));
    }

    private static byte[] time(Instant t) {
        String s = DateTimeFormatter.ofPattern("yyMMddHHmmss'Z'").withZone(ZoneOffset.UTC).format(t);
        return tlv(0x17, s.getBytes(StandardCharsets.US_ASCII));
    }

    private static byte[] bool(boolean b) {
        return tlv(0x01, new byte[]{(byte) (b ? 0xFF : 0)});
    }

    private static byte[] integer(BigInteger v) {
        return tlv(0x02, v.toByteArray());
    }

    private static byte[] bitString(byte[] bits, int unusedBits) {
        byte[] v = new byte[bits.length + 1];
        v[0] = (byte) unusedBits;
        System.arraycopy(bits, 0, v, 1, bits.length);
        return tlv(0x03, v);
    }

    private static byte[] oid(String dotted) {
        String[] parts = dotted.split("\\.");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(Integer.parseInt(parts[0]) * 40 + Integer.parseInt(parts[1]));
        for (int i = 2; i < parts.length; i++) {
            long v = Long.parseLong(parts[i]);
            int groups = Math.max(1, (64 - Long.numberOfLeadingZeros(v) + 6) / 7);
            for (int g = groups - 1; g >= 0; g--) out.write((int) ((v >>> (7 * g)) & 0x7F) | (g > 0 ? 0x80 : 0));
        }
        return tlv(0x06, out.toByteArray());
    }

    private static byte[] seq(byte[]... parts) {
        return tlv(0x30, concat(parts));
    }

    private static byte[] set(byte[]... parts) {
        return tlv(0x31, concat(parts));
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) out.writeBytes(p);
        return out.toByteArray();
    }

    private static byte[] tlv(int tag, byte[] value) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(tag);
        int n = value.length;
        if (n < 0x80) {
            out.write(n);
        } else {
            int bytes = (32 - Integer.numberOfLeadingZeros(n) + 7) / 8;
            out.write(0x80 | bytes);
            for (int i = bytes - 1; i >= 0; i--) out.write((n >>> (8 * i)) & 0xFF);
        }
        out.writeBytes(value);
        return out.toByteArray();
    }
}
