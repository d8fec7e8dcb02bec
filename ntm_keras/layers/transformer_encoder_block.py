"""One encoder layer of the Transformer (Vaswani et al. 2017, 3.1).

Legend: B = batch size, T = steps, H = heads, D = model width (d_model).
"""

import keras

from ntm_keras.layers.transformer_block_base import TransformerBlockBase


@keras.saving.register_keras_serializable(package="ntm_keras")
class TransformerEncoderBlock(TransformerBlockBase):
    """Self-attention then a feed-forward layer, each with a residual.

    Every step attends to every other step of the same sequence (or, with
    `use_causal_mask`, to itself and the steps before it), then each step
    goes through the position-wise feed-forward layer. Each of the two
    sublayers sits in a residual connection with dropout and layer
    normalization, after the sublayer (post-norm, the paper's) or before it
    (`norm_first=True`). See
    [Vaswani et al. 2017](https://arxiv.org/abs/1706.03762), section 3.1.

    Args:
        num_heads: int. Attention heads; must divide the model width.
        feed_forward_dim: int. Inner width of the feed-forward layer, d_ff.
        dropout: float. Rate of the residual dropout and of the attention
            weights' dropout. Defaults to `0.0`.
        norm_first: bool. Pre-norm instead of post-norm. Defaults to
            `False`.
        activation: str. Feed-forward activation. Defaults to `"relu"`.
        layer_norm_epsilon: float. Defaults to `1e-6`.
        seed: int. Seed of the dropouts. Defaults to `None`.

    Call arguments:
        inputs: `(batch_size, time, model_dim)`.
        padding_mask: optional `(batch_size, time)` bool, False at padding
            steps, which are then not attended to.
        use_causal_mask: bool. Step i attends only to steps <= i. Defaults
            to `False`.
        training: bool. Apply dropout.
        return_attention_scores: bool. Also return the self-attention
            weights.

    Returns:
        `(batch_size, time, model_dim)`, and with `return_attention_scores`
        also `{"self_attention": (batch_size, num_heads, time, time)}`.

    Example:

    >>> import numpy as np
    >>> block = TransformerEncoderBlock(num_heads=2, feed_forward_dim=16)
    >>> tuple(block(np.ones((3, 5, 8), "float32")).shape)
    (3, 5, 8)
    """

    def build(self, inputs_shape):
        self._build_self_attention(inputs_shape)
        self._build_feed_forward(inputs_shape)

    def call(
        self,
        inputs,
        padding_mask=None,
        use_causal_mask=False,
        training=None,
        return_attention_scores=False,
    ):
        hidden, scores = self._self_attention_sublayer(
            inputs, padding_mask, use_causal_mask, training
        )
        outputs = self._feed_forward_sublayer(hidden, training)  # (B, T, D)
        if return_attention_scores:
            return outputs, {"self_attention": scores}
        return outputs
