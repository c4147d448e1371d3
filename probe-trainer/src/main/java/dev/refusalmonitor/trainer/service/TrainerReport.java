package dev.refusalmonitor.trainer.service;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.refusalmonitor.math.fit.FitReport;
import dev.refusalmonitor.trainer.reservoir.SampleReservoir;

/**
 * The report JSON the trainer writes for every refit (and embeds in every set it publishes): the fit's
 * {@link FitReport} unchanged under "fit" (camelCase keys, as fit's report.json), the gate's verdict under "gate", and the reservoir it was fitted from.
 *
 * @param version the published version, or 0 when the set was not published
 * @param published whether the set went to the directions topic
 * @param refusal why it was not published ("" when it was)
 */
public record TrainerReport(String modelId, long version, boolean published, String refusal,
                            long createdAtUnixMs,
                            SampleReservoir.Stats reservoir, GateResult gate, FitReport fit) {

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    public String toJson() {
        try {
            return JSON.writeValueAsString(this);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException("cannot serialise the trainer report: " + e.getMessage(), e);
        }
    }

    public TrainerReport published(long newVersion) {
        return new TrainerReport(modelId, newVersion, true, "", createdAtUnixMs, reservoir, gate, fit);
    }

    public TrainerReport refused(String why) {
        return new TrainerReport(modelId, 0, false, why, createdAtUnixMs, reservoir, gate, fit);
    }
}
