package dev.refusalmonitor.gateway;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PromptReaderTest {

    @Test
    void shouldReadAJsonArrayWithNullAndStringCategories() throws GatewayException {
        List<Prompt> p = PromptReader.parseJson("""
                [{"instruction": "a", "category": null}, {"instruction": "b", "category": "fraud", "id": "r-1"}]""", "x");
        assertEquals(2, p.size());
        assertEquals(new Prompt("a", null, null), p.get(0));
        assertEquals(new Prompt("b", "fraud", "r-1"), p.get(1));
    }

    @Test
    void shouldReadJsonLinesSkippingBlankLines() throws GatewayException {
        List<Prompt> p = PromptReader.parseJson("{\"instruction\": \"a\"}\n\n{\"instruction\": \"b\", \"category\": \"c\"}\n", "x");
        assertEquals(List.of(new Prompt("a", null, null), new Prompt("b", "c", null)), p);
    }

    @Test
    void shouldRejectEmptyPromptsNamingTheIndex() {
        GatewayException e = assertThrows(GatewayException.class, () -> PromptReader.parseJson(
                "[{\"instruction\": \"a\"}, {\"instruction\": \"  \"}]", "f.json"));
        assertEquals("f.json: prompt 1 is empty", e.getMessage());
        e = assertThrows(GatewayException.class, () -> PromptReader.parseJson(
                "{\"instruction\": \"a\"}\n\n{\"instruction\": \"\"}", "f.jsonl"));
        assertEquals("f.jsonl: prompt 1 (line 3) is empty", e.getMessage());
        e = assertThrows(GatewayException.class, () -> PromptReader.readLines(
                new ByteArrayInputStream("a\n\nb\n".getBytes(StandardCharsets.UTF_8)), "stdin"));
        assertEquals("stdin: prompt 1 (line 2) is empty", e.getMessage());
    }

    @Test
    void shouldRejectMalformedInput() {
        assertThrows(GatewayException.class, () -> PromptReader.parseJson("[{\"text\": \"a\"}]", "x"));
        assertThrows(GatewayException.class, () -> PromptReader.parseJson("[{\"instruction\": 3}]", "x"));
        assertThrows(GatewayException.class, () -> PromptReader.parseJson("[\"a\"]", "x"));
        assertThrows(GatewayException.class, () -> PromptReader.parseJson("[{\"instruction\": \"a\"", "x"));
        assertThrows(GatewayException.class, () -> PromptReader.parseJson("[]", "x"));
        GatewayException e = assertThrows(GatewayException.class, () -> PromptReader.read(Path.of("/nonexistent/p.json")));
        assertTrue(e.getMessage().contains("does not exist"), e.getMessage());
    }

    @Test
    void shouldReadStdinLines() throws GatewayException {
        List<Prompt> p = PromptReader.readLines(new ByteArrayInputStream("first\nsecond\n".getBytes(StandardCharsets.UTF_8)), "stdin");
        assertEquals(2, p.size());
        assertEquals("second", p.get(1).instruction());
        assertNull(p.get(1).category());
    }

    @Test
    void shouldShipFortyDemoPromptsPerClass() throws GatewayException {
        List<Prompt> harmful = PromptReader.readResource("prompts/demo_harmful.json");
        List<Prompt> harmless = PromptReader.readResource("prompts/demo_harmless.json");
        assertEquals(40, harmful.size());
        assertEquals(40, harmless.size());
        for (Prompt p : harmful) assertTrue(p.category() != null && !p.category().isBlank());
    }
}
