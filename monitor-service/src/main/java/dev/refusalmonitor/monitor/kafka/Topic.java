package dev.refusalmonitor.monitor.kafka;

import java.util.Objects;

import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Produced;

/**
 * A topic's name with its key and value serdes, so producers and consumers cannot disagree
 * (Confluent's {@code Schemas.Topics} holder).
 *
 * @param <K> key type
 * @param <V> value type
 */
public record Topic<K, V>(String name, Serde<K> keySerde, Serde<V> valueSerde) {

    public Topic {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(keySerde, "keySerde for topic " + name);
        Objects.requireNonNull(valueSerde, "valueSerde for topic " + name);
    }

    /** The same topic read or written with another value serde (e.g. a protobuf serde). */
    public <V2> Topic<K, V2> withValueSerde(Serde<V2> serde) {
        return new Topic<>(name, keySerde, serde);
    }

    /** The same topic read or written with another key serde. */
    public <K2> Topic<K2, V> withKeySerde(Serde<K2> serde) {
        return new Topic<>(name, serde, valueSerde);
    }

    /** {@code Consumed.with(keySerde, valueSerde)}, for a source edge; name the processor with {@code .withName}. */
    public Consumed<K, V> consumed() {
        return Consumed.with(keySerde, valueSerde);
    }

    /** {@code Produced.with(keySerde, valueSerde)}, for a sink edge. */
    public Produced<K, V> produced() {
        return Produced.with(keySerde, valueSerde);
    }
}
