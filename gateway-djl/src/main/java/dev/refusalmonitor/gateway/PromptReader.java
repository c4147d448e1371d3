package dev.refusalmonitor.gateway;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads prompts from a JSON array of {@code {"instruction": str, "category": str|null}} objects (optional
 * {@code "id"}), from JSONL (one such object per line), or from plain text (one prompt per line, e.g. stdin).
 * Empty prompts are rejected with their index (0-based) named.
 */
public final class PromptReader {
    private static final ObjectMapper JSON = new ObjectMapper().enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

    private PromptReader() {
    }

    /** A JSON array or JSONL file (told apart by the first non-blank character: '[' = array). */
    public static List<Prompt> read(Path file) throws GatewayException {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new GatewayException("prompt file " + file + " does not exist");
        } catch (IOException e) {
            throw new GatewayException("cannot read prompt file " + file + ": " + e.getMessage(), e);
        }
        return parseJson(text, file.toString());
    }

    /** The class-path resource {@code name} (e.g. {@code prompts/demo_harmful.json}). */
    public static List<Prompt> readResource(String name) throws GatewayException {
        try (InputStream in = PromptReader.class.getClassLoader().getResourceAsStream(name)) {
            if (in == null) throw new GatewayException("prompt resource " + name + " not on the class path");
            return parseJson(new String(in.readAllBytes(), StandardCharsets.UTF_8), name);
        } catch (IOException e) {
            throw new GatewayException("cannot read prompt resource " + name + ": " + e.getMessage(), e);
        }
    }

    /** JSON array or JSONL text; {@code source} names it in messages. */
    public static List<Prompt> parseJson(String text, String source) throws GatewayException {
        String trimmed = text.strip();
        if (trimmed.isEmpty()) throw new GatewayException(source + ": no prompts");
        List<Prompt> out = new ArrayList<>();
        if (trimmed.startsWith("[")) {
            JsonNode root;
            try {
                root = JSON.readTree(trimmed);
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                throw new GatewayException(source + ": not valid JSON: " + e.getOriginalMessage());
            }
            for (int i = 0; i < root.size(); i++) out.add(prompt(root.get(i), source, "prompt " + i, i));
        } else {
            String[] lines = trimmed.split("\\R");
            for (int i = 0; i < lines.length; i++) {
                if (lines[i].isBlank()) continue;
                JsonNode node;
                try {
                    node = JSON.readTree(lines[i]);
                } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                    throw new GatewayException(source + ": line " + (i + 1) + " is not valid JSON: " + e.getOriginalMessage());
                }
                out.add(prompt(node, source, "prompt " + out.size() + " (line " + (i + 1) + ")", out.size()));
            }
        }
        if (out.isEmpty()) throw new GatewayException(source + ": no prompts");
        return out;
    }

    /** One prompt per line; blank lines are rejected with their index, since a line is a prompt here. */
    public static List<Prompt> readLines(InputStream in, String source) throws GatewayException {
        List<Prompt> out = new ArrayList<>();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                if (line.isBlank()) throw new GatewayException(source + ": prompt " + out.size() + " (line " + (out.size() + 1) + ") is empty");
                out.add(new Prompt(line, null, null));
            }
        } catch (IOException e) {
            throw new GatewayException("cannot read prompts from " + source + ": " + e.getMessage(), e);
        }
        if (out.isEmpty()) throw new GatewayException(source + ": no prompts");
        return out;
    }

    private static Prompt prompt(JsonNode node, String source, String where, int index) throws GatewayException {
        if (node == null || !node.isObject())
            throw new GatewayException(source + ": " + where + " is not an object with an \"instruction\"");
        JsonNode instruction = node.get("instruction");
        if (instruction == null || !instruction.isTextual())
            throw new GatewayException(source + ": " + where + " has no string \"instruction\"");
        if (instruction.asText().isBlank()) throw new GatewayException(source + ": " + where + " is empty");
        JsonNode category = node.get("category");
        if (category != null && !category.isNull() && !category.isTextual())
            throw new GatewayException(source + ": " + where + " has a \"category\" that is neither a string nor null");
        JsonNode id = node.get("id");
        if (id != null && !id.isNull() && !id.isTextual())
            throw new GatewayException(source + ": " + where + " has an \"id\" that is not a string");
        return new Prompt(instruction.asText(),
                category == null || category.isNull() ? null : category.asText(),
                id == null || id.isNull() ? null : id.asText());
    }
}
