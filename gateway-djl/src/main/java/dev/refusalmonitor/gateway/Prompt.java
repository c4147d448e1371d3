package dev.refusalmonitor.gateway;

/**
 * One prompt to embed.
 *
 * @param instruction the prompt text (never logged)
 * @param category    optional category from the input (e.g. a harm category), or null
 * @param id          stable request id from the input, or null to generate one
 */
public record Prompt(String instruction, String category, String id) {
}
