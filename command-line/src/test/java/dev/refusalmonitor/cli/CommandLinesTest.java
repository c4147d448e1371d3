package dev.refusalmonitor.cli;

import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.errors.SslAuthenticationException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.junit.jupiter.api.Test;

import javax.net.ssl.SSLHandshakeException;
import java.security.cert.CertificateException;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

/** One-line messages for Kafka's security failures: the reason behind "SSL handshake failed", the refused login. */
class CommandLinesTest {
    @Test
    void aFailedHandshakeSaysWhy() {
        SSLHandshakeException handshake = new SSLHandshakeException("No subject alternative DNS name matching localhost found.");
        handshake.initCause(new CertificateException("No subject alternative DNS name matching localhost found."));
        SslAuthenticationException ssl = new SslAuthenticationException("SSL handshake failed", handshake);
        RuntimeException wrapped = new IllegalStateException("list topics failed: SSL handshake failed", ssl);
        assertEquals("list topics failed: SSL handshake failed (No subject alternative DNS name matching localhost found.)",
                CommandLines.messageOf(wrapped));
        assertEquals("SSL handshake failed (No subject alternative DNS name matching localhost found.)",
                CommandLines.kafkaFailure(new KafkaException("StreamThread failed", ssl)));
    }

    @Test
    void securityFailuresAreFoundInTheCauseChain() {
        SaslAuthenticationException login = new SaslAuthenticationException("Authentication failed: invalid credentials");
        assertSame(login, CommandLines.securityFailure(new RuntimeException("x", new KafkaException("y", login))));
        TopicAuthorizationException acl = new TopicAuthorizationException(Set.of("directions"));
        assertSame(acl, CommandLines.securityFailure(new RuntimeException(acl)));
        assertEquals(acl.getMessage(), CommandLines.kafkaFailure(new RuntimeException("wrapped", acl)));
        assertNull(CommandLines.securityFailure(new KafkaException("timeout")));
        assertEquals("timeout", CommandLines.kafkaFailure(new KafkaException("timeout")));
    }

    @Test
    void aClientThatCannotBeBuiltSaysWhichSettingIsWrong() {
        KafkaException construct = new KafkaException("Failed to construct kafka producer",
                new KafkaException(new IllegalArgumentException("JAAS config entry not terminated by semi-colon")));
        assertEquals("Failed to construct kafka producer: JAAS config entry not terminated by semi-colon",
                CommandLines.messageOf(construct));
    }
}
