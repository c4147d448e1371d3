package dev.refusalmonitor.schemas;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedOutputStream;
import dev.refusalmonitor.schemas.v1.DType;
import dev.refusalmonitor.schemas.v1.HiddenState;
import dev.refusalmonitor.schemas.v1.LayerActivation;

import java.io.ByteArrayOutputStream;
import java.io.IOException;

/** Hostile inputs (issue 15) built byte for byte, for the tests and benchmarks that replay them. Not used by the services. */
public final class HostileRecords {
    private HostileRecords() {
    }

    /** One value of exactly {@code size} bytes that is not a parseable HiddenState (field 0 is invalid). */
    public static byte[] malformed(int size) {
        byte[] b = new byte[size];
        java.util.Arrays.fill(b, (byte) 0x07);
        b[0] = 0x00; // tag 0: never valid
        return b;
    }

    /**
     * A HiddenState of {@code layers} one-element f32 layers (indices 0..layers-1), the record that took 11.75 s to
     * decode at 266,000 layers (4.25 MB) when the duplicate check was quadratic.
     */
    public static byte[] manyTinyLayers(String requestId, String modelId, int layers) {
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream(layers * 16 + 64);
            CodedOutputStream c = CodedOutputStream.newInstance(out);
            c.writeUInt32(1, 1);
            c.writeString(2, requestId);
            c.writeString(3, modelId);
            ByteString one = TensorCodec.encode(new float[] {0.5f}, DType.D_TYPE_F32);
            for (int i = 0; i < layers; i++) {
                LayerActivation l = LayerActivation.newBuilder().setLayer(i).setDtype(DType.D_TYPE_F32).setDim(1)
                        .setData(one).build();
                c.writeMessage(9, l);
            }
            c.flush();
            return out.toByteArray();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A valid record whose one layer (index {@code layer}) holds {@code values} in f32. */
    public static byte[] withValues(String requestId, String modelId, int layer, float[] values) {
        return HiddenState.newBuilder().setSchemaVersion(1).setRequestId(requestId).setModelId(modelId)
                .addLayers(TensorCodec.layerActivation(layer, values, DType.D_TYPE_F32)).build().toByteArray();
    }
}
