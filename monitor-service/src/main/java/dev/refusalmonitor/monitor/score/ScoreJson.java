package dev.refusalmonitor.monitor.score;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import dev.refusalmonitor.math.score.Scores;

import java.io.IOException;
import java.io.Writer;

/**
 * Writes {@link Scores} as one JSON object per line with the field names docs/DESIGN.md "Command lines" fixes for
 * {@code monitor-service score}. Doubles are written with full precision so the offline and stream paths can be
 * compared exactly.
 */
public final class ScoreJson implements AutoCloseable {
    private static final JsonFactory FACTORY = new JsonFactory();
    private final JsonGenerator gen;
    private final Writer out;

    public ScoreJson(Writer out) throws IOException {
        this.out = out;
        this.gen = FACTORY.createGenerator(out);
        gen.setRootValueSeparator(null);
    }

    /** Writes one line for {@code row}. */
    public void write(long row, Scores s) throws IOException {
        gen.writeStartObject();
        gen.writeNumberField("row", row);
        gen.writeNumberField("dim", s.dim);
        gen.writeNumberField("dim_standardized", s.dimStandardized);
        gen.writeNumberField("fisher", s.fisher);
        gen.writeNumberField("probe_probability", s.probeProbability);
        gen.writeBooleanField("flagged", s.flagged);
        gen.writeNumberField("mahalanobis_refusal", s.mahalanobisRefusal);
        gen.writeNumberField("mahalanobis_ood", s.mahalanobisOod);
        gen.writeNumberField("ood_tail_probability", s.oodTailProbability);
        gen.writeStringField("mahalanobis_path", s.mahalanobisPath());
        gen.writeNumberField("cast_similarity", s.castSimilarity);
        gen.writeBooleanField("cast_fired", s.castFired);
        gen.writeNumberField("angle_deg", s.angleDeg);
        gen.writeStringField("sector", s.sector);
        gen.writeNumberField("layer", s.layer);
        gen.writeNumberField("directions_version", s.directionsVersion);
        if (s.hasEnsemble()) gen.writeNumberField("mahalanobis_ensemble", s.mahalanobisEnsemble);
        gen.writeEndObject();
        gen.flush();
        out.write('\n');
    }

    @Override
    public void close() throws IOException {
        gen.close();
    }
}
