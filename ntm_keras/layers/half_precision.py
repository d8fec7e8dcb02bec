"""Where half precision gives way to float32: logits and their softmax.

Under a mixed Keras dtype policy (`mixed_bfloat16`, `mixed_float16`) the
layers compute in half precision, but attention logits, their softmax and
the output logits of a language model lose too much there (bfloat16 keeps
about 3 significant digits; float16 cannot hold the masked logit -1e9), so
those run in float32.
"""

import keras

# Half-precision compute dtypes (the `mixed_*` Keras dtype policies).
HALF_PRECISION = ("float16", "bfloat16")


def float32_if_half(dtype):
    """`"float32"` for a half-precision dtype, else `dtype`.

    Args:
        dtype: a dtype or its name, e.g. a layer's `compute_dtype`.

    Returns:
        str, a standardized dtype name.

    Example:

    >>> float32_if_half("bfloat16"), float32_if_half("float64")
    ('float32', 'float64')
    """
    dtype = keras.backend.standardize_dtype(dtype)
    return "float32" if dtype in HALF_PRECISION else dtype
