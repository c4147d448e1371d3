package dev.refusalmonitor.schemas;

import com.google.protobuf.ByteString;
import dev.refusalmonitor.contract.directions.DirectionSetModel;
import dev.refusalmonitor.contract.directions.LogisticProbeParams;
import dev.refusalmonitor.contract.directions.MultiLayerProbe;
import dev.refusalmonitor.schemas.InvalidDirectionSetException.Reason;
import dev.refusalmonitor.schemas.v1.DType;
import dev.refusalmonitor.schemas.v1.DirectionSet;
import dev.refusalmonitor.schemas.v1.DirectionSetEnvelope;
import dev.refusalmonitor.schemas.v1.LayerDirections;
import dev.refusalmonitor.schemas.v1.Mahalanobis;
import org.junit.jupiter.api.Test;

import java.util.function.UnaryOperator;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DirectionSetCodecTest {
    private static final int D = 16;
    private final DirectionSetModel model = TestModels.model(5, D, new int[] {3, 6, 9}, false);

    @Test
    void roundTripsEveryFieldBitExactly() throws Exception {
        byte[] sealed = DirectionSetCodec.seal(model);
        DirectionSetModel back = DirectionSetCodec.open(sealed);
        TestModels.assertDeepEquals(model, back, "model");
        // Optional parts absent on some layers stay absent.
        assertNull(back.layer(6).mahalanobis().exactWhitening());
        assertNull(back.layer(6).pcaReadingVector());
        assertEquals(D * (D + 1) / 2, back.layer(3).mahalanobis().exactWhitening().length);
        assertEquals(2, back.layer(9).mahalanobis().k());
        // Serialisation is deterministic: re-sealing gives the same bytes.
        assertArrayEquals(sealed, DirectionSetCodec.seal(back));
    }

    @Test
    void envelopeCarriesChecksumAndIdentity() throws Exception {
        DirectionSetEnvelope e = DirectionSetEnvelope.parseFrom(DirectionSetCodec.seal(model));
        assertEquals(1, e.getSchemaVersion());
        assertEquals("test/model-16", e.getModelId());
        assertEquals(7, e.getVersion());
        assertEquals(DirectionSetCodec.sha256Hex(e.getPayload().toByteArray()), e.getSha256());
        assertTrue(e.getSha256().matches("[0-9a-f]{64}"), e.getSha256());
        DirectionSet payload = DirectionSet.parseFrom(e.getPayload());
        for (LayerDirections l : payload.getLayersList()) {
            assertEquals(DType.D_TYPE_F32, l.getMeanHarmful().getDtype(), "vectors are stored as f32");
        }
    }

    @Test
    void sha256MatchesAKnownVector() {
        assertEquals("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
                DirectionSetCodec.sha256Hex("abc".getBytes(java.nio.charset.StandardCharsets.US_ASCII)));
    }

    @Test
    void halfPrecisionTensorsAreAcceptedOnReading() throws Exception {
        DirectionSet p = DirectionSetCodec.toProto(model);
        float[] mean = model.layer(3).meanHarmful();
        DirectionSet half = p.toBuilder().setLayers(0, p.getLayers(0).toBuilder()
                .setMeanHarmful(TensorCodec.tensor(mean, DType.D_TYPE_BF16, D))).build();
        float[] back = DirectionSetCodec.fromProto(half).layer(3).meanHarmful();
        for (int i = 0; i < D; i++) assertEquals(dev.refusalmonitor.contract.HalfFloats.bf16ToFloat(
                dev.refusalmonitor.contract.HalfFloats.floatToBf16(mean[i])), back[i]);
    }

    @Test
    void garbageIsCorrupt() {
        assertReason(Reason.CORRUPT, "not a parseable DirectionSetEnvelope",
                () -> DirectionSetCodec.open(new byte[] {(byte) 0xff, (byte) 0xff, 0x03}));
    }

    @Test
    void aTamperedPayloadFailsTheChecksum() throws Exception {
        DirectionSetEnvelope e = DirectionSetCodec.envelope(model, null);
        byte[] payload = e.getPayload().toByteArray();
        payload[payload.length / 2] ^= 1;
        DirectionSetEnvelope tampered = e.toBuilder().setPayload(ByteString.copyFrom(payload)).build();
        assertReason(Reason.CHECKSUM_MISMATCH, "but the envelope says " + e.getSha256(),
                () -> DirectionSetCodec.open(tampered.toByteArray()));
        assertReason(Reason.MISSING_FIELD, "sha256 is empty",
                () -> DirectionSetCodec.open(e.toBuilder().clearSha256().build().toByteArray()));
    }

    @Test
    void anUnparseablePayloadWithAValidChecksumIsCorrupt() {
        byte[] junk = {(byte) 0xff, (byte) 0xff, (byte) 0xff};
        DirectionSetEnvelope e = DirectionSetEnvelope.newBuilder().setSchemaVersion(1)
                .setPayload(ByteString.copyFrom(junk)).setSha256(DirectionSetCodec.sha256Hex(junk)).build();
        assertReason(Reason.CORRUPT, "payload is not a parseable DirectionSet",
                () -> DirectionSetCodec.open(e.toByteArray()));
    }

    @Test
    void unknownSchemaVersionsAreRefused() throws Exception {
        DirectionSetEnvelope e = DirectionSetCodec.envelope(model, null);
        assertReason(Reason.UNSUPPORTED_VERSION, "envelope schema_version 2",
                () -> DirectionSetCodec.open(e.toBuilder().setSchemaVersion(2).build()));
        assertReason(Reason.MISSING_FIELD, "envelope schema_version is unset",
                () -> DirectionSetCodec.open(e.toBuilder().setSchemaVersion(0).build()));
        assertReason(Reason.UNSUPPORTED_VERSION, "direction set schema_version 3",
                () -> reseal(p -> p.toBuilder().setSchemaVersion(3).build()));
    }

    @Test
    void envelopeIdentityMustMatchThePayload() throws Exception {
        DirectionSetEnvelope e = DirectionSetCodec.envelope(model, null);
        assertReason(Reason.IDENTITY_MISMATCH, "envelope model_id 'other' but payload model_id 'test/model-16'",
                () -> DirectionSetCodec.open(e.toBuilder().setModelId("other").build()));
        assertReason(Reason.IDENTITY_MISMATCH, "envelope version 8 but payload version 7",
                () -> DirectionSetCodec.open(e.toBuilder().setVersion(8).build()));
    }

    @Test
    void requiredFieldsMustBePresent() {
        assertReason(Reason.MISSING_FIELD, "model_id is empty", () -> reseal(p -> p.toBuilder().clearModelId().build()));
        assertReason(Reason.MISSING_FIELD, "version is 0", () -> reseal(p -> p.toBuilder().setVersion(0).build()));
        assertReason(Reason.MISSING_FIELD, "dim is 0", () -> reseal(p -> p.toBuilder().setDim(0).build()));
        assertReason(Reason.MISSING_FIELD, "no layers", () -> reseal(p -> p.toBuilder().clearLayers().build()));
        assertReason(Reason.MISSING_FIELD, "scoring_layer 4 is not among the layers [3, 6, 9]",
                () -> reseal(p -> p.toBuilder().setScoringLayer(4).build()));
        assertReason(Reason.MISSING_FIELD, "cast_layer 0 is not among the layers [3, 6, 9]",
                () -> reseal(p -> p.toBuilder().setCastLayer(0).build()));
        assertReason(Reason.MISSING_FIELD, "ensemble layer 11 is not among the layers",
                () -> reseal(p -> p.toBuilder().setEnsemble(p.getEnsemble().toBuilder().addLayers(11)).build()));
        assertReason(Reason.MISSING_FIELD, "layer 6 fisher_direction is absent",
                () -> reseal(layer(1, l -> l.toBuilder().clearFisherDirection().build())));
        assertReason(Reason.MISSING_FIELD, "layer 6 probe is absent",
                () -> reseal(layer(1, l -> l.toBuilder().clearProbe().build())));
        assertReason(Reason.MISSING_FIELD, "layer 9 mahalanobis_refusal_projection is absent",
                () -> reseal(layer(2, l -> l.toBuilder().clearMahalanobisRefusalProjection().build())));
        assertReason(Reason.MISSING_FIELD, "layer 3 cast.condition_vector is absent",
                () -> reseal(layer(0, l -> l.toBuilder().setCast(l.getCast().toBuilder().clearConditionVector())
                        .build())));
    }

    @Test
    void duplicateLayersAreInvalid() {
        assertReason(Reason.INVALID_VALUE, "layer 3 appears more than once",
                () -> reseal(p -> p.toBuilder().addLayers(p.getLayers(0)).build()));
    }

    @Test
    void vectorsMustHaveTheSetsDim() {
        assertReason(Reason.DIMENSION_MISMATCH, "layer 9 dim_direction has shape [15] (15 values), expected [16]",
                () -> reseal(layer(2, l -> l.toBuilder().setDimDirection(TensorCodec.vector(new float[15])).build())));
        assertReason(Reason.DIMENSION_MISMATCH, "refusal_plane.origin has shape [17]",
                () -> reseal(p -> p.toBuilder().setRefusalPlane(p.getRefusalPlane().toBuilder()
                        .setOrigin(TensorCodec.vector(new float[17]))).build()));
    }

    @Test
    void eigenvectorsMustBeKByDim() {
        assertReason(Reason.DIMENSION_MISMATCH, "layer 6 mahalanobis.eigenvectors has shape [2, 15] (30 values), "
                        + "expected [k, dim] = [2, 16] (32 values",
                () -> reseal(mahalanobis(1, m -> m.toBuilder()
                        .setEigenvectors(TensorCodec.tensor(new float[30], DType.D_TYPE_F32, 2, 15)).build())));
        assertReason(Reason.DIMENSION_MISMATCH, "expected [k, dim] = [3, 16]",
                () -> reseal(mahalanobis(1, m -> m.toBuilder().addEigenvalues(1.0).build())));
        assertReason(Reason.MISSING_FIELD, "eigenvectors is absent but there are 2 eigenvalues",
                () -> reseal(mahalanobis(1, m -> m.toBuilder().clearEigenvectors().build())));
    }

    @Test
    void exactWhiteningMustBeThePackedTriangle() {
        assertReason(Reason.DIMENSION_MISMATCH, "layer 3 mahalanobis.exact_whitening has shape [135] (135 values), "
                        + "expected [dim(dim+1)/2] = [136]",
                () -> reseal(mahalanobis(0, m -> m.toBuilder()
                        .setExactWhitening(TensorCodec.vector(new float[135])).build())));
    }

    @Test
    void aTensorWhoseBytesDisagreeWithItsShapeIsCorrupt() {
        assertReason(Reason.CORRUPT, "layer 3 mean_harmless of shape [16] and D_TYPE_F32 should have 64 bytes but has 60",
                () -> reseal(layer(0, l -> l.toBuilder().setMeanHarmless(l.getMeanHarmless().toBuilder()
                        .setData(l.getMeanHarmless().getData().substring(4))).build())));
    }

    @Test
    void nonFiniteValuesAreRefusedWithTheirPlace() {
        float[] v = new float[D];
        v[5] = Float.NaN;
        assertReason(Reason.NON_FINITE, "layer 6 probe.coefficients element 5 of 16 is not finite",
                () -> reseal(layer(1, l -> l.toBuilder().setProbe(l.getProbe().toBuilder()
                        .setCoefficients(TensorCodec.vector(v))).build())));
        assertReason(Reason.NON_FINITE, "layer 3 cast.threshold is not finite",
                () -> reseal(layer(0, l -> l.toBuilder().setCast(l.getCast().toBuilder()
                        .setThreshold(Double.POSITIVE_INFINITY)).build())));
        assertReason(Reason.NON_FINITE, "layer 3 mahalanobis.eigenvalues[1] is not finite",
                () -> reseal(mahalanobis(0, m -> m.toBuilder().setEigenvalues(1, Double.NaN).build())));
    }

    @Test
    void outOfDomainValuesAreInvalid() {
        float[] std = new float[D];
        java.util.Arrays.fill(std, 1f);
        std[2] = 0f;
        assertReason(Reason.INVALID_VALUE, "layer 3 probe.feature_std element 2 is not positive",
                () -> reseal(layer(0, l -> l.toBuilder().setProbe(l.getProbe().toBuilder()
                        .setFeatureStd(TensorCodec.vector(std))).build())));
        assertReason(Reason.INVALID_VALUE, "decision_threshold 1.5 is not a probability",
                () -> reseal(layer(0, l -> l.toBuilder().setProbe(l.getProbe().toBuilder()
                        .setDecisionThreshold(1.5)).build())));
    }

    @Test
    void sealRefusesAnInvalidModel() {
        DirectionSetModel bad = new DirectionSetModel(model.modelId(), model.modelRevision(), model.version(),
                model.createdAtUnixMs(), D + 1, model.scoringLayer(), model.castLayer(), model.layers(),
                model.refusalPlane(), model.ensembleLayers(), 1, 1, "");
        assertReason(Reason.DIMENSION_MISMATCH, "expected [17]", () -> DirectionSetCodec.seal(bad));
        assertReason(Reason.MISSING_FIELD, "version is 0", () -> DirectionSetCodec.seal(model.withVersion(0, 0)));
    }

    /** The model with a multi-layer probe over layers 3 and 9 and a target FPR of 1 %. */
    private DirectionSetModel withMultiLayer() {
        float[] mean = new float[2 * D], std = new float[2 * D], coef = new float[2 * D];
        for (int i = 0; i < 2 * D; i++) {
            mean[i] = 0.25f * i;
            std[i] = 1 + 0.5f * i;
            coef[i] = (i % 3 - 1) * 0.125f;
        }
        MultiLayerProbe mp = new MultiLayerProbe(new int[]{3, 9},
                new LogisticProbeParams(mean, std, coef, -0.75, 1.0, 0.8125), "concat");
        return new DirectionSetModel(model.modelId(), model.modelRevision(), model.version(), model.createdAtUnixMs(),
                model.d(), model.scoringLayer(), model.castLayer(), model.layers(), model.refusalPlane(),
                model.ensembleLayers(), model.harmfulCount(), model.harmlessCount(), model.reportJson(), mp, 0.01);
    }

    @Test
    void roundTripsTheMultiLayerProbeAndTheTargetFpr() throws Exception {
        DirectionSetModel m = withMultiLayer();
        DirectionSetModel back = DirectionSetCodec.open(DirectionSetCodec.seal(m));
        TestModels.assertDeepEquals(m, back, "model");
        assertEquals(0.01, back.targetFpr());
        assertEquals("concat", back.multiLayerProbe().kind());
        assertArrayEquals(new int[]{3, 9}, back.multiLayerProbe().layers());
        DirectionSetModel old = DirectionSetCodec.open(DirectionSetCodec.seal(model));
        assertNull(old.multiLayerProbe(), "a set without one reads back without one");
        assertEquals(0.0, old.targetFpr());
    }

    @Test
    void aMultiLayerProbeMustNameTheSetsLayersAndSpanThem() {
        DirectionSetModel m = withMultiLayer();
        DirectionSet p = DirectionSetCodec.toProto(m);
        assertReason(Reason.MISSING_FIELD, "multi_layer_probe layer 4 is not among the layers", () -> resealProto(
                p.toBuilder().setMultiLayerProbe(p.getMultiLayerProbe().toBuilder().setLayers(1, 4)).build()));
        assertReason(Reason.INVALID_VALUE, "not strictly ascending", () -> resealProto(
                p.toBuilder().setMultiLayerProbe(p.getMultiLayerProbe().toBuilder().setLayers(0, 9)).build()));
        assertReason(Reason.DIMENSION_MISMATCH, "multi_layer_probe.probe.coefficients has shape", () -> resealProto(
                p.toBuilder().setMultiLayerProbe(p.getMultiLayerProbe().toBuilder().setProbe(p.getMultiLayerProbe()
                        .getProbe().toBuilder().setCoefficients(TensorCodec.vector(new float[D])))).build()));
        assertReason(Reason.INVALID_VALUE, "target_fpr 1.0 is not in [0, 1)", () -> resealProto(
                p.toBuilder().setTargetFpr(1.0).build()));
    }

    private static DirectionSetModel resealProto(DirectionSet p) throws InvalidDirectionSetException {
        byte[] bytes = p.toByteArray();
        DirectionSetEnvelope e = DirectionSetEnvelope.newBuilder().setSchemaVersion(1)
                .setPayload(ByteString.copyFrom(bytes)).setSha256(DirectionSetCodec.sha256Hex(bytes))
                .setModelId(p.getModelId()).setVersion(p.getVersion()).build();
        return DirectionSetCodec.open(e.toByteArray());
    }

    // ---------------------------------------------------------------- helpers

    /** Edits the payload, re-seals it with a correct checksum, and opens it. */
    private DirectionSetModel reseal(UnaryOperator<DirectionSet> edit) throws InvalidDirectionSetException {
        DirectionSet p = edit.apply(DirectionSetCodec.toProto(model));
        byte[] bytes = p.toByteArray();
        DirectionSetEnvelope e = DirectionSetEnvelope.newBuilder().setSchemaVersion(1)
                .setPayload(ByteString.copyFrom(bytes)).setSha256(DirectionSetCodec.sha256Hex(bytes))
                .setModelId(p.getModelId()).setVersion(p.getVersion()).build();
        return DirectionSetCodec.open(e.toByteArray());
    }

    private static UnaryOperator<DirectionSet> layer(int i, UnaryOperator<LayerDirections> edit) {
        return p -> p.toBuilder().setLayers(i, edit.apply(p.getLayers(i))).build();
    }

    private static UnaryOperator<DirectionSet> mahalanobis(int i, UnaryOperator<Mahalanobis> edit) {
        return layer(i, l -> l.toBuilder().setMahalanobis(edit.apply(l.getMahalanobis())).build());
    }

    private interface Action {
        Object run() throws Exception;
    }

    private static void assertReason(Reason reason, String messagePart, Action action) {
        InvalidDirectionSetException e = assertThrows(InvalidDirectionSetException.class, action::run);
        assertEquals(reason, e.reason(), e.getMessage());
        assertTrue(e.getMessage().contains(messagePart), "message '" + e.getMessage() + "' lacks '" + messagePart + "'");
    }
}
