package dev.refusalmonitor.schemas;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.refusalmonitor.contract.directions.CastParams;
import dev.refusalmonitor.contract.directions.DirectionSetModel;
import dev.refusalmonitor.contract.directions.LayerDirections;
import dev.refusalmonitor.contract.directions.LogisticProbeParams;
import dev.refusalmonitor.contract.directions.MultiLayerProbe;
import dev.refusalmonitor.contract.directions.MahalanobisParams;
import dev.refusalmonitor.contract.directions.RefusalPlaneParams;
import dev.refusalmonitor.contract.directions.Sector;
import dev.refusalmonitor.contract.directions.Standardisation;
import dev.refusalmonitor.schemas.InvalidDirectionSetException.Reason;
import dev.refusalmonitor.schemas.v1.CastCondition;
import dev.refusalmonitor.schemas.v1.DType;
import dev.refusalmonitor.schemas.v1.DirectionSet;
import dev.refusalmonitor.schemas.signing.DirectionSetSigner;
import dev.refusalmonitor.schemas.v1.DirectionSetEnvelope;
import dev.refusalmonitor.schemas.v1.Ensemble;
import dev.refusalmonitor.schemas.v1.LogisticProbe;
import dev.refusalmonitor.schemas.v1.Mahalanobis;
import dev.refusalmonitor.schemas.v1.RefusalPlane;
import dev.refusalmonitor.schemas.v1.SampleCounts;
import dev.refusalmonitor.schemas.v1.Tensor;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * {@link DirectionSetModel} to and from the wire ({@code DirectionSet} inside a checksummed
 * {@code DirectionSetEnvelope}). Vectors are written as f32 tensors; f16 and bf16 tensors are accepted on reading.
 *
 * <p>Validation (both ends: {@link #seal} refuses to write what {@link #open} would refuse to read):
 * schema_version 1; model id, version &gt; 0, dim &gt; 0, at least one layer, no duplicate layer; scoring_layer,
 * cast_layer and every ensemble layer among the layers; per layer the means, DIM and Fisher directions and their
 * standardisations, the probe, the Mahalanobis parameters, the CAST condition and the Mahalanobis refusal
 * standardisation present; every vector of shape [dim], eigenvectors [k, dim] with k = number of eigenvalues &le; dim,
 * the exact whitening [dim(dim+1)/2]; every tensor and scalar finite; feature std &gt; 0; decision threshold in
 * [0, 1]; standardisation std &ge; 0; OOD calibration ascending; target_fpr in [0, 1). Optional: the PCA reading
 * vector, eigenvectors (k = 0), the exact whitening, the refusal plane, the ensemble, the multi-layer probe (at least
 * two strictly ascending layers among the set's, its probe's vectors of length layers × dim).
 *
 * <p>Canonical model forms (what {@link #fromProto} returns): absent optional vectors and the exact whitening are
 * null; k = 0 gives an empty eigenvector array; absent arrays of eigenvalues, ensemble layers and OOD calibration
 * are empty; an absent revision or report is "".
 */
public final class DirectionSetCodec {
    /** The DirectionSet and DirectionSetEnvelope wire-format version written and read here. */
    public static final int SCHEMA_VERSION = 1;

    private DirectionSetCodec() {
    }

    // ---------------------------------------------------------------- envelope

    /** Validates {@code model} and returns the serialized, unsigned envelope (what goes on the directions topic). */
    public static byte[] seal(DirectionSetModel model) throws InvalidDirectionSetException {
        return envelope(model, null).toByteArray();
    }

    /** As {@link #seal(DirectionSetModel)}, signed by {@code signer} (null: unsigned). */
    public static byte[] seal(DirectionSetModel model, DirectionSetSigner signer) throws InvalidDirectionSetException {
        return envelope(model, signer).toByteArray();
    }

    /**
     * Validates {@code model} and wraps its payload with the SHA-256, the identity copies and, when {@code signer} is
     * not null, the Ed25519 signature of the payload bytes and the signer's key id.
     */
    public static DirectionSetEnvelope envelope(DirectionSetModel model, DirectionSetSigner signer)
            throws InvalidDirectionSetException {
        DirectionSet payload = toProto(model);
        validate(payload);
        byte[] bytes = payload.toByteArray();
        DirectionSetEnvelope.Builder b = DirectionSetEnvelope.newBuilder()
                .setSchemaVersion(SCHEMA_VERSION)
                .setPayload(ByteString.copyFrom(bytes))
                .setSha256(sha256Hex(bytes))
                .setModelId(payload.getModelId())
                .setVersion(payload.getVersion());
        if (signer != null) b.setSignature(ByteString.copyFrom(signer.sign(bytes))).setKeyId(signer.keyId());
        return b.build();
    }

    /**
     * A withdrawal of {@code modelId}'s directions from {@code version} on (the monitor then has no set for the model
     * and dead-letters its records as {@code no_directions}), signed by {@code signer} (null: unsigned). The payload
     * carries only the identity, so the signature covers model, version and time.
     */
    public static DirectionSetEnvelope withdrawal(String modelId, long version, long createdAtUnixMs,
                                                  DirectionSetSigner signer) {
        if (modelId == null || modelId.isEmpty() || version <= 0)
            throw new IllegalArgumentException("a withdrawal needs a model id and a version > 0");
        byte[] bytes = DirectionSet.newBuilder().setSchemaVersion(SCHEMA_VERSION).setModelId(modelId).setVersion(version)
                .setCreatedAtUnixMs(createdAtUnixMs).build().toByteArray();
        DirectionSetEnvelope.Builder b = DirectionSetEnvelope.newBuilder()
                .setSchemaVersion(SCHEMA_VERSION)
                .setPayload(ByteString.copyFrom(bytes))
                .setSha256(sha256Hex(bytes))
                .setModelId(modelId)
                .setVersion(version)
                .setWithdrawn(true);
        if (signer != null) b.setSignature(ByteString.copyFrom(signer.sign(bytes))).setKeyId(signer.keyId());
        return b.build();
    }

    /**
     * The identity of a withdrawal envelope: checksum verified, payload parsed, identity matching the envelope.
     *
     * @throws InvalidDirectionSetException when it is not a well-formed withdrawal
     */
    public static DirectionSet openWithdrawal(DirectionSetEnvelope envelope) throws InvalidDirectionSetException {
        if (!envelope.getWithdrawn()) throw new InvalidDirectionSetException(Reason.INVALID_VALUE, "not a withdrawal");
        byte[] payloadBytes = verifyChecksum(envelope);
        DirectionSet payload;
        try {
            payload = DirectionSet.parseFrom(payloadBytes);
        } catch (InvalidProtocolBufferException e) {
            throw new InvalidDirectionSetException(Reason.CORRUPT, "withdrawal payload is not parseable: " + e.getMessage(), e);
        }
        if (payload.getModelId().isEmpty() || payload.getVersion() == 0) throw missing("withdrawal without model id or version");
        if (!payload.getModelId().equals(envelope.getModelId()) || payload.getVersion() != envelope.getVersion())
            throw new InvalidDirectionSetException(Reason.IDENTITY_MISMATCH, "withdrawal envelope and payload disagree");
        return payload;
    }

    /** Parses an envelope without opening its payload (to read its identity or signature). */
    public static DirectionSetEnvelope parseEnvelope(byte[] envelopeBytes) throws InvalidDirectionSetException {
        if (envelopeBytes == null) throw new InvalidDirectionSetException(Reason.CORRUPT, "null envelope");
        try {
            return DirectionSetEnvelope.parseFrom(envelopeBytes);
        } catch (InvalidProtocolBufferException e) {
            throw new InvalidDirectionSetException(Reason.CORRUPT, "not a parseable DirectionSetEnvelope ("
                    + envelopeBytes.length + " bytes): " + e.getMessage(), e);
        }
    }

    /** Parses, verifies and validates a serialized envelope. */
    public static DirectionSetModel open(byte[] envelopeBytes) throws InvalidDirectionSetException {
        return open(parseEnvelope(envelopeBytes));
    }

    /** Verifies and validates a parsed envelope: version, checksum, payload, identity, then the set itself. */
    public static DirectionSetModel open(DirectionSetEnvelope envelope) throws InvalidDirectionSetException {
        if (envelope.getWithdrawn())
            throw new InvalidDirectionSetException(Reason.INVALID_VALUE, "a withdrawal of model '" + envelope.getModelId()
                    + "' as of version " + Long.toUnsignedString(envelope.getVersion()) + ", not a direction set");
        byte[] payloadBytes = verifyChecksum(envelope);
        DirectionSet payload;
        try {
            payload = DirectionSet.parseFrom(payloadBytes);
        } catch (InvalidProtocolBufferException e) {
            throw new InvalidDirectionSetException(Reason.CORRUPT, "payload is not a parseable DirectionSet: "
                    + e.getMessage(), e);
        }
        if (!envelope.getModelId().equals(payload.getModelId())) {
            throw new InvalidDirectionSetException(Reason.IDENTITY_MISMATCH, "envelope model_id '"
                    + envelope.getModelId() + "' but payload model_id '" + payload.getModelId() + "'");
        }
        if (envelope.getVersion() != payload.getVersion()) {
            throw new InvalidDirectionSetException(Reason.IDENTITY_MISMATCH, "envelope version "
                    + Long.toUnsignedString(envelope.getVersion()) + " but payload version "
                    + Long.toUnsignedString(payload.getVersion()));
        }
        return fromProto(payload);
    }

    /**
     * Checks the envelope's schema version and that its SHA-256 matches the payload (corruption in transit or at
     * rest; a signature, checked by the reader's trust, is what rules out a forger who recomputes it).
     *
     * @return the payload bytes
     */
    public static byte[] verifyChecksum(DirectionSetEnvelope envelope) throws InvalidDirectionSetException {
        checkSchemaVersion("envelope", envelope.getSchemaVersion());
        if (envelope.getSha256().isEmpty()) throw missing("envelope sha256 is empty");
        byte[] payloadBytes = envelope.getPayload().toByteArray();
        String actual = sha256Hex(payloadBytes);
        if (!actual.equals(envelope.getSha256())) {
            throw new InvalidDirectionSetException(Reason.CHECKSUM_MISMATCH, "payload of " + payloadBytes.length
                    + " bytes has sha256 " + actual + " but the envelope says " + envelope.getSha256());
        }
        return payloadBytes;
    }

    /** Lower-case hex SHA-256 of {@code bytes}. */
    public static String sha256Hex(byte[] bytes) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(bytes);
            StringBuilder sb = new StringBuilder(64);
            for (byte b : digest) {
                sb.append(Character.forDigit((b >> 4) & 0xf, 16)).append(Character.forDigit(b & 0xf, 16));
            }
            return sb.toString();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform has SHA-256", e);
        }
    }

    // ---------------------------------------------------------------- model -> proto

    /** Maps every field of {@code model} to the wire message; does not validate (see {@link #validate}). */
    public static DirectionSet toProto(DirectionSetModel model) {
        DirectionSet.Builder b = DirectionSet.newBuilder()
                .setSchemaVersion(SCHEMA_VERSION)
                .setModelId(orEmpty(model.modelId()))
                .setModelRevision(orEmpty(model.modelRevision()))
                .setVersion(model.version())
                .setCreatedAtUnixMs(model.createdAtUnixMs())
                .setDim(model.d())
                .setScoringLayer(model.scoringLayer())
                .setCastLayer(model.castLayer())
                .setSampleCounts(SampleCounts.newBuilder()
                        .setHarmful(model.harmfulCount()).setHarmless(model.harmlessCount()))
                .setReportJson(orEmpty(model.reportJson()));
        if (model.layers() != null) {
            for (LayerDirections l : model.layers()) b.addLayers(toProto(l));
        }
        RefusalPlaneParams plane = model.refusalPlane();
        if (plane != null) {
            RefusalPlane.Builder p = RefusalPlane.newBuilder().setLayer(plane.layer());
            if (plane.b1() != null) p.setB1(TensorCodec.vector(plane.b1()));
            if (plane.b2() != null) p.setB2(TensorCodec.vector(plane.b2()));
            if (plane.origin() != null) p.setOrigin(TensorCodec.vector(plane.origin()));
            if (plane.sectors() != null) {
                for (Sector s : plane.sectors()) {
                    p.addSectors(dev.refusalmonitor.schemas.v1.Sector.newBuilder()
                            .setName(orEmpty(s.name())).setStartDeg(s.startDeg()).setEndDeg(s.endDeg()));
                }
            }
            b.setRefusalPlane(p);
        }
        if (model.multiLayerProbe() != null) {
            MultiLayerProbe mp = model.multiLayerProbe();
            var m = dev.refusalmonitor.schemas.v1.MultiLayerProbe.newBuilder().setKind(orEmpty(mp.kind()))
                    .setProbe(toProto(mp.probe()));
            for (int layer : mp.layers()) m.addLayers(layer);
            b.setMultiLayerProbe(m);
        }
        b.setTargetFpr(model.targetFpr());
        if (model.ensembleLayers() != null && model.ensembleLayers().length > 0) {
            Ensemble.Builder e = Ensemble.newBuilder();
            for (int layer : model.ensembleLayers()) e.addLayers(layer);
            b.setEnsemble(e);
        }
        return b.build();
    }

    private static LogisticProbe toProto(LogisticProbeParams probe) {
        LogisticProbe.Builder p = LogisticProbe.newBuilder()
                .setIntercept(probe.intercept()).setC(probe.c()).setDecisionThreshold(probe.decisionThreshold());
        if (probe.featureMean() != null) p.setFeatureMean(TensorCodec.vector(probe.featureMean()));
        if (probe.featureStd() != null) p.setFeatureStd(TensorCodec.vector(probe.featureStd()));
        if (probe.coefficients() != null) p.setCoefficients(TensorCodec.vector(probe.coefficients()));
        return p.build();
    }

    private static LogisticProbeParams fromProto(LogisticProbe probe) {
        return new LogisticProbeParams(TensorCodec.decode(probe.getFeatureMean()),
                TensorCodec.decode(probe.getFeatureStd()), TensorCodec.decode(probe.getCoefficients()),
                probe.getIntercept(), probe.getC(), probe.getDecisionThreshold());
    }

    private static dev.refusalmonitor.schemas.v1.LayerDirections toProto(LayerDirections l) {
        var b = dev.refusalmonitor.schemas.v1.LayerDirections.newBuilder().setLayer(l.layer());
        if (l.meanHarmful() != null) b.setMeanHarmful(TensorCodec.vector(l.meanHarmful()));
        if (l.meanHarmless() != null) b.setMeanHarmless(TensorCodec.vector(l.meanHarmless()));
        if (l.dimDirection() != null) b.setDimDirection(TensorCodec.vector(l.dimDirection()));
        if (l.dimProjection() != null) b.setDimProjection(toProto(l.dimProjection()));
        if (l.fisherDirection() != null) b.setFisherDirection(TensorCodec.vector(l.fisherDirection()));
        if (l.fisherProjection() != null) b.setFisherProjection(toProto(l.fisherProjection()));
        LogisticProbeParams probe = l.probe();
        if (probe != null) b.setProbe(toProto(probe));
        MahalanobisParams m = l.mahalanobis();
        if (m != null) {
            Mahalanobis.Builder p = Mahalanobis.newBuilder()
                    .setShrinkage(m.shrinkage())
                    .setTraceOverD(m.traceOverD())
                    .setEigenvalueFloor(m.eigenvalueFloor())
                    .setConditionNumber(m.conditionNumber())
                    .setRemainderVariance(m.remainderVariance())
                    .setL2Normalize(m.l2Normalize());
            float[] v = m.eigenvectors();
            if (v != null && (v.length > 0 || m.k() > 0)) {
                // Shape [k, len/k]; a length that is not k·dim is caught by validate() with both numbers.
                int k = m.k();
                boolean rect = k > 0 && v.length % k == 0;
                p.setEigenvectors(rect ? TensorCodec.tensor(v, DType.D_TYPE_F32, k, v.length / k)
                        : TensorCodec.tensor(v, DType.D_TYPE_F32, v.length));
            }
            if (m.eigenvalues() != null) for (double e : m.eigenvalues()) p.addEigenvalues(e);
            if (m.hasExact()) p.setExactWhitening(TensorCodec.vector(m.exactWhitening()));
            if (m.oodCalibration() != null) for (float q : m.oodCalibration()) p.addOodCalibration(q);
            b.setMahalanobis(p);
        }
        CastParams cast = l.cast();
        if (cast != null) {
            CastCondition.Builder p = CastCondition.newBuilder()
                    .setThreshold(cast.threshold()).setFiresAbove(cast.firesAbove()).setF1(cast.f1());
            if (cast.conditionVector() != null) p.setConditionVector(TensorCodec.vector(cast.conditionVector()));
            b.setCast(p);
        }
        if (l.pcaReadingVector() != null) b.setPcaReadingVector(TensorCodec.vector(l.pcaReadingVector()));
        if (l.mahalanobisRefusalProjection() != null) {
            b.setMahalanobisRefusalProjection(toProto(l.mahalanobisRefusalProjection()));
        }
        return b.build();
    }

    private static dev.refusalmonitor.schemas.v1.Standardisation toProto(Standardisation s) {
        return dev.refusalmonitor.schemas.v1.Standardisation.newBuilder().setMean(s.mean()).setStd(s.std()).build();
    }

    // ---------------------------------------------------------------- proto -> model

    /** Validates {@code p} and maps it to the model (canonical forms: see the class comment). */
    public static DirectionSetModel fromProto(DirectionSet p) throws InvalidDirectionSetException {
        validate(p);
        List<LayerDirections> layers = new ArrayList<>(p.getLayersCount());
        for (var l : p.getLayersList()) layers.add(fromProto(l));
        RefusalPlaneParams plane = null;
        if (p.hasRefusalPlane()) {
            RefusalPlane rp = p.getRefusalPlane();
            List<Sector> sectors = new ArrayList<>(rp.getSectorsCount());
            for (var s : rp.getSectorsList()) sectors.add(new Sector(s.getName(), s.getStartDeg(), s.getEndDeg()));
            plane = new RefusalPlaneParams(rp.getLayer(), TensorCodec.decode(rp.getB1()),
                    TensorCodec.decode(rp.getB2()), TensorCodec.decode(rp.getOrigin()), List.copyOf(sectors));
        }
        int[] ensemble = p.getEnsemble().getLayersList().stream().mapToInt(Integer::intValue).toArray();
        MultiLayerProbe multi = null;
        if (p.hasMultiLayerProbe()) {
            var mp = p.getMultiLayerProbe();
            multi = new MultiLayerProbe(mp.getLayersList().stream().mapToInt(Integer::intValue).toArray(),
                    fromProto(mp.getProbe()), mp.getKind().isEmpty() ? "concat" : mp.getKind());
        }
        return new DirectionSetModel(p.getModelId(), p.getModelRevision(), p.getVersion(), p.getCreatedAtUnixMs(),
                p.getDim(), p.getScoringLayer(), p.getCastLayer(), List.copyOf(layers), plane, ensemble,
                p.getSampleCounts().getHarmful(), p.getSampleCounts().getHarmless(), p.getReportJson(), multi,
                p.getTargetFpr());
    }

    private static LayerDirections fromProto(dev.refusalmonitor.schemas.v1.LayerDirections l) {
        LogisticProbe probe = l.getProbe();
        Mahalanobis m = l.getMahalanobis();
        CastCondition cast = l.getCast();
        float[] eigenvectors = m.hasEigenvectors() ? TensorCodec.decode(m.getEigenvectors()) : new float[0];
        double[] eigenvalues = m.getEigenvaluesList().stream().mapToDouble(Double::doubleValue).toArray();
        float[] ood = new float[m.getOodCalibrationCount()];
        for (int i = 0; i < ood.length; i++) ood[i] = m.getOodCalibration(i);
        return new LayerDirections(l.getLayer(),
                TensorCodec.decode(l.getMeanHarmful()), TensorCodec.decode(l.getMeanHarmless()),
                TensorCodec.decode(l.getDimDirection()), fromProto(l.getDimProjection()),
                TensorCodec.decode(l.getFisherDirection()), fromProto(l.getFisherProjection()),
                fromProto(probe),
                new MahalanobisParams(m.getShrinkage(), m.getTraceOverD(), m.getEigenvalueFloor(),
                        m.getConditionNumber(), eigenvalues.length, eigenvectors, eigenvalues,
                        m.getRemainderVariance(),
                        m.hasExactWhitening() ? TensorCodec.decode(m.getExactWhitening()) : null,
                        m.getL2Normalize(), ood),
                new CastParams(TensorCodec.decode(cast.getConditionVector()), cast.getThreshold(),
                        cast.getFiresAbove(), cast.getF1()),
                l.hasPcaReadingVector() ? TensorCodec.decode(l.getPcaReadingVector()) : null,
                fromProto(l.getMahalanobisRefusalProjection()));
    }

    private static Standardisation fromProto(dev.refusalmonitor.schemas.v1.Standardisation s) {
        return new Standardisation(s.getMean(), s.getStd());
    }

    // ---------------------------------------------------------------- validation

    /** Throws unless {@code p} satisfies every rule in the class comment. */
    public static void validate(DirectionSet p) throws InvalidDirectionSetException {
        checkSchemaVersion("direction set", p.getSchemaVersion());
        if (p.getModelId().isEmpty()) throw missing("model_id is empty");
        if (p.getVersion() == 0) throw missing("version is 0 (unset); versions start at 1");
        if (p.getVersion() < 0) {
            throw new InvalidDirectionSetException(Reason.INVALID_VALUE, "version "
                    + Long.toUnsignedString(p.getVersion()) + " does not fit a signed 64-bit integer");
        }
        int dim = p.getDim();
        if (dim == 0) throw missing("dim is 0 (unset)");
        // dim(dim+1)/2 must fit an int for the exact whitening; no model is near this.
        if (dim < 0 || dim > 65_535) {
            throw new InvalidDirectionSetException(Reason.INVALID_VALUE, "dim " + Integer.toUnsignedString(dim)
                    + " is out of range (1..65535)");
        }
        if (p.getLayersCount() == 0) throw missing("no layers");
        Set<Integer> layerSet = new HashSet<>();
        for (var l : p.getLayersList()) {
            if (!layerSet.add(l.getLayer())) {
                throw new InvalidDirectionSetException(Reason.INVALID_VALUE, "layer " + l.getLayer()
                        + " appears more than once");
            }
        }
        if (!layerSet.contains(p.getScoringLayer())) {
            throw missing("scoring_layer " + p.getScoringLayer() + " is not among the layers " + layersOf(p));
        }
        if (!layerSet.contains(p.getCastLayer())) {
            throw missing("cast_layer " + p.getCastLayer() + " is not among the layers " + layersOf(p));
        }
        for (int e : p.getEnsemble().getLayersList()) {
            if (!layerSet.contains(e)) {
                throw missing("ensemble layer " + e + " is not among the layers " + layersOf(p));
            }
        }
        for (var l : p.getLayersList()) validateLayer(l, dim);
        finite(p.getTargetFpr(), "target_fpr");
        if (p.getTargetFpr() < 0 || p.getTargetFpr() >= 1) {
            throw new InvalidDirectionSetException(Reason.INVALID_VALUE, "target_fpr " + p.getTargetFpr()
                    + " is not in [0, 1)");
        }
        if (p.hasMultiLayerProbe()) {
            var mp = p.getMultiLayerProbe();
            if (mp.getLayersCount() < 2) throw missing("multi_layer_probe has " + mp.getLayersCount() + " layer(s), needs at least 2");
            int previous = -1;
            for (int layer : mp.getLayersList()) {
                if (!layerSet.contains(layer)) throw missing("multi_layer_probe layer " + layer + " is not among the layers " + layersOf(p));
                if (layer <= previous) {
                    throw new InvalidDirectionSetException(Reason.INVALID_VALUE, "multi_layer_probe layers "
                            + mp.getLayersList() + " are not strictly ascending");
                }
                previous = layer;
            }
            if (!mp.hasProbe()) throw missing("multi_layer_probe.probe is absent");
            validateProbe(mp.getProbe(), "multi_layer_probe.probe", mp.getLayersCount() * dim);
        }
        if (p.hasRefusalPlane()) {
            RefusalPlane rp = p.getRefusalPlane();
            String where = "refusal_plane";
            vector(rp.hasB1(), rp.getB1(), where + ".b1", dim, true);
            vector(rp.hasB2(), rp.getB2(), where + ".b2", dim, true);
            vector(rp.hasOrigin(), rp.getOrigin(), where + ".origin", dim, true);
            for (int i = 0; i < rp.getSectorsCount(); i++) {
                var s = rp.getSectors(i);
                String sw = where + ".sectors[" + i + "]";
                if (s.getName().isEmpty()) throw missing(sw + ".name is empty");
                finite(s.getStartDeg(), sw + ".start_deg");
                finite(s.getEndDeg(), sw + ".end_deg");
            }
        }
    }

    private static void validateProbe(LogisticProbe probe, String w, int length) throws InvalidDirectionSetException {
        vector(probe.hasFeatureMean(), probe.getFeatureMean(), w + ".feature_mean", length, true);
        float[] std = vector(probe.hasFeatureStd(), probe.getFeatureStd(), w + ".feature_std", length, true);
        for (int i = 0; i < std.length; i++) {
            if (!(std[i] > 0)) {
                throw new InvalidDirectionSetException(Reason.INVALID_VALUE, w + ".feature_std element " + i
                        + " is not positive (zero std must be stored as 1)");
            }
        }
        vector(probe.hasCoefficients(), probe.getCoefficients(), w + ".coefficients", length, true);
        finite(probe.getIntercept(), w + ".intercept");
        finite(probe.getC(), w + ".c");
        finite(probe.getDecisionThreshold(), w + ".decision_threshold");
        if (probe.getDecisionThreshold() < 0 || probe.getDecisionThreshold() > 1) {
            throw new InvalidDirectionSetException(Reason.INVALID_VALUE, w + ".decision_threshold "
                    + probe.getDecisionThreshold() + " is not a probability in [0, 1]");
        }
    }

    private static void validateLayer(dev.refusalmonitor.schemas.v1.LayerDirections l, int dim)
            throws InvalidDirectionSetException {
        String w = "layer " + l.getLayer() + " ";
        vector(l.hasMeanHarmful(), l.getMeanHarmful(), w + "mean_harmful", dim, true);
        vector(l.hasMeanHarmless(), l.getMeanHarmless(), w + "mean_harmless", dim, true);
        vector(l.hasDimDirection(), l.getDimDirection(), w + "dim_direction", dim, true);
        standardisation(l.hasDimProjection(), l.getDimProjection(), w + "dim_projection");
        vector(l.hasFisherDirection(), l.getFisherDirection(), w + "fisher_direction", dim, true);
        standardisation(l.hasFisherProjection(), l.getFisherProjection(), w + "fisher_projection");
        vector(l.hasPcaReadingVector(), l.getPcaReadingVector(), w + "pca_reading_vector", dim, false);
        standardisation(l.hasMahalanobisRefusalProjection(), l.getMahalanobisRefusalProjection(),
                w + "mahalanobis_refusal_projection");

        if (!l.hasProbe()) throw missing(w + "probe is absent");
        validateProbe(l.getProbe(), w + "probe", dim);

        if (!l.hasMahalanobis()) throw missing(w + "mahalanobis is absent");
        Mahalanobis m = l.getMahalanobis();
        String mw = w + "mahalanobis.";
        finite(m.getShrinkage(), mw + "shrinkage");
        finite(m.getTraceOverD(), mw + "trace_over_d");
        finite(m.getEigenvalueFloor(), mw + "eigenvalue_floor");
        finite(m.getConditionNumber(), mw + "condition_number");
        finite(m.getRemainderVariance(), mw + "remainder_variance");
        int k = m.getEigenvaluesCount();
        for (int i = 0; i < k; i++) finite(m.getEigenvalues(i), mw + "eigenvalues[" + i + "]");
        if (k > dim) {
            throw new InvalidDirectionSetException(Reason.DIMENSION_MISMATCH, mw + "eigenvalues has " + k
                    + " values, more than dim " + dim);
        }
        if (m.hasEigenvectors() || k > 0) {
            if (!m.hasEigenvectors()) throw missing(mw + "eigenvectors is absent but there are " + k + " eigenvalues");
            Tensor t = m.getEigenvectors();
            String tw = mw + "eigenvectors";
            long n = consistent(t, tw);
            if (t.getShapeCount() != 2 || t.getShape(0) != k || t.getShape(1) != dim) {
                throw new InvalidDirectionSetException(Reason.DIMENSION_MISMATCH, tw + " has shape "
                        + t.getShapeList() + " (" + n + " values), expected [k, dim] = [" + k + ", " + dim + "] ("
                        + (long) k * dim + " values; k = number of eigenvalues)");
            }
            allFinite(TensorCodec.decode(t), tw);
        }
        if (m.hasExactWhitening()) {
            Tensor t = m.getExactWhitening();
            String tw = mw + "exact_whitening";
            long n = consistent(t, tw);
            long packed = (long) dim * (dim + 1) / 2;
            if (t.getShapeCount() != 1 || n != packed) {
                throw new InvalidDirectionSetException(Reason.DIMENSION_MISMATCH, tw + " has shape "
                        + t.getShapeList() + " (" + n + " values), expected [dim(dim+1)/2] = [" + packed + "]");
            }
            allFinite(TensorCodec.decode(t), tw);
        }
        for (int i = 0; i < m.getOodCalibrationCount(); i++) {
            float q = m.getOodCalibration(i);
            if (!Float.isFinite(q)) {
                throw new InvalidDirectionSetException(Reason.NON_FINITE, mw + "ood_calibration[" + i
                        + "] is not finite");
            }
            if (i > 0 && q < m.getOodCalibration(i - 1)) {
                throw new InvalidDirectionSetException(Reason.INVALID_VALUE, mw + "ood_calibration is not ascending at "
                        + i);
            }
        }

        if (!l.hasCast()) throw missing(w + "cast is absent");
        CastCondition cast = l.getCast();
        vector(cast.hasConditionVector(), cast.getConditionVector(), w + "cast.condition_vector", dim, true);
        finite(cast.getThreshold(), w + "cast.threshold");
        finite(cast.getF1(), w + "cast.f1");
    }

    /**
     * Checks an f32/f16/bf16 vector of shape [dim]: present when required, self-consistent, finite.
     * Returns the decoded values (empty when absent and optional).
     */
    private static float[] vector(boolean present, Tensor t, String what, int dim, boolean required)
            throws InvalidDirectionSetException {
        if (!present) {
            if (required) throw missing(what + " is absent");
            return new float[0];
        }
        long n = consistent(t, what);
        if (t.getShapeCount() != 1 || t.getShape(0) != dim) {
            throw new InvalidDirectionSetException(Reason.DIMENSION_MISMATCH, what + " has shape " + t.getShapeList()
                    + " (" + n + " values), expected [" + dim + "] (the set's dim)");
        }
        float[] v = TensorCodec.decode(t);
        allFinite(v, what);
        return v;
    }

    /** Checks that a tensor's bytes match its own dtype and shape; returns its element count. */
    private static long consistent(Tensor t, String what) throws InvalidDirectionSetException {
        if (!TensorCodec.isSupported(t.getDtype())) {
            throw new InvalidDirectionSetException(Reason.CORRUPT, what + " has unsupported dtype "
                    + (t.getDtype() == DType.UNRECOGNIZED ? "value " + t.getDtypeValue() : t.getDtype().name()));
        }
        long n;
        try {
            n = TensorCodec.elementCount(t);
        } catch (IllegalArgumentException e) {
            throw new InvalidDirectionSetException(Reason.CORRUPT, what + ": " + e.getMessage(), e);
        }
        long expected = n * TensorCodec.elementSize(t.getDtype());
        if (t.getData().size() != expected) {
            throw new InvalidDirectionSetException(Reason.CORRUPT, what + " of shape " + t.getShapeList() + " and "
                    + t.getDtype() + " should have " + expected + " bytes but has " + t.getData().size());
        }
        return n;
    }

    private static void standardisation(boolean present, dev.refusalmonitor.schemas.v1.Standardisation s,
                                        String what) throws InvalidDirectionSetException {
        if (!present) throw missing(what + " is absent");
        finite(s.getMean(), what + ".mean");
        finite(s.getStd(), what + ".std");
        if (s.getStd() < 0) {
            throw new InvalidDirectionSetException(Reason.INVALID_VALUE, what + ".std is negative");
        }
    }

    private static void allFinite(float[] v, String what) throws InvalidDirectionSetException {
        for (int i = 0; i < v.length; i++) {
            if (!Float.isFinite(v[i])) {
                throw new InvalidDirectionSetException(Reason.NON_FINITE, what + " element " + i + " of " + v.length
                        + " is not finite");
            }
        }
    }

    private static void finite(double v, String what) throws InvalidDirectionSetException {
        if (!Double.isFinite(v)) throw new InvalidDirectionSetException(Reason.NON_FINITE, what + " is not finite");
    }

    private static void checkSchemaVersion(String what, int version) throws InvalidDirectionSetException {
        if (version == 0) throw missing(what + " schema_version is unset (0)");
        if (version != SCHEMA_VERSION) {
            throw new InvalidDirectionSetException(Reason.UNSUPPORTED_VERSION, what + " schema_version "
                    + Integer.toUnsignedString(version) + " is not supported (this reader reads " + SCHEMA_VERSION
                    + ")");
        }
    }

    private static InvalidDirectionSetException missing(String message) {
        return new InvalidDirectionSetException(Reason.MISSING_FIELD, message);
    }

    private static List<Integer> layersOf(DirectionSet p) {
        List<Integer> out = new ArrayList<>(p.getLayersCount());
        for (var l : p.getLayersList()) out.add(l.getLayer());
        return out;
    }

    private static String orEmpty(String s) {
        return s == null ? "" : s;
    }
}
