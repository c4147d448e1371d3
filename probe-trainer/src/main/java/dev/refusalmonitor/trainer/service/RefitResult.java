package dev.refusalmonitor.trainer.service;

import java.nio.file.Path;

/**
 * What one refit did.
 *
 * @param version the published version (0 unless PUBLISHED)
 * @param report the trainer report, or null when no fit ran (SKIPPED, FAILED)
 * @param reportFile where the report was written, or null
 */
public record RefitResult(String modelId, Outcome outcome, long version, TrainerReport report, String message,
                          Path reportFile) {

    public enum Outcome { PUBLISHED, REJECTED, SKIPPED, FAILED }

    public String outcomeTag() {
        return outcome.name().toLowerCase(java.util.Locale.ROOT);
    }
}
