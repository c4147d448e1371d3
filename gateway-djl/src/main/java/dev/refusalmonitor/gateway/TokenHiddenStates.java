package dev.refusalmonitor.gateway;

/**
 * Unpooled hidden states of one prompt.
 *
 * @param tokens   prompt tokens (special tokens included)
 * @param d        hidden size
 * @param layers   Hugging Face layer indices, ascending
 * @param perLayer per layer the row-major [tokens, d] values
 */
public record TokenHiddenStates(int tokens, int d, int[] layers, float[][] perLayer) {
}
