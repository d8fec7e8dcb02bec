"""The position-wise feed-forward network (Vaswani et al. 2017, 3.3).

    FFN(x) = max(0, x W_1 + b_1) W_2 + b_2

Legend: B = batch size, T = steps, D = model width, F = hidden width (d_ff).
"""

import keras

from ntm_keras import validation
from ntm_keras.layers.fresh_initializer import fresh_initializer


@keras.saving.register_keras_serializable(package="ntm_keras")
class FeedForward(keras.layers.Layer):
    """Two dense layers applied to every step separately and identically.

    Expands each step from `model_dim` to `feed_forward_dim` features,
    applies the activation (ReLU in the paper), optionally drops some of
    them, and projects back to `model_dim`. See
    [Vaswani et al. 2017](https://arxiv.org/abs/1706.03762), section 3.3.

    Args:
        feed_forward_dim: int. Inner width d_ff (2048 in the base model).
        activation: str. Inner activation. Defaults to `"relu"`.
        dropout: float. Dropout on the inner activations in training.
            Defaults to `0.0`.
        kernel_initializer: initializer of both kernels. Defaults to
            `"glorot_uniform"`.
        seed: int. Seed of the dropout. Defaults to `None`.

    Call arguments:
        inputs: `(batch_size, time, model_dim)`.
        training: bool. Apply dropout.

    Returns:
        `(batch_size, time, model_dim)`.

    Example:

    >>> import numpy as np
    >>> layer = FeedForward(feed_forward_dim=16)
    >>> tuple(layer(np.ones((2, 3, 4), "float32")).shape)
    (2, 3, 4)
    """

    def __init__(
        self,
        feed_forward_dim,
        activation="relu",
        dropout=0.0,
        kernel_initializer="glorot_uniform",
        seed=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.feed_forward_dim = validation.check_positive_int(
            "feed_forward_dim", feed_forward_dim
        )
        self.activation = keras.activations.get(activation)
        self.dropout = validation.check_float(
            "dropout", dropout, minimum=0.0, maximum=0.999
        )
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.seed = seed

    def build(self, input_shape):
        model_dim = input_shape[-1]
        self.inner = keras.layers.Dense(
            self.feed_forward_dim,
            activation=self.activation,
            kernel_initializer=fresh_initializer(self.kernel_initializer),
            dtype=self.dtype_policy,
            name="inner",
        )
        self.inner.build(input_shape)
        self.inner_dropout = keras.layers.Dropout(
            self.dropout, seed=self.seed, dtype=self.dtype_policy
        )
        self.outer = keras.layers.Dense(
            model_dim,
            kernel_initializer=fresh_initializer(self.kernel_initializer),
            dtype=self.dtype_policy,
            name="outer",
        )
        self.outer.build(tuple(input_shape[:-1]) + (self.feed_forward_dim,))

    def call(self, inputs, training=None):
        hidden = self.inner(inputs)  # (B, T, F)
        hidden = self.inner_dropout(hidden, training=training)
        return self.outer(hidden)  # (B, T, D)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "feed_forward_dim": self.feed_forward_dim,
                "activation": keras.activations.serialize(self.activation),
                "dropout": self.dropout,
                "kernel_initializer": keras.initializers.serialize(
                    self.kernel_initializer
                ),
                "seed": self.seed,
            }
        )
        return config

    @classmethod
    def from_config(cls, config):
        # `.keras` files saved before the rename say `hidden_dim`.
        return super().from_config(
            validation.rename_config_key(
                config, "hidden_dim", "feed_forward_dim"
            )
        )
