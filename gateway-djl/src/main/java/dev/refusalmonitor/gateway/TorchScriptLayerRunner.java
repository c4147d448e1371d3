package dev.refusalmonitor.gateway;

import ai.djl.MalformedModelException;
import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.SymbolBlock;
import ai.djl.training.ParameterStore;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/**
 * A TorchScript model run by DJL's PyTorch engine. Convention: {@code forward(input_ids, attention_mask)} (both
 * int64 [batch, seq]) returns the Hugging Face hidden states, either as a tuple/list of L + 1 tensors
 * [batch, seq, d] (what {@code model(..., output_hidden_states=True).hidden_states} is) or as one stacked tensor
 * [L + 1, batch, seq, d]; entry i is layer i (0 = embeddings output). All L + 1 layers are returned.
 */
final class TorchScriptLayerRunner implements LayerRunner {
    static final String ENGINE = "PyTorch";

    private final Model model;
    private int[] layers;

    private TorchScriptLayerRunner(Model model) {
        this.model = model;
    }

    static TorchScriptLayerRunner load(String modelId, Path file) throws GatewayException {
        Model model = Model.newInstance(modelId, ENGINE);
        try {
            model.load(file.toAbsolutePath(), null, Map.of());
        } catch (IOException | MalformedModelException | RuntimeException e) {
            model.close();
            throw new GatewayException("PyTorch cannot load TorchScript model " + file + ": " + e.getMessage(), e);
        }
        return new TorchScriptLayerRunner(model);
    }

    @Override
    public int[] layers() {
        if (layers == null) throw new IllegalStateException("layers are known after the first run");
        return layers.clone();
    }

    @Override
    public Outputs run(long[] ids, long[] mask, long[] typeIds, int batch, int seq) throws GatewayException {
        try (NDManager m = model.getNDManager().newSubManager()) {
            Shape shape = new Shape(batch, seq);
            NDList in = new NDList(m.create(ids, shape), m.create(mask, shape));
            NDList out = ((SymbolBlock) model.getBlock()).forward(new ParameterStore(m, false), in, false);
            if (out.size() == 1 && out.head().getShape().dimension() == 4) {
                NDArray stacked = out.head();
                out = new NDList();
                for (long i = 0; i < stacked.getShape().get(0); i++) out.add(stacked.get(i));
            }
            float[][] perLayer = new float[out.size()][];
            int d = -1;
            for (int k = 0; k < out.size(); k++) {
                Shape s = out.get(k).getShape();
                if (s.dimension() != 3 || s.get(0) != batch || s.get(1) != seq || (d >= 0 && s.get(2) != d))
                    throw new GatewayException("TorchScript output " + k + " has shape " + s + ", expected [" + batch
                            + ", " + seq + ", d] (the model must return its hidden states, see --help)");
                d = (int) s.get(2);
                perLayer[k] = out.get(k).toType(DataType.FLOAT32, false).toFloatArray();
            }
            if (layers == null) layers = java.util.stream.IntStream.range(0, out.size()).toArray();
            return new Outputs(d, perLayer);
        } catch (ai.djl.engine.EngineException | IllegalArgumentException e) {
            throw new GatewayException("PyTorch failed to run the TorchScript model: " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        model.close();
    }
}
