package dev.refusalmonitor.security;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.SocketException;
import java.nio.file.Files;
import java.security.KeyStore;

/**
 * A TLS server on 127.0.0.1 that presents a certificate from the clients' own, trusted CA, but issued for another
 * host ({@code elsewhere.invalid}): a client that checks only the chain would talk to it; one that verifies host
 * names (Kafka's default, {@code ssl.endpoint.identification.algorithm=https}) refuses it during the handshake.
 */
final class TlsImpostor implements AutoCloseable {
    private final SSLServerSocket server;
    private final Thread acceptor;

    TlsImpostor(TestPki pki) throws Exception {
        KeyStore ks = KeyStore.getInstance(TestPki.STORE_TYPE);
        try (InputStream in = Files.newInputStream(pki.otherHostKeystore)) {
            ks.load(in, pki.brokerStorePassword.toCharArray());
        }
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, pki.brokerStorePassword.toCharArray());
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(kmf.getKeyManagers(), null, null);
        server = (SSLServerSocket) ctx.getServerSocketFactory().createServerSocket(0, 50, InetAddress.getLoopbackAddress());
        acceptor = new Thread(this::serve, "tls-impostor");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    /** {@code localhost:PORT}: the name the client checks is localhost, the certificate names elsewhere.invalid. */
    String bootstrapServers() {
        return "localhost:" + server.getLocalPort();
    }

    private void serve() {
        while (!server.isClosed()) {
            try (SSLSocket s = (SSLSocket) server.accept()) {
                s.setSoTimeout(10_000);
                s.startHandshake();  // the client aborts it
                s.getInputStream().read();
            } catch (SocketException e) {
                if (server.isClosed()) return;
            } catch (IOException e) {
                // the expected end of every connection: the client refused the certificate
            }
        }
    }

    @Override
    public void close() throws IOException {
        server.close();
    }
}
