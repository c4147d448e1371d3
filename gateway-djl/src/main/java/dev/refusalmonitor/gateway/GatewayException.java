package dev.refusalmonitor.gateway;

/** A gateway failure with a message meant for the user (bad model, tokenizer, layer name or prompt file). */
public class GatewayException extends Exception {
    public GatewayException(String message) {
        super(message);
    }

    public GatewayException(String message, Throwable cause) {
        super(message, cause);
    }
}
