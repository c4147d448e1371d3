package dev.refusalmonitor.gateway;

/** Runs a model on one padded batch and returns the hidden states of its configured layers. */
interface LayerRunner extends AutoCloseable {

    /** Hugging Face layer indices this runner returns, ascending. */
    int[] layers();

    /**
     * @param ids     token ids [batch, seq], row-major, padded with 0
     * @param mask    attention mask [batch, seq] (1 = token, 0 = padding)
     * @param typeIds token type ids [batch, seq]
     * @return per layer (in {@link #layers()} order) the values [batch, seq, d], row-major
     */
    Outputs run(long[] ids, long[] mask, long[] typeIds, int batch, int seq) throws GatewayException;

    record Outputs(int d, float[][] perLayer) {
    }

    @Override
    void close();
}
