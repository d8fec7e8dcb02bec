"""Token embedding scaled by sqrt(d_model), with weight tying.

Legend: B = batch size, T = steps, N = vocabulary size, D = model width.
"""

import math

import keras
from keras import ops

from ntm_keras import validation
from ntm_keras.layers.half_precision import float32_if_half


@keras.saving.register_keras_serializable(package="ntm_keras")
class TokenEmbedding(keras.layers.Layer):
    """Embeds token ids, scaled by sqrt(model_dim); reversible for tying.

    `layer(ids)` looks up one learned `model_dim` vector per token and
    multiplies it by sqrt(model_dim). `layer(hidden, reverse=True)` uses the
    same matrix as the pre-softmax output projection, giving logits
    `hidden @ embeddings^T`: calling one layer both ways ties the weights, as
    in [Vaswani et al. 2017](https://arxiv.org/abs/1706.03762), section 3.4
    ("we share the same weight matrix between the embedding layers and the
    pre-softmax linear transformation ... we multiply those weights by
    sqrt(d_model)").

    Under a half-precision policy (`mixed_bfloat16`, `mixed_float16`) the
    embeddings come out in the compute dtype, but the output projection
    runs in float32 and returns float32 logits: bfloat16 logits near 8
    would be rounded by up to 0.03 before the softmax of the loss. The
    matrix itself stays float32, as the mixed policies keep every variable.

    Args:
        vocabulary_size: int. Number of token ids N.
        model_dim: int. Embedding width d_model.
        embeddings_initializer: initializer of the `(N, D)` matrix. Defaults
            to a normal with standard deviation model_dim^-0.5, so that the
            scaled embeddings have unit variance.

    Call arguments:
        inputs: `(batch_size, time)` int token ids, or with `reverse=True`
            `(batch_size, time, model_dim)` floats.
        reverse: bool. Project to logits instead of embedding. Defaults to
            `False`.

    Returns:
        `(batch_size, time, model_dim)` embeddings in the compute dtype, or
        with `reverse=True` `(batch_size, time, vocabulary_size)` logits
        (float32 under a half-precision policy).

    Example:

    >>> import numpy as np
    >>> layer = TokenEmbedding(vocabulary_size=10, model_dim=4)
    >>> hidden = layer(np.array([[1, 2, 3]]))
    >>> tuple(layer(hidden, reverse=True).shape)
    (1, 3, 10)
    """

    def __init__(
        self,
        vocabulary_size,
        model_dim,
        embeddings_initializer=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.vocabulary_size = validation.check_positive_int(
            "vocabulary_size", vocabulary_size
        )
        self.model_dim = validation.check_positive_int("model_dim", model_dim)
        if embeddings_initializer is None:
            embeddings_initializer = keras.initializers.RandomNormal(
                stddev=model_dim**-0.5
            )
        self.embeddings_initializer = keras.initializers.get(
            embeddings_initializer
        )

    def build(self, input_shape):
        self.embeddings = self.add_weight(
            name="embeddings",
            shape=(self.vocabulary_size, self.model_dim),
            initializer=self.embeddings_initializer,
            # Read in the variable's dtype (float32) even under a mixed
            # policy: `call` casts where it needs the compute dtype.
            autocast=False,
        )

    def call(self, inputs, reverse=False):
        if reverse:
            # (B, T, D) x (N, D)^T -> (B, T, N), in float32 for half precision.
            dtype = float32_if_half(self.compute_dtype)
            return ops.matmul(
                ops.cast(inputs, dtype),
                ops.transpose(ops.cast(self.embeddings, dtype)),
            )
        vectors = ops.take(self.embeddings, ops.cast(inputs, "int32"), axis=0)
        vectors = ops.cast(vectors, self.compute_dtype)  # (B, T, D)
        return vectors * ops.cast(math.sqrt(self.model_dim), vectors.dtype)

    def compute_output_spec(self, inputs, reverse=False):
        if reverse:
            shape = tuple(inputs.shape[:-1]) + (self.vocabulary_size,)
            return keras.KerasTensor(
                shape, dtype=float32_if_half(self.compute_dtype)
            )
        shape = tuple(inputs.shape) + (self.model_dim,)
        return keras.KerasTensor(shape, dtype=self.compute_dtype)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "vocabulary_size": self.vocabulary_size,
                "model_dim": self.model_dim,
                "embeddings_initializer": keras.initializers.serialize(
                    self.embeddings_initializer
                ),
            }
        )
        return config
