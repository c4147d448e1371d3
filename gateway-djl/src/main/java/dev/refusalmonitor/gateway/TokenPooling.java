package dev.refusalmonitor.gateway;

import dev.refusalmonitor.schemas.v1.TokenPosition;

/** How a prompt's per-token hidden states become one vector per layer. */
public enum TokenPooling {
    /** The last prompt token (what decoders export). For BERT-style tokenizers this is always {@code [SEP]}. */
    LAST_TOKEN(TokenPosition.TOKEN_POSITION_LAST_PROMPT_TOKEN),
    /** The mean over the prompt's tokens (attention-mask weighted, special tokens included), computed in double. */
    MEAN(TokenPosition.TOKEN_POSITION_MEAN_OVER_PROMPT);

    private final TokenPosition wire;

    TokenPooling(TokenPosition wire) {
        this.wire = wire;
    }

    /** The wire-format token position this pooling produces. */
    public TokenPosition tokenPosition() {
        return wire;
    }
}
