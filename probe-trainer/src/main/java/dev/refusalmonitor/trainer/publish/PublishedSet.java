package dev.refusalmonitor.trainer.publish;

import dev.refusalmonitor.contract.directions.DirectionSetModel;

/**
 * A direction set as read from a topic.
 *
 * @param key the record key (model id on the directions topic, {@code model:version} on the history topic)
 * @param set the opened (checksum-verified, validated) set
 * @param sizeBytes size of the sealed envelope
 * @param sha256 the envelope's payload checksum
 * @param sealed the envelope bytes as read
 * @param keyId the signer's key id, "" when unsigned (the signature is checked by the monitors, not here)
 */
public record PublishedSet(String key, DirectionSetModel set, int sizeBytes, String sha256, byte[] sealed, String keyId) {
}
