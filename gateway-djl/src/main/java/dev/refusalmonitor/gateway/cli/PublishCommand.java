package dev.refusalmonitor.gateway.cli;

import dev.refusalmonitor.cli.CliException;

import dev.refusalmonitor.cli.ExitCodes;

import dev.refusalmonitor.contract.TopicNames;

import dev.refusalmonitor.gateway.GatewayException;
import dev.refusalmonitor.gateway.HiddenStatePublisher;
import dev.refusalmonitor.gateway.HiddenStateRecords;
import dev.refusalmonitor.gateway.PooledHiddenStates;
import dev.refusalmonitor.gateway.Prompt;
import dev.refusalmonitor.gateway.TransformerHiddenStates;
import dev.refusalmonitor.cli.KafkaClientOptions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.IOException;
import java.util.List;
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

    @Option(names = "--topic", defaultValue = TopicNames.HIDDEN_STATES, paramLabel = "TOPIC",
            description = "Topic for live (unlabelled) hidden states (default: ${DEFAULT-VALUE}).")
    String topic;

    @Option(names = "--training-topic", defaultValue = TopicNames.TRAINING_SAMPLES, paramLabel = "TOPIC",
            description = "Topic for labelled samples (default: ${DEFAULT-VALUE}).")
    String trainingTopic;

    @Option(names = "--model-revision", paramLabel = "REV", description = "Model revision carried by every record.")
    String modelRevision;

    @Option(names = "--tenant", paramLabel = "NAME", description = "Tenant carried by every record (optional).")
    String tenant;

    @Option(names = "--route", paramLabel = "NAME", description = "Route carried by every record (optional).")
    String route;

    /** --bootstrap-servers, --config, --set: producer settings (security, compression, ...) by the settings convention. */
    @Mixin
    KafkaClientOptions kafka;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws GatewayException, IOException {
        List<Prompt> prompts = options.readPrompts();
        String target = options.label == null ? topic : trainingTopic;
        try (TransformerHiddenStates model = TransformerHiddenStates.open(options.spec())) {
            PooledHiddenStates states = model.embed(prompts.stream().map(Prompt::instruction).toList(), options.pooling,
                    options.layers);
            HiddenStateRecords.Context ctx = new HiddenStateRecords.Context(model.modelId(), modelRevision, tenant, route,
                    options.pooling);
            long now = System.currentTimeMillis();
            try (HiddenStatePublisher publisher = new HiddenStatePublisher(
                    HiddenStatePublisher.producerConfig(kafka.clientProperties()))) {
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
