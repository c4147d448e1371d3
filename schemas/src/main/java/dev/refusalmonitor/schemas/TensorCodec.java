package dev.refusalmonitor.schemas;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import dev.refusalmonitor.contract.HalfFloats;
import dev.refusalmonitor.schemas.v1.DType;
import dev.refusalmonitor.schemas.v1.LayerActivation;
import dev.refusalmonitor.schemas.v1.Tensor;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Raw little-endian tensor bytes (the wire format's {@code Tensor} and {@code LayerActivation}) to and from
 * {@code float[]}.
 *
 * <p>f32 decodes with one bulk copy; f16 and bf16 widen through {@link HalfFloats}, which is exact for every value
 * (subnormals, ±0, ±infinity, NaN payloads). Encoding to f16/bf16 rounds to nearest, ties to even. Decoding never
 * rejects non-finite values: that is a policy of the readers (see {@link HiddenStateDecoder}).
 * A size or shape mismatch throws {@link IllegalArgumentException} naming the expected and actual sizes.
 */
public final class TensorCodec {
    private TensorCodec() {
    }

    /** Bytes per element of {@code dtype}; throws for an unspecified or unknown dtype. */
    public static int elementSize(DType dtype) {
        return switch (dtype) {
            case D_TYPE_F32 -> 4;
            case D_TYPE_F16, D_TYPE_BF16 -> 2;
            default -> throw new IllegalArgumentException("unsupported dtype " + dtype
                    + " (expected D_TYPE_F32, D_TYPE_F16 or D_TYPE_BF16)");
        };
    }

    /** True for the dtypes this codec reads and writes. */
    public static boolean isSupported(DType dtype) {
        return dtype == DType.D_TYPE_F32 || dtype == DType.D_TYPE_F16 || dtype == DType.D_TYPE_BF16;
    }

    /**
     * Decodes {@code n} elements of {@code dtype} from {@code data} into {@code dst[off .. off+n)}.
     * {@code data} must hold exactly {@code n} elements. No allocation beyond a read-only buffer view.
     *
     * @param dst Modified: elements {@code [off, off+n)} are overwritten.
     */
    public static void decode(DType dtype, ByteString data, int n, float[] dst, int off) {
        int size = elementSize(dtype);
        if (n < 0) throw new IllegalArgumentException("negative element count " + n);
        long expected = (long) n * size;
        if (data.size() != expected) {
            throw new IllegalArgumentException(dtype + " data has " + data.size() + " bytes, expected " + expected
                    + " (" + n + " elements x " + size + " bytes)");
        }
        if (off < 0 || off > dst.length - n) {
            throw new IllegalArgumentException("destination float[" + dst.length + "] cannot take " + n
                    + " elements at offset " + off);
        }
        // slice(): absolute indices and asFloatBuffer() then start at the data's first byte whatever the backing.
        ByteBuffer bytes = data.asReadOnlyByteBuffer().slice().order(ByteOrder.LITTLE_ENDIAN);
        switch (dtype) {
            case D_TYPE_F32 -> bytes.asFloatBuffer().get(dst, off, n);
            case D_TYPE_F16 -> {
                for (int i = 0; i < n; i++) dst[off + i] = HalfFloats.f16ToFloat(bytes.getShort(i << 1));
            }
            case D_TYPE_BF16 -> {
                for (int i = 0; i < n; i++) dst[off + i] = HalfFloats.bf16ToFloat(bytes.getShort(i << 1));
            }
            default -> throw new IllegalStateException("unreachable: " + dtype);
        }
    }

    /**
     * Decodes a layer activation into {@code dst[off .. off+dim)}.
     *
     * @param dst Modified.
     */
    public static void decode(LayerActivation layer, float[] dst, int off) {
        try {
            decode(layer.getDtype(), layer.getData(), layer.getDim(), dst, off);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("layer " + layer.getLayer() + " (dim " + layer.getDim() + "): "
                    + e.getMessage(), e);
        }
    }

    /** Decodes a layer activation into a new {@code float[dim]}. */
    public static float[] decode(LayerActivation layer) {
        float[] out = new float[layer.getDim()];
        decode(layer, out, 0);
        return out;
    }

    /** Number of elements of a tensor: the product of its shape (1 for a scalar with no shape entries). */
    public static long elementCount(Tensor tensor) {
        long n = 1;
        for (int i = 0; i < tensor.getShapeCount(); i++) {
            n *= Integer.toUnsignedLong(tensor.getShape(i));
            if (n > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("tensor shape " + tensor.getShapeList() + " has more than "
                        + Integer.MAX_VALUE + " elements");
            }
        }
        return n;
    }

    /**
     * Decodes a tensor (all of its elements, row-major) into {@code dst[off ..)}.
     *
     * @param dst Modified.
     */
    public static void decode(Tensor tensor, float[] dst, int off) {
        int n = (int) elementCount(tensor);
        try {
            decode(tensor.getDtype(), tensor.getData(), n, dst, off);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("tensor of shape " + tensor.getShapeList() + ": " + e.getMessage(), e);
        }
    }

    /** Decodes a tensor into a new {@code float[]} of its element count. */
    public static float[] decode(Tensor tensor) {
        float[] out = new float[(int) elementCount(tensor)];
        decode(tensor, out, 0);
        return out;
    }

    /** Encodes {@code src[off .. off+n)} as raw little-endian {@code dtype} bytes. Not modified: src. */
    public static ByteString encode(float[] src, int off, int n, DType dtype) {
        int size = elementSize(dtype);
        if (off < 0 || n < 0 || off > src.length - n) {
            throw new IllegalArgumentException("source float[" + src.length + "] has no " + n
                    + " elements at offset " + off);
        }
        byte[] out = new byte[n * size];
        ByteBuffer bytes = ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN);
        switch (dtype) {
            case D_TYPE_F32 -> bytes.asFloatBuffer().put(src, off, n);
            case D_TYPE_F16 -> {
                for (int i = 0; i < n; i++) bytes.putShort(i << 1, HalfFloats.floatToF16(src[off + i]));
            }
            case D_TYPE_BF16 -> {
                for (int i = 0; i < n; i++) bytes.putShort(i << 1, HalfFloats.floatToBf16(src[off + i]));
            }
            default -> throw new IllegalStateException("unreachable: " + dtype);
        }
        // The array is ours and never written again, so it can back the ByteString without a copy.
        return UnsafeByteOperations.unsafeWrap(out);
    }

    /** Encodes all of {@code src}. */
    public static ByteString encode(float[] src, DType dtype) {
        return encode(src, 0, src.length, dtype);
    }

    /** A layer activation {@code {layer, dtype, dim = values.length, data}}. */
    public static LayerActivation layerActivation(int layer, float[] values, DType dtype) {
        if (layer < 0) throw new IllegalArgumentException("negative layer index " + layer);
        return LayerActivation.newBuilder()
                .setLayer(layer)
                .setDtype(dtype)
                .setDim(values.length)
                .setData(encode(values, dtype))
                .build();
    }

    /** A tensor of the given shape; {@code values.length} must equal the product of {@code shape}. */
    public static Tensor tensor(float[] values, DType dtype, int... shape) {
        long n = 1;
        Tensor.Builder b = Tensor.newBuilder().setDtype(dtype);
        for (int s : shape) {
            if (s < 0) throw new IllegalArgumentException("negative extent in shape " + java.util.Arrays.toString(shape));
            n *= s;
            b.addShape(s);
        }
        if (n != values.length) {
            throw new IllegalArgumentException("shape " + java.util.Arrays.toString(shape) + " has " + n
                    + " elements but " + values.length + " values were given");
        }
        return b.setData(encode(values, dtype)).build();
    }

    /** An f32 vector tensor of shape [values.length]. */
    public static Tensor vector(float[] values) {
        return tensor(values, DType.D_TYPE_F32, values.length);
    }
}
