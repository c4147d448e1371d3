package dev.refusalmonitor.activations;

import dev.refusalmonitor.contract.HalfFloats;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;

/** Writes an {@link ActivationSet} in the formats {@link ActivationSet#load} reads. */
public final class ActivationSetWriter {
    private ActivationSetWriter() {
    }

    /**
     * Writes a {@code .npy} of shape [n, L, d] (layers in ascending order) in {@code dtype}, streamed without
     * building one [n, L, d] array. The file does not record layer indices: reading it back gives layers 0..L-1,
     * so write all layers from 0, or tell the reader the indices ({@link LoadOptions#axisLayers()}).
     */
    public static void writeNpy(Path file, ActivationSet set, NpyDType dtype) throws IOException {
        int[] layers = set.layers();
        int n = set.n();
        int d = set.d();
        float[][] data = new float[layers.length][];
        for (int k = 0; k < layers.length; k++) data[k] = set.layer(layers[k]);
        try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(file), 1 << 20)) {
            NpyWriter.writeHeader(out, new int[]{n, layers.length, d}, dtype);
            ByteBuffer buf = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
            for (int i = 0; i < n; i++) {
                for (float[] layer : data) {
                    for (int j = i * d; j < (i + 1) * d; j++) {
                        if (buf.remaining() < 8) {
                            out.write(buf.array(), 0, buf.position());
                            buf.clear();
                        }
                        switch (dtype) {
                            case F16 -> buf.putShort(HalfFloats.floatToF16(layer[j]));
                            case F32 -> buf.putFloat(layer[j]);
                            case F64 -> buf.putDouble(layer[j]);
                        }
                    }
                }
            }
            out.write(buf.array(), 0, buf.position());
        }
    }

    /**
     * Writes a {@code .safetensors} with one [n, d] tensor per layer named {@code layer.{i}} (so layer indices are
     * kept) in {@code dtype} (F16, BF16, F32 or F64); use {@link SafetensorsWriter} directly to add metadata.
     */
    public static void writeSafetensors(Path file, ActivationSet set, SafetensorsDType dtype) throws IOException {
        SafetensorsWriter w = new SafetensorsWriter();
        for (int l : set.layers()) w.addFloats("layer." + l, dtype, new int[]{set.n(), set.d()}, set.layer(l));
        w.write(file);
    }
}
