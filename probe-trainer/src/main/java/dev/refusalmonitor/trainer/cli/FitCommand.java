package dev.refusalmonitor.trainer.cli;

import dev.refusalmonitor.math.fit.MahalanobisFit;
import dev.refusalmonitor.cli.ActivationInputOptions;

import dev.refusalmonitor.cli.CliException;

import dev.refusalmonitor.cli.ExitCodes;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.refusalmonitor.activations.ActivationSet;
import dev.refusalmonitor.contract.directions.DirectionSetModel;
import dev.refusalmonitor.math.fit.DirectionFitter;
import dev.refusalmonitor.math.fit.FitReport;
import dev.refusalmonitor.math.fit.LabelledLayers;
import dev.refusalmonitor.math.fit.LayerReport;
import dev.refusalmonitor.math.fit.LogisticProbeFit;
import dev.refusalmonitor.schemas.DirectionSetCodec;
import dev.refusalmonitor.schemas.signing.DirectionSetSigner;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code probe-trainer fit}: fits every direction type from activation arrays and writes {@code DIR/directions.pb}
 * (the sealed DirectionSet exactly as it goes on the topic) and {@code DIR/report.json}.
 */
@Command(name = "fit", mixinStandardHelpOptions = true,
        description = "Fit DIM, Fisher, probe, Mahalanobis, CAST and refusal-plane directions; write directions.pb and report.json.")
