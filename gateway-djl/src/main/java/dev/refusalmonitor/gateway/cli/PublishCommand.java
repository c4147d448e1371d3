package dev.refusalmonitor.gateway.cli;

import dev.refusalmonitor.gateway.GatewayException;
import dev.refusalmonitor.gateway.HiddenStatePublisher;
import dev.refusalmonitor.gateway.HiddenStateRecords;
import dev.refusalmonitor.gateway.PooledHiddenStates;
import dev.refusalmonitor.gateway.Prompt;
import dev.refusalmonitor.gateway.TransformerHiddenStates;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.Callable;

/** {@code gateway publish}: one HiddenState record per prompt to Kafka. */
@Command(name = "publish", mixinStandardHelpOptions = true,
        description = {"Embed prompts and publish one HiddenState record per prompt (key = request id).",
                "Unlabelled prompts go to --topic; with --label they are training samples and go to --training-topic."})
public final class PublishCommand implements Callable<Integer> {

    @Mixin
    ModelOptions options;

    @Option(names = "--bootstrap-servers", required = true, paramLabel = "HOST:PORT", description = "Kafka bootstrap servers.")
    String bootstrapServers;

    @Option(names = "--topic", defaultValue = HiddenStatePublisher.DEFAULT_TOPIC, paramLabel = "TOPIC",
            description = "Topic for live (unlabelled) hidden states (default: ${DEFAULT-VALUE}).")
    String topic;

    @Option(names = "--training-topic", defaultValue = HiddenStatePublisher.DEFAULT_TRAINING_TOPIC, paramLabel = "TOPIC",
            description = "Topic for labelled samples (default: ${DEFAULT-VALUE}).")
    String trainingTopic;

    @Option(names = "--model-revision", paramLabel = "REV", description = "Model revision carried by every record.")
    String modelRevision;

    @Option(names = "--tenant", paramLabel = "NAME", description = "Tenant carried by every record (optional).")
    String tenant;

    @Option(names = "--route", paramLabel = "NAME", description = "Route carried by every record (optional).")
    String route;

    @Option(names = "--producer-config", paramLabel = "FILE",
            description = "Kafka producer properties file; its settings win over the defaults (idempotent, acks=all, lz4, "
                    + "linger.ms=5, batch.size=65536, delivery.timeout.ms=30000, max.block.ms=15000).")
    Path producerConfig;

    @Option(names = "--producer-property", paramLabel = "KEY=VALUE",
            description = "One producer setting, e.g. compression.type=zstd (repeatable; wins over --producer-config).")
    Map<String, String> producerProperties;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws GatewayException, IOException {
        List<Prompt> prompts = options.readPrompts();
        Properties overrides = new Properties();
        if (producerConfig != null) {
            if (!Files.isRegularFile(producerConfig)) throw CliException.usage("producer config " + producerConfig + " does not exist");
            try (InputStream in = Files.newInputStream(producerConfig)) {
                overrides.load(in);
            }
        }
        if (producerProperties != null) overrides.putAll(producerProperties);
        String target = options.label == null ? topic : trainingTopic;
        try (TransformerHiddenStates model = TransformerHiddenStates.open(options.spec())) {
            PooledHiddenStates states = model.embed(prompts.stream().map(Prompt::instruction).toList(), options.pooling,
                    options.layers);
            HiddenStateRecords.Context ctx = new HiddenStateRecords.Context(model.modelId(), modelRevision, tenant, route,
                    options.pooling);
            long now = System.currentTimeMillis();
            try (HiddenStatePublisher publisher = new HiddenStatePublisher(
                    HiddenStatePublisher.producerConfig(bootstrapServers, overrides))) {
                for (int i = 0; i < prompts.size(); i++) {
                    Prompt p = prompts.get(i);
                    String id = p.id() != null ? p.id() : UUID.randomUUID().toString();
                    publisher.send(target, HiddenStateRecords.build(ctx, id, now, states, i, options.label, p.category()));
                }
                publisher.flush();
                spec.commandLine().getOut().println("published " + publisher.sent() + " records to '" + target + "'");
            } catch (GatewayException e) {
                throw new CliException(ExitCodes.RUNTIME_FAILURE, e.getMessage(), e);
            } catch (org.apache.kafka.common.KafkaException e) {
                throw new CliException(ExitCodes.RUNTIME_FAILURE, "Kafka producer: " + e.getMessage(), e);
            }
        }
        return ExitCodes.OK;
    }
}
