"""Sinusoidal position encoding (Vaswani et al. 2017, section 3.5).

    PE(pos, 2i)     = sin(pos / base^(2i / d_model))
    PE(pos, 2i + 1) = cos(pos / base^(2i / d_model))

Legend: B = batch size, T = steps, D = model width (d_model).
"""

import keras
from keras import ops

from ntm_keras import validation


def sinusoidal_position_encoding(length, width, base=10000.0, dtype="float32"):
    """Returns the `(length, width)` sinusoidal encoding matrix.

    Args:
        length: int or scalar tensor. Number of positions, 0 to length - 1.
        width: int. Even number of features, d_model.
        base: float. The wavelengths run from 2 pi to base * 2 pi.
        dtype: dtype of the result.

    Returns:
        `(length, width)` tensor: sines on even features, cosines on odd.
    """
    positions = ops.cast(ops.arange(length), "float32")  # (T,)
    pairs = ops.cast(ops.arange(width // 2), "float32")  # (D/2,)
    frequencies = ops.power(base, -2.0 * pairs / width)  # (D/2,)
    angles = positions[:, None] * frequencies[None, :]  # (T, D/2)
    # Interleave: (T, D/2, 2) with [sin, cos] -> (T, D) as sin, cos, sin...
    encoding = ops.stack([ops.sin(angles), ops.cos(angles)], axis=-1)
    return ops.cast(ops.reshape(encoding, (-1, width)), dtype)


@keras.saving.register_keras_serializable(package="ntm_keras")
class SinusoidalPositionEncoding(keras.layers.Layer):
    """Adds the paper's fixed sinusoidal position encoding to its inputs.

    Attention by itself ignores the order of its inputs, so the model adds to
    each step a vector that depends only on its position: feature 2i of
    position pos is sin(pos / base^(2i/d)) and feature 2i + 1 is
    cos(pos / base^(2i/d)). Every pair is a rotation at its own frequency, so
    the encoding of pos + k is a linear function of the encoding of pos. See
    [Vaswani et al. 2017](https://arxiv.org/abs/1706.03762), section 3.5. The
    layer has no weights and works for any sequence length.

    Args:
        base: float. The base of the wavelengths' geometric progression.
            Defaults to `10000.0`, the paper's.

    Call arguments:
        inputs: `(batch_size, time, model_dim)` floats; `model_dim` must be
            even.

    Returns:
        `(batch_size, time, model_dim)`: `inputs` plus the encoding of each
        step's position (0, 1, ..., time - 1).

    Example:

    >>> import numpy as np
    >>> layer = SinusoidalPositionEncoding()
    >>> outputs = layer(np.zeros((1, 3, 4), "float32"))
    >>> [round(float(v), 3) for v in outputs[0, 1]]
    [0.841, 0.54, 0.01, 1.0]
    """

    def __init__(self, base=10000.0, **kwargs):
        super().__init__(**kwargs)
        self.base = validation.check_float("base", base, minimum=1.0)
        self.built = True

    def call(self, inputs):
        width = _check_even_width(inputs.shape)
        encoding = sinusoidal_position_encoding(
            ops.shape(inputs)[1], width, self.base, inputs.dtype
        )  # (T, D)
        return inputs + encoding[None, :, :]

    def compute_output_shape(self, input_shape):
        _check_even_width(input_shape)
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update({"base": self.base})
        return config


def _check_even_width(shape):
    """Returns the last dimension of `shape`; raises unless it is even."""
    width = shape[-1]
    if width is None or width % 2:
        raise ValueError(
            "Invalid `inputs` of SinusoidalPositionEncoding: received shape "
            f"{tuple(shape)}, whose last dimension (model_dim = {width}) is "
            "not even; expected an even model_dim, since the encoding pairs "
            "a sine with a cosine. Choose an even model_dim."
        )
    return width
