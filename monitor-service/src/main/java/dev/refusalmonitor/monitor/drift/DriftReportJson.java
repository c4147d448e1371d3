package dev.refusalmonitor.monitor.drift;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.refusalmonitor.math.drift.DriftReport;
import dev.refusalmonitor.math.drift.RateDifference;

/**
 * The drift topic's value: one JSON object per {@link DriftReport}, fields in lower_snake_case like the score JSON.
 * Non-finite numbers (comparison fields before the reference is ready) are written as {@code null}, so the value is
 * strict JSON any consumer can parse. The key is the slice, {@code model/tenant/route}.
 */
public final class DriftReportJson {
    /** Version of this JSON layout (field {@code schema_version}). */
    public static final int SCHEMA_VERSION = 1;
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private DriftReportJson() {
    }

    /** The topic key of a report: {@code model/tenant/route}. */
    public static String key(DriftReport r) {
        return r.slice().toString();
    }

    public static ObjectNode toTree(DriftReport r) {
        ObjectNode o = MAPPER.createObjectNode();
        o.put("schema_version", SCHEMA_VERSION);
        o.put("model", r.slice().model());
        o.put("tenant", r.slice().tenant());
        o.put("route", r.slice().route());
        o.put("window_index", r.windowIndex());
        o.put("closed_by", r.closedBy().name().toLowerCase(java.util.Locale.ROOT));
        o.put("directions_version", r.directionsVersion());
        o.put("first_event_unix_ms", r.firstEventMs());
        o.put("last_event_unix_ms", r.lastEventMs());
        o.put("n", r.n());
        num(o, "probe_probability_mean", r.probeProbabilityMean());
        num(o, "flagged_rate", r.flaggedRate());
        num(o, "cast_fire_rate", r.castFireRate());
        num(o, "ood_rate", r.oodRate());
        ObjectNode sectors = o.putObject("sector_shares");
        r.sectorShares().forEach((k, v) -> num(sectors, k, v));
        o.put("reference_ready", r.referenceReady());
        o.put("reference_n", r.referenceN());
        num(o, "psi_probability", r.psiProbability());
        num(o, "ks_probability", r.ksProbability());
        num(o, "ks_probability_p_value", r.ksProbabilityPValue());
        num(o, "psi_mahalanobis", r.psiMahalanobis());
        num(o, "ks_mahalanobis", r.ksMahalanobis());
        num(o, "ks_mahalanobis_p_value", r.ksMahalanobisPValue());
        num(o, "psi_sectors", r.psiSectors());
        difference(o, "flagged_difference", r.flaggedDifference());
        difference(o, "cast_fire_difference", r.castFireDifference());
        difference(o, "ood_difference", r.oodDifference());
        num(o, "flagged_z", r.flaggedZ());
        num(o, "cusum_up", r.cusumUp());
        num(o, "cusum_down", r.cusumDown());
        o.put("drifted", r.drifted());
        r.reasons().forEach(o.putArray("reasons")::add);
        return o;
    }

    /** UTF-8 JSON bytes of the report. */
    public static byte[] toBytes(DriftReport r) {
        try {
            return MAPPER.writeValueAsBytes(toTree(r));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialise a drift report: " + e.getMessage(), e);
        }
    }

    private static void difference(ObjectNode o, String name, RateDifference d) {
        if (d == null) {
            o.putNull(name);
            return;
        }
        ObjectNode n = o.putObject(name);
        num(n, "difference", d.difference());
        num(n, "lower", d.lower());
        num(n, "upper", d.upper());
        n.put("significant", d.significant());
    }

    private static void num(ObjectNode o, String name, double v) {
        if (Double.isFinite(v)) o.put(name, v);
        else o.putNull(name);
    }
}
