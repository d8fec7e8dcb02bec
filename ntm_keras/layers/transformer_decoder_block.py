"""One decoder layer of the Transformer (Vaswani et al. 2017, 3.1).

Legend: B = batch size, T = decoder steps, S = encoder steps, H = heads,
D = model width (d_model).
"""

import keras

from ntm_keras.layers.transformer_block_base import TransformerBlockBase


@keras.saving.register_keras_serializable(package="ntm_keras")
class TransformerDecoderBlock(TransformerBlockBase):
    """Masked self-attention, cross-attention, then a feed-forward layer.

    Each decoder step attends to itself and the decoder steps before it
    (masked, so that the prediction of step i depends only on the outputs
    before i), then to every step of the encoder's output (encoder-decoder
    or cross-attention, where the queries come from the decoder and the
    keys and values from the encoder), then goes through the feed-forward
    layer. Each sublayer sits in a residual connection with dropout and
    layer normalization (post-norm, or pre-norm with `norm_first=True`).
    See [Vaswani et al. 2017](https://arxiv.org/abs/1706.03762), sections
    3.1 and 3.2.3.

    Called without `encoder_outputs` when first built, the block has no
    cross-attention: it is then the block of a decoder-only language model
    (masked self-attention and feed-forward).

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
        inputs: `(batch_size, time, model_dim)`, the decoder's sequence.
        encoder_outputs: optional `(batch_size, source_time, model_dim)`.
        padding_mask: optional `(batch_size, time)` bool, False at the
            decoder's padding steps.
        encoder_padding_mask: optional `(batch_size, source_time)` bool,
            False at the encoder's padding steps.
        causal_cross_attention: bool. Decoder step i attends only to
            encoder steps <= i, for an encoder that reads the same sequence
            as the decoder. Defaults to `False`.
        training: bool. Apply dropout.
        return_attention_scores: bool. Also return the attention weights.

    Returns:
        `(batch_size, time, model_dim)`, and with `return_attention_scores`
        also a dict with `"self_attention"`
        `(batch_size, num_heads, time, time)` and, with an encoder,
        `"cross_attention"` `(batch_size, num_heads, time, source_time)`.

    Example:

    >>> import numpy as np
    >>> block = TransformerDecoderBlock(num_heads=2, feed_forward_dim=16)
    >>> target = np.ones((3, 5, 8), "float32")
    >>> source = np.ones((3, 7, 8), "float32")
    >>> tuple(block(target, source).shape)
    (3, 5, 8)
    """

    def build(self, inputs_shape, encoder_outputs_shape=None):
        self._build_self_attention(inputs_shape)
        self.cross_attention = None
        if encoder_outputs_shape is not None:
            self.cross_attention = self._attention(
                "cross_attention", inputs_shape[-1]
            )
            self.cross_attention.build(inputs_shape, encoder_outputs_shape)
            self.cross_attention_norm = self._norm(
                "cross_attention_norm", inputs_shape
            )
            self.cross_attention_dropout = self._dropout(
                "cross_attention_dropout"
            )
        self._build_feed_forward(inputs_shape)

    def call(
        self,
        inputs,
        encoder_outputs=None,
        padding_mask=None,
        encoder_padding_mask=None,
        causal_cross_attention=False,
        training=None,
        return_attention_scores=False,
    ):
        has_encoder = encoder_outputs is not None
        if has_encoder != (self.cross_attention is not None):
            raise ValueError(
                f"Invalid `encoder_outputs` for block {self.name!r}: "
                f"received {'a tensor' if has_encoder else 'None'}, but the "
                "block was built "
                f"{'without' if has_encoder else 'with'} cross-attention; "
                "expected the same as in the block's first call."
            )
        scores = {}
        inputs, scores["self_attention"] = self._self_attention_sublayer(
            inputs, padding_mask, True, training
        )  # masked self-attention: always causal
        if has_encoder:
            hidden = self._sublayer_input(inputs, self.cross_attention_norm)
            attended, scores["cross_attention"] = self.cross_attention(
                hidden,
                encoder_outputs,
                value_mask=encoder_padding_mask,
                use_causal_mask=causal_cross_attention,
                training=training,
                return_attention_scores=True,
            )  # (B, T, D), (B, H, T, S)
            inputs = self._sublayer_output(
                inputs,
                attended,
                self.cross_attention_norm,
                self.cross_attention_dropout,
                training,
            )
        outputs = self._feed_forward_sublayer(inputs, training)  # (B, T, D)
        if return_attention_scores:
            return outputs, scores
        return outputs