public final class FitCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--harmful", required = true, paramLabel = "FILE",
            description = "Harmful/refused activations: .npy [n, d] or [n, L, d], .safetensors, or a directory of vLLM hidden-state files.")
    Path harmful;

    @Option(names = "--harmless", required = true, paramLabel = "FILE", description = "Harmless/complied activations, same forms.")
    Path harmless;

    @Option(names = "--holdout-harmful", paramLabel = "FILE", description = "Held-out harmful rows for the report (with --holdout-harmless).")
    Path holdoutHarmful;

    @Option(names = "--holdout-harmless", paramLabel = "FILE", description = "Held-out harmless rows for the report (with --holdout-harmful).")
    Path holdoutHarmless;

    @Mixin
    ActivationInputOptions input;

    @Option(names = "--out", defaultValue = ".", paramLabel = "DIR", description = "Output directory (default: current directory).")
    Path out;

    @Option(names = "--model-id", defaultValue = "default", description = "Model id the set is for (default: ${DEFAULT-VALUE}).")
    String modelId;

    @Option(names = "--model-revision", defaultValue = "", description = "Model revision (optional).")
    String modelRevision;

    @Option(names = "--set-version", defaultValue = "1", description = "Version number of the set (default: ${DEFAULT-VALUE}).")
    long version;

    @Option(names = "--holdout-fraction", defaultValue = "0.25", description = "Share of each class held out for the report when no holdout files are given (default: ${DEFAULT-VALUE}).")
    double holdoutFraction;

    @Option(names = "--seed", defaultValue = "7", description = "Seed of the split, the shuffled-label control and PCA pairing (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--probe-c", defaultValue = "1.0", description = "Inverse L2 strength C of the logistic probe (default: ${DEFAULT-VALUE}).")
    double probeC;

    @Option(names = "--probe-tolerance", defaultValue = "1e-6", description = "Probe optimiser tolerance on the relative gradient (default: ${DEFAULT-VALUE}).")
    double probeTolerance;

    @Option(names = "--low-rank-k", defaultValue = "" + MahalanobisFit.DEFAULT_LOW_RANK_K, description = "Eigenvectors kept for the low-rank Mahalanobis path (default: ${DEFAULT-VALUE}).")
    int lowRankK;

    @Option(names = "--exact-max-dim", defaultValue = "1024", description = "Store the exact Mahalanobis factor (d(d+1)/2 floats) when d <= this (default: ${DEFAULT-VALUE}).")
    int exactMaxDim;

    @Option(names = "--mahalanobis-l2-normalize", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Mahalanobis++: L2-normalise activations before the covariance and the distance (default: on; "
                    + "--no-mahalanobis-l2-normalize for the plain distance).")
    boolean l2Normalize;

    @Option(names = "--ensemble-layers", split = ",", paramLabel = "L",
            description = "Layers of the Mahalanobis ensemble (default: every fitted layer); 'none' for no ensemble.")
    List<String> ensembleLayers;

    @Option(names = "--min-per-class", defaultValue = "10", description = "Fewest rows per class accepted (default: ${DEFAULT-VALUE}).")
    int minPerClass;

    @Mixin
    SigningOptions signing;

    @Option(names = "--target-fpr", defaultValue = "0.01", paramLabel = "RATE",
            description = "False-positive rate every published decision (flagged, cast_fired) is calibrated to on "
                    + "out-of-fold harmless rows (default: ${DEFAULT-VALUE}).")
    double targetFpr;

    @Option(names = "--fpr-confidence", defaultValue = "0", paramLabel = "Q",
            description = "0: the expected FPR is at most --target-fpr; Q in (0, 1): the FPR is at most the target with "
                    + "probability Q over the calibration sample (stricter thresholds; default: ${DEFAULT-VALUE}).")
    double fprConfidence;

    @Option(names = "--cv-folds", defaultValue = "5", paramLabel = "K",
            description = "Folds of the stratified cross-validation over all rows that ranks layers and calibrates "
                    + "thresholds (default: ${DEFAULT-VALUE}).")
    int cvFolds;

    @Option(names = "--multi-layer", defaultValue = "auto", paramLabel = "auto|off|concat|stacked",
            description = "Headline probe over several layers: auto = whichever of the best single layer, the "
                    + "concatenated and the stacked probe CV ranks first (default: ${DEFAULT-VALUE}).")
    String multiLayer;

    @Option(names = "--multi-layer-count", defaultValue = "3", paramLabel = "M",
            description = "How many of the best-ranked layers a multi-layer probe combines (default: ${DEFAULT-VALUE}).")
    int multiLayerCount;

    @Option(names = "--quiet", description = "No progress lines on stderr.")
    boolean quiet;

    @Override
    public Integer call() throws Exception {
        if ((holdoutHarmful == null) != (holdoutHarmless == null))
            throw CliException.usage("--holdout-harmful and --holdout-harmless go together");
        // Checked here (the fitter checks too) so the message names the option, not the Java parameter.
        if (minPerClass < 4) throw CliException.usage("--min-per-class must be >= 4 (2 rows to fit, 2 to evaluate), got " + minPerClass);
        if (!(holdoutFraction > 0 && holdoutFraction < 1))
            throw CliException.usage("--holdout-fraction must be in (0, 1), got " + holdoutFraction);
        if (lowRankK < 1) throw CliException.usage("--low-rank-k must be >= 1, got " + lowRankK);
        if (!(targetFpr > 0 && targetFpr < 1)) throw CliException.usage("--target-fpr must be in (0, 1), got " + targetFpr);
        if (!(fprConfidence == 0 || (fprConfidence > 0 && fprConfidence < 1)))
            throw CliException.usage("--fpr-confidence must be 0 or in (0, 1), got " + fprConfidence);
        if (cvFolds < 2) throw CliException.usage("--cv-folds must be >= 2, got " + cvFolds);
        if (multiLayerCount < 2) throw CliException.usage("--multi-layer-count must be >= 2, got " + multiLayerCount);
        multiLayer();
        if (version < 1) throw CliException.usage("--set-version must be >= 1, got " + version);
        if (modelId.isBlank()) throw CliException.usage("--model-id must not be blank");
        PrintWriter err = spec.commandLine().getErr();
        requireDistinct(harmful, harmless);
        ActivationSet h = input.load(harmful);
        ActivationSet s = input.load(harmless);
        h.requireSameShape(s);
        requireRows(h, "--harmful", minPerClass);
        requireRows(s, "--harmless", minPerClass);
        LabelledLayers data = labelled(h, s);
        LabelledLayers holdout = null;
        if (holdoutHarmful != null) {
            requireDistinct(holdoutHarmful, holdoutHarmless);
            ActivationSet hh = input.load(holdoutHarmful);
            ActivationSet hs = input.load(holdoutHarmless);
            h.requireSameShape(hh);
            h.requireSameShape(hs);
            // The evaluation needs two rows per class to rank (DirectionFitter's own floor for holdout sets).
            requireRows(hh, "--holdout-harmful", 2);
            requireRows(hs, "--holdout-harmless", 2);
            holdout = labelled(hh, hs);
        }
        DirectionFitter.Options options = new DirectionFitter.Options(modelId, modelRevision, version, holdoutFraction,
                seed, LogisticProbeFit.Options.defaults().withC(probeC).withTolerance(probeTolerance), lowRankK,
                exactMaxDim, l2Normalize, 0.001, ensemble(), minPerClass,
                quiet ? null : msg -> { err.println("fit: " + msg); err.flush(); })
                .withDetection(targetFpr, fprConfidence, cvFolds, multiLayer(), multiLayerCount);
        DirectionFitter.Result result;
        try {
            result = DirectionFitter.fit(data, holdout, options);
        } catch (IllegalArgumentException e) {
            // The fitter does not know the file names; say which inputs the problem is in.
            throw CliException.usage("cannot fit " + harmful + " against " + harmless + ": " + e.getMessage());
        }
        String reportJson = reportJson(result.report());
        DirectionSetModel set = withReport(result.set(), reportJson);
        Files.createDirectories(out);
        DirectionSetSigner signer = signing.signer();
        writeAtomically(out.resolve("directions.pb"), DirectionSetCodec.seal(set, signer));
        writeAtomically(out.resolve("report.json"), (reportJson + "\n").getBytes(java.nio.charset.StandardCharsets.UTF_8));
        PrintWriter o = spec.commandLine().getOut();
        FitReport r = result.report();
        o.printf("model %s v%d: d=%d, %d harmful / %d harmless, scoring layer %d, CAST layer %d%n",
                set.modelId(), set.version(), set.d(), set.harmfulCount(), set.harmlessCount(), r.scoringLayer(), r.castLayer());
        for (LayerReport l : r.layers())
            o.printf("  layer %d: CV probe AUC %.4f ± %.4f, TPR at %s FPR %.3f ± %.3f, log-loss %.4f; held-out AUC probe %.4f,"
                            + " DIM %.4f, Fisher %.4f, Mahalanobis %.4f, selectivity %.3f%n",
                    l.layer(), l.cvProbeAuc(), l.cvProbeAucStd(), percent(r.targetFpr()), l.cvProbeTpr(), l.cvProbeTprStd(),
                    l.cvProbeLogLoss(), l.probeAuc(), l.dimAuc(), l.fisherAuc(), l.mahalanobisAuc(), l.selectivity());
        FitReport.ProbeCandidate hp = r.headlineProbe();
        o.printf("headline probe: %s over layers %s (CV AUC %.4f, TPR %.3f at %s FPR)%n", hp.kind(),
                java.util.Arrays.toString(hp.layers()), hp.auc(), hp.tprAtTarget(), percent(r.targetFpr()));
        for (FitReport.Decision dec : List.of(r.flagged(), r.castFired()))
            o.printf("%s: expected FPR %.4f (95%% %.4f–%.4f%s), TPR %.3f (95%% %.3f–%.3f)%n", dec.decision(),
                    dec.expectedFpr(), dec.fprLow(), dec.fprHigh(), dec.targetMet() ? "" : "; too few harmless rows for the target",
                    dec.tpr(), dec.tprLow(), dec.tprHigh());
        if (r.holdoutCheck() != null)
            o.printf("holdout files: flagged %.4f of harmless (95%% %.4f–%.4f), %.3f of harmful; CAST fired on %.4f of harmless, %.3f of harmful%n",
                    r.holdoutCheck().flaggedFpr(), r.holdoutCheck().flaggedFprLow(), r.holdoutCheck().flaggedFprHigh(),
                    r.holdoutCheck().flaggedTpr(), r.holdoutCheck().castFpr(), r.holdoutCheck().castTpr());
        o.printf("wrote %s (%s) and %s%n", out.resolve("directions.pb"),
                signer == null ? "unsigned" : "signed by key " + signer.keyId(), out.resolve("report.json"));
        o.flush();
        return ExitCodes.OK;
    }

    private static String percent(double rate) {
        return String.format(java.util.Locale.ROOT, "%.3g %%", rate * 100);
    }

    /** The same file for both classes gives identical class means: nothing to fit. */
    private static void requireDistinct(Path a, Path b) throws IOException {
        if (Files.exists(a) && Files.exists(b) && Files.isSameFile(a, b))
            throw CliException.usage(a + " is given as both the harmful and the harmless input; the classes must be"
                    + " different samples");
    }

    private static void requireRows(ActivationSet set, String option, int min) {
        if (set.n() < min)
            throw CliException.usage(set.source() + " (" + option + "): " + set.n() + " row(s), fewer than the "
                    + min + " per class needed" + (option.startsWith("--holdout") ? "" : " (--min-per-class)"));
    }

    private DirectionFitter.MultiLayer multiLayer() {
        try {
            return DirectionFitter.MultiLayer.valueOf(multiLayer.trim().toUpperCase(java.util.Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw CliException.usage("--multi-layer takes auto, off, concat or stacked, got '" + multiLayer + "'");
        }
    }

    private int[] ensemble() {
        if (ensembleLayers == null) return null;
        if (ensembleLayers.size() == 1 && ensembleLayers.get(0).equalsIgnoreCase("none")) return new int[0];
        try {
            return ensembleLayers.stream().mapToInt(Integer::parseInt).sorted().toArray();
        } catch (NumberFormatException e) {
            throw CliException.usage("--ensemble-layers takes layer indices or 'none', got " + ensembleLayers);
        }
    }

    static LabelledLayers labelled(ActivationSet h, ActivationSet s) {
        int[] layers = h.layers();
        float[][] hv = new float[layers.length][];
        float[][] sv = new float[layers.length][];
        for (int i = 0; i < layers.length; i++) {
            hv[i] = h.layer(layers[i]);
            sv[i] = s.layer(layers[i]);
        }
        return new LabelledLayers(layers, hv, h.n(), sv, s.n(), h.d(), null);
    }

    /** report.json: the FitReport as indented JSON. */
    public static String reportJson(FitReport report) throws IOException {
        return new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(report);
    }

    static DirectionSetModel withReport(DirectionSetModel m, String reportJson) {
        return m.withReportJson(reportJson);
    }

    /** Writes to a temporary file beside the target and renames it, so a reader never sees half a file. */
    static void writeAtomically(Path target, byte[] bytes) throws IOException {
        Path tmp = target.resolveSibling(target.getFileName() + ".tmp");
        Files.write(tmp, bytes);
        Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
}
