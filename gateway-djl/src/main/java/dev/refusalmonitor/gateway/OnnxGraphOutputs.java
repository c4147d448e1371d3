package dev.refusalmonitor.gateway;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.WireFormat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * Reads tensor names from ONNX model bytes and turns intermediate tensors into graph outputs, without an ONNX
 * library: only the few protobuf fields involved are touched.
 *
 * <p>ONNX fields used: {@code ModelProto.graph} = 7; {@code GraphProto.node} = 1, {@code input} = 11,
 * {@code output} = 12; {@code NodeProto.output} = 2; {@code ValueInfoProto.name} = 1, {@code type} = 2;
 * {@code TypeProto.tensor_type} = 1; {@code TypeProto.Tensor.elem_type} = 1 (1 = FLOAT).
 */
public final class OnnxGraphOutputs {
    private static final int MODEL_GRAPH = 7;
    private static final int GRAPH_NODE = 1;
    private static final int GRAPH_INPUT = 11;
    private static final int GRAPH_OUTPUT = 12;
    private static final int NODE_OUTPUT = 2;
    private static final int VALUE_INFO_NAME = 1;
    private static final int VALUE_INFO_TYPE = 2;
    private static final int TYPE_TENSOR = 1;
    private static final int TENSOR_ELEM_TYPE = 1;
    private static final int ELEM_TYPE_FLOAT = 1;

    private OnnxGraphOutputs() {
    }

    /** Names of the main graph's tensors: graph inputs, every node output, and graph outputs. */
    public record GraphNames(Set<String> inputs, Set<String> nodeOutputs, Set<String> outputs) {
        /** True when a tensor of that name exists in the main graph (a node produces it or it is an input). */
        public boolean hasTensor(String name) {
            return nodeOutputs.contains(name) || inputs.contains(name);
        }
    }

    /**
     * Scans the main graph of an ONNX model (subgraphs of If/Loop nodes are not visited).
     *
     * @throws IOException if the bytes are not a protobuf message of the expected shape
     */
    public static GraphNames scan(byte[] model) throws IOException {
        Set<String> inputs = new LinkedHashSet<>();
        Set<String> nodeOutputs = new LinkedHashSet<>();
        Set<String> outputs = new LinkedHashSet<>();
        CodedInputStream in = CodedInputStream.newInstance(model);
        boolean sawGraph = false;
        while (true) {
            int tag = in.readTag();
            if (tag == 0) break;
            if (WireFormat.getTagFieldNumber(tag) == MODEL_GRAPH && WireFormat.getTagWireType(tag) == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
                sawGraph = true;
                int limit = in.pushLimit(in.readRawVarint32());
                scanGraph(in, inputs, nodeOutputs, outputs);
                in.popLimit(limit);
            } else {
                in.skipField(tag);
            }
        }
        if (!sawGraph) throw new IOException("not an ONNX model: no graph (field 7) found");
        return new GraphNames(inputs, nodeOutputs, outputs);
    }

    private static void scanGraph(CodedInputStream in, Set<String> inputs, Set<String> nodeOutputs, Set<String> outputs)
            throws IOException {
        while (true) {
            int tag = in.readTag();
            if (tag == 0) return;
            int field = WireFormat.getTagFieldNumber(tag);
            if (WireFormat.getTagWireType(tag) != WireFormat.WIRETYPE_LENGTH_DELIMITED
                    || (field != GRAPH_NODE && field != GRAPH_INPUT && field != GRAPH_OUTPUT)) {
                in.skipField(tag);
                continue;
            }
            int limit = in.pushLimit(in.readRawVarint32());
            int wanted = field == GRAPH_NODE ? NODE_OUTPUT : VALUE_INFO_NAME;
            Set<String> into = field == GRAPH_NODE ? nodeOutputs : field == GRAPH_INPUT ? inputs : outputs;
            while (true) {
                int t = in.readTag();
                if (t == 0) break;
                if (WireFormat.getTagFieldNumber(t) == wanted && WireFormat.getTagWireType(t) == WireFormat.WIRETYPE_LENGTH_DELIMITED)
                    into.add(in.readStringRequireUtf8());
                else
                    in.skipField(t);
            }
            in.popLimit(limit);
        }
    }

    /**
     * Returns {@code model} with {@code names} added as float graph outputs: the bytes of a ModelProto holding only
     * a GraphProto with one ValueInfoProto {name, type = tensor(float)} per name are appended, and protobuf parsing
     * merges a repeated embedded message field into the existing one, so the outputs join the graph's list. Shapes
     * are left for ONNX Runtime to infer.
     */
    public static byte[] withExtraOutputs(byte[] model, Collection<String> names) {
        try {
            ByteArrayOutputStream graphBytes = new ByteArrayOutputStream();
            CodedOutputStream graph = CodedOutputStream.newInstance(graphBytes);
            for (String name : names) {
                byte[] tensorType = message(o -> o.writeInt32(TENSOR_ELEM_TYPE, ELEM_TYPE_FLOAT));
                byte[] type = message(o -> o.writeByteArray(TYPE_TENSOR, tensorType));
                byte[] valueInfo = message(o -> {
                    o.writeString(VALUE_INFO_NAME, name);
                    o.writeByteArray(VALUE_INFO_TYPE, type);
                });
                graph.writeByteArray(GRAPH_OUTPUT, valueInfo);
            }
            graph.flush();
            byte[] appended = message(o -> o.writeByteArray(MODEL_GRAPH, graphBytes.toByteArray()));
            byte[] out = new byte[model.length + appended.length];
            System.arraycopy(model, 0, out, 0, model.length);
            System.arraycopy(appended, 0, out, model.length, appended.length);
            return out;
        } catch (IOException e) {
            throw new IllegalStateException("writing protobuf to memory failed", e);
        }
    }

    private interface Writer {
        void write(CodedOutputStream out) throws IOException;
    }

    private static byte[] message(Writer w) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        CodedOutputStream out = CodedOutputStream.newInstance(bytes);
        w.write(out);
        out.flush();
        return bytes.toByteArray();
    }
}
