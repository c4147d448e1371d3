package dev.refusalmonitor.security;

import org.junit.jupiter.api.Test;
import org.opentest4j.AssertionFailedError;
import org.slf4j.LoggerFactory;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The leak check itself finds what it looks for: in a log line, in a collected text, and nowhere else. */
class OutputsTest {
    @Test
    void findsASecretLoggedOrCollectedAndShowsWhereNotWhat() {
        String secret = SecureKafka.randomSecret(SecureKafka.SECRET_SENTINEL + "-self-check-");
        try (Outputs outputs = Outputs.capture()) {
            outputs.assertFree("a password", List.of(secret));
            LoggerFactory.getLogger(OutputsTest.class).info("connecting with password {}", secret);
            AssertionFailedError logged = assertThrows(AssertionFailedError.class,
                    () -> outputs.assertFree("a password", List.of(secret)));
            assertTrue(logged.getMessage().contains("the log (System.out and System.err)"), logged.getMessage());
            assertTrue(logged.getMessage().contains("connecting with password <a password>"), logged.getMessage());
            assertFalse(logged.getMessage().contains(secret), "the failure message must not repeat the secret");
            outputs.add("a metrics page", "x{value=\"73519.87\"} 1");
            AssertionFailedError collected = assertThrows(AssertionFailedError.class,
                    () -> outputs.assertFree("the sentinel hidden-state value", SecuredPipelineTest.SENTINEL_SPELLINGS));
            assertTrue(collected.getMessage().contains("a metrics page"), collected.getMessage());
        }
    }
}
