"""What the encoder and decoder blocks share: arguments and residuals.

Legend: B = batch size, T = steps, D = model width (d_model).
"""

import keras

from ntm_keras import validation
from ntm_keras.layers.feed_forward import FeedForward
from ntm_keras.layers.multi_head_attention import MultiHeadAttention


class TransformerBlockBase(keras.layers.Layer):
    """Base of `TransformerEncoderBlock` and `TransformerDecoderBlock`.

    Every sublayer (attention or feed-forward) is wrapped in a residual
    connection with dropout and layer normalization. Post-norm, as in the
    paper: `LayerNorm(x + Dropout(Sublayer(x)))`. Pre-norm
    (`norm_first=True`), which trains more stably in deep stacks:
    `x + Dropout(Sublayer(LayerNorm(x)))`; a pre-norm stack needs a final
    `LayerNormalization`, which the model adds. See
    [Vaswani et al. 2017](https://arxiv.org/abs/1706.03762), section 5.4,
    and [Xiong et al. 2020](https://arxiv.org/abs/2002.04745).

    Args:
        num_heads: int. Attention heads; must divide the model width.
        feed_forward_dim: int. Inner width of the feed-forward layer, d_ff.
        dropout: float. Rate of the residual dropout and of the attention
            weights' dropout. Defaults to `0.0`.
        norm_first: bool. Pre-norm instead of the paper's post-norm.
            Defaults to `False`.
        activation: str. Feed-forward activation. Defaults to `"relu"`.
        layer_norm_epsilon: float. Defaults to `1e-6`.
        seed: int. Seed of the dropouts. Defaults to `None`.
    """

    def __init__(
        self,
        num_heads,
        feed_forward_dim,
        dropout=0.0,
        norm_first=False,
        activation="relu",
        layer_norm_epsilon=1e-6,
        seed=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.num_heads = validation.check_positive_int("num_heads", num_heads)
        self.feed_forward_dim = validation.check_positive_int(
            "feed_forward_dim", feed_forward_dim
        )
        self.dropout = validation.check_float(
            "dropout", dropout, minimum=0.0, maximum=0.999
        )
        validation.check_bool("norm_first", norm_first)
        self.norm_first = norm_first
        self.activation = keras.activations.get(activation)
        self.layer_norm_epsilon = validation.check_float(
            "layer_norm_epsilon", layer_norm_epsilon, minimum=0.0
        )
        self.seed = seed
        self._num_seeds = 0

    # -- Sublayers, made in `build` ------------------------------------

    def _next_seed(self):
        """A different seed for each random sublayer, or None."""
        self._num_seeds += 1
        return None if self.seed is None else self.seed + self._num_seeds

    def _attention(self, name, model_dim):
        if model_dim % self.num_heads:
            raise ValueError(
                f"Invalid `num_heads`: received {self.num_heads}, which does "
                f"not divide the model width {model_dim}; expected a divisor "
                "of the inputs' last dimension (each head gets "
                "model_dim / num_heads features)."
            )
        return MultiHeadAttention(
            num_heads=self.num_heads,
            key_dim=model_dim // self.num_heads,
            dropout=self.dropout,
            seed=self._next_seed(),
            dtype=self.dtype_policy,
            name=name,
        )

    def _feed_forward(self, input_shape):
        layer = FeedForward(
            self.feed_forward_dim,
            activation=self.activation,
            dtype=self.dtype_policy,
            name="feed_forward",
        )
        layer.build(input_shape)
        return layer

    def _norm(self, name, input_shape):
        layer = keras.layers.LayerNormalization(
            epsilon=self.layer_norm_epsilon, dtype=self.dtype_policy, name=name
        )
        layer.build(input_shape)
        return layer

    def _dropout(self, name):
        return keras.layers.Dropout(
            self.dropout,
            seed=self._next_seed(),
            dtype=self.dtype_policy,
            name=name,
        )

    def _build_self_attention(self, inputs_shape):
        """Self-attention sublayer with its norm and dropout."""
        self.self_attention = self._attention(
            "self_attention", inputs_shape[-1]
        )
        self.self_attention.build(inputs_shape, inputs_shape)
        self.self_attention_norm = self._norm(
            "self_attention_norm", inputs_shape
        )
        self.self_attention_dropout = self._dropout("self_attention_dropout")

    def _build_feed_forward(self, inputs_shape):
        """Feed-forward sublayer with its norm and dropout."""
        self.feed_forward = self._feed_forward(inputs_shape)
        self.feed_forward_norm = self._norm("feed_forward_norm", inputs_shape)
        self.feed_forward_dropout = self._dropout("feed_forward_dropout")

    # -- The residual connection around each sublayer ------------------

    def _self_attention_sublayer(
        self, inputs, padding_mask, use_causal_mask, training
    ):
        """Returns `(outputs, weights)` of the self-attention sublayer."""
        hidden = self._sublayer_input(inputs, self.self_attention_norm)
        attended, scores = self.self_attention(
            hidden,
            hidden,
            value_mask=padding_mask,
            use_causal_mask=use_causal_mask,
            training=training,
            return_attention_scores=True,
        )  # (B, T, D), (B, H, T, T)
        outputs = self._sublayer_output(
            inputs,
            attended,
            self.self_attention_norm,
            self.self_attention_dropout,
            training,
        )
        return outputs, scores

    def _feed_forward_sublayer(self, inputs, training):
        """Returns the outputs of the feed-forward sublayer, `(B, T, D)`."""
        hidden = self._sublayer_input(inputs, self.feed_forward_norm)
        return self._sublayer_output(
            inputs,
            self.feed_forward(hidden, training=training),
            self.feed_forward_norm,
            self.feed_forward_dropout,
            training,
        )

    def _sublayer_input(self, inputs, norm):
        """What the sublayer reads: x (post-norm) or LayerNorm(x)."""
        return norm(inputs) if self.norm_first else inputs

    def _sublayer_output(self, inputs, outputs, norm, dropout, training):
        """x + Dropout(Sublayer(..)), normalized after (post-norm)."""
        outputs = inputs + dropout(outputs, training=training)  # (B, T, D)
        return outputs if self.norm_first else norm(outputs)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "num_heads": self.num_heads,
                "feed_forward_dim": self.feed_forward_dim,
                "dropout": self.dropout,
                "norm_first": self.norm_first,
                "activation": keras.activations.serialize(self.activation),
                "layer_norm_epsilon": self.layer_norm_epsilon,
                "seed": self.seed,
            }
        )
        return config
