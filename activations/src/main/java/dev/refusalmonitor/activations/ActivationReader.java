package dev.refusalmonitor.activations;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The loaders behind {@link ActivationSet#load}; formats are documented there. */
final class ActivationReader {
    /** Tensor names that give a layer index: layer.{i}, layers.{i}, hidden_states.{i} or {i}. */
    static final Pattern LAYER_NAME = Pattern.compile("(?:layer\\.|layers\\.|hidden_states\\.)?(\\d{1,9})");
    private static final String NAMING = "name one [n, d] tensor per layer layer.{i}, layers.{i}, hidden_states.{i} or {i}"
            + " (i = Hugging Face hidden_states index), or store a single [n, L, d] tensor";

    private ActivationReader() {
    }

    /** Reads row i ([L, d] values, C order) into out. */
    private interface RowReader {
        void read(int row, float[] out) throws IOException;
    }

    static ActivationSet load(Path path, LoadOptions o) throws IOException {
        if (Files.isDirectory(path)) return loadVllm(vllmFiles(path), o, path);
        if (!Files.exists(path)) throw new ActivationFileException(path, "no such file or directory");
        String name = path.getFileName().toString().toLowerCase(Locale.ROOT);
        if (name.endsWith(".npy")) return loadNpy(path, o);
        if (name.endsWith(".safetensors")) {
            SafetensorsReader r = SafetensorsReader.open(path);
            if (r.has("token_ids")) return loadVllm(List.of(path), o, path);
            return loadSafetensors(r, o);
        }
        throw new ActivationFileException(path, "unknown activation file type; expected a .npy file, a .safetensors file"
                + " or a directory of vLLM per-request .safetensors files");
    }

    static ActivationSet loadVllm(List<Path> files, LoadOptions o) throws IOException {
        if (files.isEmpty()) throw new IllegalArgumentException("no vLLM hidden-state files given");
        Path source = files.size() == 1 ? files.get(0) : files.get(0).toAbsolutePath().getParent();
        return loadVllm(files, o, source);
    }

    private static List<Path> vllmFiles(Path dir) throws IOException {
        List<Path> files = new ArrayList<>();
        boolean compressed = false;
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            for (Path p : ds) {
                String name = p.getFileName().toString();
                if (name.endsWith(".safetensors") && Files.isRegularFile(p)) files.add(p);
                compressed |= name.endsWith(".safetensors.zst");
            }
        }
        if (files.isEmpty())
            throw new ActivationFileException(dir, "directory has no .safetensors files" + (compressed
                    ? "; it has zstd-compressed .safetensors.zst files: decompress them first (zstd -d *.zst)" : ""));
        files.sort(Comparator.comparing(p -> p.getFileName().toString()));
        return files;
    }

    // ---- .npy ----

    private static ActivationSet loadNpy(Path file, LoadOptions o) throws IOException {
        try (FileChannel ch = NpyReader.open(file)) {
            NpyReader.Header h = NpyReader.readHeader(file, ch, false);
            int[] s = h.shape();
            if (s.length != 2 && s.length != 3)
                throw new ActivationFileException(file, "array of shape " + Arrays.toString(s) + " has rank " + s.length
                        + "; expected [n, d] for one layer or [n, L, d] for L layers");
            int n = s[0];
            int layerCount = s.length == 3 ? s[1] : 1;
            int d = s[s.length - 1];
            SafetensorsDType type = FloatDecoding.of(h.dtype());
            long rowElems = (long) layerCount * d;
            RowReader rows = (i, out) -> FloatDecoding.read(file, ch, h.dataStart() + i * rowElems * type.size(), type,
                    out, 0, out.length, "data");
            return assemble(file, n, layerCount, d, o, rows);
        }
    }

    // ---- .safetensors ----

    private static ActivationSet loadSafetensors(SafetensorsReader r, LoadOptions o) throws IOException {
        Path file = r.file();
        List<String> names = r.names();
        if (names.isEmpty()) throw new ActivationFileException(file, "safetensors file has no tensors; " + NAMING);
        TreeMap<Integer, String> byLayer = new TreeMap<>();
        List<String> others = new ArrayList<>();
        for (String name : names) {
            Matcher m = LAYER_NAME.matcher(name);
            if (m.matches()) {
                String prev = byLayer.put(Integer.parseInt(m.group(1)), name);
                if (prev != null)
                    throw new ActivationFileException(file, "tensors '" + prev + "' and '" + name + "' both claim layer "
                            + m.group(1));
            } else {
                others.add(name);
            }
        }
        if (byLayer.isEmpty()) {
            if (names.size() != 1)
                throw new ActivationFileException(file, "cannot tell the layers of tensors " + names + "; " + NAMING);
            return loadSingleTensor(r, r.tensor(names.get(0)), o);
        }
        if (!others.isEmpty())
            throw new ActivationFileException(file, "tensor '" + others.get(0) + "' is not named for a layer; " + NAMING);
        if (o.axisLayers() != null)
            throw new ActivationFileException(file, "the tensor names give the layers " + byLayer.keySet()
                    + "; a layer-index list for the layer axis does not apply");
        int[] available = byLayer.keySet().stream().mapToInt(Integer::intValue).toArray();
        int[] keep = o.layers() == null ? available : sortedKeep(file, available, o.layers());
        int n = -1;
        int d = -1;
        String first = null;
        float[][] out = new float[keep.length][];
        for (int k = 0; k < keep.length; k++) {
            SafetensorsReader.TensorInfo t = r.tensor(byLayer.get(keep[k]));
            int[] s = t.shape();
            if (s.length != 2)
                throw new ActivationFileException(file, "tensor '" + t.name() + "' has shape " + Arrays.toString(s)
                        + "; a per-layer tensor must be [n, d]");
            if (first == null) {
                n = s[0];
                d = s[1];
                first = t.name();
                requireNonEmpty(file, n, 1, d);
            } else if (s[0] != n || s[1] != d) {
                throw new ActivationFileException(file, "tensor '" + t.name() + "' has shape " + Arrays.toString(s)
                        + " but '" + first + "' has [" + n + ", " + d + "]");
            }
            requireOneArray(file, n, d);
            out[k] = r.readFloats(t.name());
            String bad = ActivationSet.firstNonFinite(out[k], n, d, keep[k]);
            if (bad != null) throw new ActivationFileException(file, bad);
        }
        return ActivationSet.checked(file, n, d, keep, out);
    }

    private static ActivationSet loadSingleTensor(SafetensorsReader r, SafetensorsReader.TensorInfo t, LoadOptions o)
            throws IOException {
        Path file = r.file();
        int[] s = t.shape();
        if (s.length != 2 && s.length != 3)
            throw new ActivationFileException(file, "tensor '" + t.name() + "' has shape " + Arrays.toString(s)
                    + "; expected [n, d] or [n, L, d]; or " + NAMING);
        if (!t.dtype().isFloat())
            throw new ActivationFileException(file, "tensor '" + t.name() + "' has dtype " + t.dtype()
                    + "; activations must be F16, BF16, F32 or F64");
        int n = s[0];
        int layerCount = s.length == 3 ? s[1] : 1;
        int d = s[s.length - 1];
        long rowElems = (long) layerCount * d;
        try (FileChannel ch = NpyReader.open(file)) {
            RowReader rows = (i, out) -> FloatDecoding.read(file, ch,
                    r.dataStart() + t.begin() + i * rowElems * t.dtype().size(), t.dtype(), out, 0, out.length,
                    "data of tensor '" + t.name() + "'");
            return assemble(file, n, layerCount, d, o, rows);
        }
    }

    // ---- vLLM per-request files ----

    private static ActivationSet loadVllm(List<Path> files, LoadOptions o, Path source) throws IOException {
        int n = files.size();
        int layerCount = -1;
        int d = -1;
        Path first = null;
        int[] axis = null;
        int[] positions = null;
        int[] keep = null;
        float[][] out = null;
        for (int row = 0; row < n; row++) {
            Path file = files.get(row);
            SafetensorsReader r = SafetensorsReader.open(file);
            if (!r.has("token_ids") || !r.has("hidden_states"))
                throw new ActivationFileException(file, "not a vLLM hidden-state file: expected tensors 'token_ids' and"
                        + " 'hidden_states', found " + r.names());
            SafetensorsReader.TensorInfo ids = r.tensor("token_ids");
            SafetensorsReader.TensorInfo hs = r.tensor("hidden_states");
            if (!ids.dtype().isInteger() || ids.shape().length != 1)
                throw new ActivationFileException(file, "tensor 'token_ids' is " + ids + "; expected [seq] of I64 or I32");
            int seq = ids.shape()[0];
            if (seq == 0)
                throw new ActivationFileException(file, "no tokens: 'token_ids' is empty (a prompt given as embeddings?)");
            int[] s = hs.shape();
            if (s.length != 3 || s[0] != seq)
                throw new ActivationFileException(file, "tensor 'hidden_states' has shape " + Arrays.toString(s)
                        + "; expected [seq, layers, hidden] with seq = " + seq + " (the length of 'token_ids')");
            if (!hs.dtype().isFloat())
                throw new ActivationFileException(file, "tensor 'hidden_states' has dtype " + hs.dtype()
                        + "; expected F16, BF16, F32 or F64");
            if (first == null) {
                first = file;
                layerCount = s[1];
                d = s[2];
                requireNonEmpty(file, n, layerCount, d);
                axis = axisLayers(file, layerCount, o);
                keep = o.layers() == null ? sorted(axis) : sortedKeep(file, sorted(axis), o.layers());
                positions = positionsOf(axis, keep);
                requireOneArray(file, n, d);
                out = new float[keep.length][n * d];
            } else if (s[1] != layerCount || s[2] != d) {
                throw new ActivationFileException(file, "hidden_states has " + s[1] + " layers of size " + s[2] + " but "
                        + first.getFileName() + " has " + layerCount + " of size " + d);
            }
            float[] pooled = pool(r, hs, seq, layerCount * d, o.pooling());
            scatter(file, row, pooled, d, keep, positions, out);
        }
        return ActivationSet.checked(source, n, d, keep, out);
    }

    private static float[] pool(SafetensorsReader r, SafetensorsReader.TensorInfo hs, int seq, int rowElems,
                                Pooling pooling) throws IOException {
        Path file = r.file();
        long base = r.dataStart() + hs.begin();
        long stride = (long) rowElems * hs.dtype().size();
        float[] pos = new float[rowElems];
        try (FileChannel ch = NpyReader.open(file)) {
            if (pooling == Pooling.LAST_TOKEN) {
                FloatDecoding.read(file, ch, base + (seq - 1) * stride, hs.dtype(), pos, 0, rowElems, "hidden_states");
                return pos;
            }
            double[] sum = new double[rowElems];
            for (int t = 0; t < seq; t++) {
                FloatDecoding.read(file, ch, base + t * stride, hs.dtype(), pos, 0, rowElems, "hidden_states");
                for (int j = 0; j < rowElems; j++) sum[j] += pos[j];
            }
            for (int j = 0; j < rowElems; j++) pos[j] = (float) (sum[j] / seq);
            return pos;
        }
    }

    // ---- shared ----

    /** Builds the set from n rows of [L, d] values, keeping the requested layers and checking every value. */
    private static ActivationSet assemble(Path file, int n, int layerCount, int d, LoadOptions o, RowReader rows)
            throws IOException {
        requireNonEmpty(file, n, layerCount, d);
        int[] axis = axisLayers(file, layerCount, o);
        int[] keep = o.layers() == null ? sorted(axis) : sortedKeep(file, sorted(axis), o.layers());
        int[] positions = positionsOf(axis, keep);
        requireOneArray(file, n, d);
        if ((long) layerCount * d > NpyReader.MAX_ELEMENTS)
            throw new ActivationFileException(file, "one row of " + layerCount + " x " + d + " values is too large");
        float[][] out = new float[keep.length][n * d];
        float[] row = new float[layerCount * d];
        for (int i = 0; i < n; i++) {
            rows.read(i, row);
            scatter(file, i, row, d, keep, positions, out);
        }
        return ActivationSet.checked(file, n, d, keep, out);
    }

    /** Copies the kept layers of one [L, d] row into the per-layer arrays; a non-finite value is an error. */
    private static void scatter(Path file, int i, float[] row, int d, int[] keep, int[] positions, float[][] out)
            throws ActivationFileException {
        for (int k = 0; k < keep.length; k++) {
            int from = positions[k] * d;
            for (int j = 0; j < d; j++) {
                float v = row[from + j];
                if (!Float.isFinite(v))
                    throw new ActivationFileException(file, "row " + i + ", layer " + keep[k]
                            + " has a non-finite value (" + v + " at column " + j + ")");
            }
            System.arraycopy(row, from, out[k], i * d, d);
        }
    }

    private static void requireNonEmpty(Path file, int n, int layerCount, int d) throws ActivationFileException {
        if (n == 0 || layerCount == 0 || d == 0)
            throw new ActivationFileException(file, "empty activations (n = " + n + ", layers = " + layerCount
                    + ", d = " + d + "); every dimension must be at least 1");
    }

    private static void requireOneArray(Path file, int n, int d) throws ActivationFileException {
        if ((long) n * d > NpyReader.MAX_ELEMENTS)
            throw new ActivationFileException(file, n + " rows of " + d + " values per layer are too many for one Java"
                    + " array (limit " + NpyReader.MAX_ELEMENTS + "); split the samples into several files");
    }

    /** The layer index of each entry of a layer axis of length L. */
    private static int[] axisLayers(Path file, int layerCount, LoadOptions o) throws ActivationFileException {
        if (o.axisLayers() == null) {
            int[] a = new int[layerCount];
            for (int i = 0; i < layerCount; i++) a[i] = i;
            return a;
        }
        if (o.axisLayers().length != layerCount)
            throw new ActivationFileException(file, "the layer axis has " + layerCount + " entries but "
                    + o.axisLayers().length + " layer indices were given " + Arrays.toString(o.axisLayers()));
        return o.axisLayers();
    }

    private static int[] sorted(int[] a) {
        int[] s = a.clone();
        Arrays.sort(s);
        return s;
    }

    /** The requested layers, sorted; an error naming the available ones if any is absent. */
    private static int[] sortedKeep(Path file, int[] availableSorted, int[] requested) throws ActivationFileException {
        int[] keep = sorted(requested);
        for (int l : keep)
            if (Arrays.binarySearch(availableSorted, l) < 0)
                throw new ActivationFileException(file, "no layer " + l + "; available layers " + Arrays.toString(availableSorted));
        return keep;
    }

    private static int[] positionsOf(int[] axis, int[] keep) {
        int[] pos = new int[keep.length];
        for (int k = 0; k < keep.length; k++)
            for (int a = 0; a < axis.length; a++)
                if (axis[a] == keep[k]) pos[k] = a;
        return pos;
    }
}
