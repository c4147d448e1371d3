package dev.refusalmonitor.gateway;

import ai.djl.MalformedModelException;
import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.SymbolBlock;
import ai.djl.training.ParameterStore;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;

/**
 * An ONNX model run by DJL's ONNX Runtime engine, with the configured intermediate tensors added as graph outputs
 * ({@link OnnxGraphOutputs#withExtraOutputs}). Models whose weights live in external data files are not supported
 * (the model is loaded from bytes).
 */
final class OnnxLayerRunner implements LayerRunner {
    static final String ENGINE = "OnnxRuntime";
    private static final List<String> KNOWN_INPUTS = List.of("input_ids", "attention_mask", "token_type_ids");

    private final Model model;
    private final int[] layers;
    private final String[] tensorNames;
    private final List<String> inputNames;

    private OnnxLayerRunner(Model model, int[] layers, String[] tensorNames, List<String> inputNames) {
        this.model = model;
        this.layers = layers;
        this.tensorNames = tensorNames;
        this.inputNames = inputNames;
    }

    /**
     * @param source where the bytes came from (for messages)
     * @throws GatewayException naming the layer when a configured tensor is not in the graph, or when ONNX Runtime
     *                          rejects the model
     */
    static OnnxLayerRunner load(String modelId, String source, byte[] bytes, SortedMap<Integer, String> layerNames)
            throws GatewayException {
        if (layerNames.isEmpty()) throw new GatewayException("no layers configured for ONNX model " + source);
        OnnxGraphOutputs.GraphNames names;
        try {
            names = OnnxGraphOutputs.scan(bytes);
        } catch (IOException e) {
            throw new GatewayException("cannot read ONNX model " + source + ": " + e.getMessage(), e);
        }
        List<String> extra = new ArrayList<>();
        for (var e : layerNames.entrySet()) {
            if (!names.hasTensor(e.getValue()) && !names.outputs().contains(e.getValue()))
                throw new GatewayException("layer " + e.getKey() + ": ONNX model " + source + " has no tensor named '"
                        + e.getValue() + "'" + suggestion(names, e.getValue()));
            if (!names.outputs().contains(e.getValue()) && !extra.contains(e.getValue())) extra.add(e.getValue());
        }
        List<String> inputs = new ArrayList<>(names.inputs());
        for (String in : inputs) {
            if (!KNOWN_INPUTS.contains(in))
                throw new GatewayException("ONNX model " + source + " has input '" + in + "'; supported inputs are "
                        + KNOWN_INPUTS);
        }
        if (!inputs.contains("input_ids"))
            throw new GatewayException("ONNX model " + source + " has no 'input_ids' input (inputs: " + inputs + ")");
        byte[] patched = OnnxGraphOutputs.withExtraOutputs(bytes, extra);
        Model model = Model.newInstance(modelId, ENGINE);
        try {
            model.load(new ByteArrayInputStream(patched), Map.of());
        } catch (IOException | MalformedModelException | RuntimeException e) {
            model.close();
            throw new GatewayException("ONNX Runtime cannot load " + source + " with layer outputs " + layerNames
                    + ": " + e.getMessage(), e);
        }
        int[] layers = layerNames.keySet().stream().mapToInt(Integer::intValue).toArray();
        String[] tensors = layerNames.values().toArray(new String[0]);
        return new OnnxLayerRunner(model, layers, tensors, Collections.unmodifiableList(inputs));
    }

    private static String suggestion(OnnxGraphOutputs.GraphNames names, String wanted) {
        String tail = wanted.contains("/") ? wanted.substring(wanted.lastIndexOf('/') + 1) : wanted;
        List<String> similar = names.nodeOutputs().stream().filter(n -> n.endsWith(tail)).limit(8).toList();
        return similar.isEmpty() ? "" : "; tensors with a similar name: " + similar;
    }

    @Override
    public int[] layers() {
        return layers.clone();
    }

    @Override
    public Outputs run(long[] ids, long[] mask, long[] typeIds, int batch, int seq) throws GatewayException {
        try (NDManager m = model.getNDManager().newSubManager()) {
            Shape shape = new Shape(batch, seq);
            NDList in = new NDList();
            for (String name : inputNames) {
                long[] values = switch (name) {
                    case "input_ids" -> ids;
                    case "attention_mask" -> mask;
                    default -> typeIds;
                };
                NDArray a = m.create(values, shape);
                a.setName(name);
                in.add(a);
            }
            NDList out = ((SymbolBlock) model.getBlock()).forward(new ParameterStore(m, false), in, false);
            Map<String, NDArray> byName = new HashMap<>();
            for (NDArray a : out) byName.put(a.getName(), a);
            float[][] perLayer = new float[layers.length][];
            int d = -1;
            for (int k = 0; k < layers.length; k++) {
                NDArray a = byName.get(tensorNames[k]);
                if (a == null)
                    throw new GatewayException("layer " + layers[k] + ": model returned no output '" + tensorNames[k] + "'");
                Shape s = a.getShape();
                if (s.dimension() != 3 || s.get(0) != batch || s.get(1) != seq)
                    throw new GatewayException("layer " + layers[k] + ": tensor '" + tensorNames[k] + "' has shape " + s
                            + ", expected [" + batch + ", " + seq + ", d]");
                if (d >= 0 && s.get(2) != d)
                    throw new GatewayException("layer " + layers[k] + ": tensor '" + tensorNames[k] + "' has d = "
                            + s.get(2) + ", other layers have d = " + d);
                d = (int) s.get(2);
                perLayer[k] = a.toType(ai.djl.ndarray.types.DataType.FLOAT32, false).toFloatArray();
            }
            return new Outputs(d, perLayer);
        } catch (ai.djl.engine.EngineException | IllegalArgumentException e) {
            throw new GatewayException("ONNX Runtime failed to run the model with layer outputs "
                    + java.util.Arrays.toString(tensorNames) + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        model.close();
    }
}
