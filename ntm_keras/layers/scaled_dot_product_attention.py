"""Scaled dot-product attention, equation (1) of Vaswani et al. 2017.

    Attention(Q, K, V) = softmax(Q K^T / sqrt(d_k)) V

Legend: T = query steps, S = key/value steps, K = key width (d_k),
V = value width (d_v); `...` are leading dimensions such as (batch, heads).
"""

import math

import keras
from keras import ops

from ntm_keras.layers.half_precision import float32_if_half

# Masked logits are replaced by this value before the softmax, so that they
# get a weight of exp(-1e9) = 0. `keras.layers.Softmax` uses the same value.
MASKED_LOGIT = -1e9


def scaled_dot_product_attention(
    query,
    key,
    value,
    mask=None,
    *,
    dropout=0.0,
    seed=None,
    training=False,
):
    """Returns the attention outputs and the attention weights.

    Each query step takes a weighted average of the value steps; the weights
    are the softmax over key steps of the dot products of the query with the
    keys, divided by sqrt(d_k) so that their variance does not grow with the
    key width. See [Vaswani et al. 2017](https://arxiv.org/abs/1706.03762),
    section 3.2.1. Key steps where `mask` is False get a weight of 0; a query
    step whose keys are all masked gets all-zero weights (and a zero output),
    as in `keras.layers.MultiHeadAttention`.

    In half precision (float16 or bfloat16 inputs, as under the
    `mixed_bfloat16` policy) the logits and the softmax are computed in
    float32: bfloat16 keeps about 3 significant digits, which would round
    logits near 10 by up to 0.06 and the weights by up to 6%, and float16
    cannot hold the masked logit -1e9. The weights are returned in float32;
    they are cast back to the value's dtype for the weighted sum, whose
    outputs keep the inputs' dtype.

    Args:
        query: `(..., T, K)` float tensor.
        key: `(..., S, K)` float tensor.
        value: `(..., S, V)` float tensor, with the same `S` as `key`.
        mask: optional bool tensor broadcastable to `(..., T, S)`; True
            where a query step may attend to a key step.
        dropout: float in [0, 1). Dropout applied to the attention
            weights in training. Defaults to `0.0`.
        seed: a `keras.random.SeedGenerator` or int for the dropout.
        training: bool. Apply dropout. Defaults to `False`.

    Returns:
        `(outputs, weights)`: outputs `(..., T, V)` in the value's dtype and
        the attention weights `(..., T, S)` (float32 for half-precision
        inputs, else the inputs' dtype), taken before dropout; each row sums
        to 1 (or 0 where all keys are masked).

    Example:

    >>> import numpy as np
    >>> q = np.ones((2, 3, 4), "float32")
    >>> outputs, weights = scaled_dot_product_attention(q, q, q)
    >>> tuple(outputs.shape), tuple(weights.shape)
    ((2, 3, 4), (2, 3, 3))
    """
    _check_shapes(query, key, value, mask)
    key_width = query.shape[-1]
    # Logits and softmax in float32 for half-precision inputs (docstring).
    weights_dtype = float32_if_half(query.dtype)
    query = ops.cast(query, weights_dtype)
    key = ops.cast(key, weights_dtype)
    # Scale the query rather than the logits: (T, K) values instead of (T, S).
    query = query * ops.cast(1.0 / math.sqrt(key_width), query.dtype)
    logits = ops.einsum("...tk,...sk->...ts", query, key)  # (..., T, S)
    if mask is not None:
        mask = ops.cast(mask, "bool")
        logits = ops.where(mask, logits, ops.cast(MASKED_LOGIT, logits.dtype))
    weights = ops.softmax(logits, axis=-1)  # (..., T, S)
    if mask is not None:
        # A row with every key masked would otherwise be uniform.
        weights = ops.where(mask, weights, ops.zeros_like(weights))
    attended = weights
    if training and dropout > 0.0:
        attended = keras.random.dropout(weights, dropout, seed=seed)
    attended = ops.cast(attended, value.dtype)  # no-op unless half precision
    outputs = ops.einsum("...ts,...sv->...tv", attended, value)  # (..., T, V)
    return outputs, weights


def _check_shapes(query, key, value, mask):
    """Raises `ValueError` for shapes that cannot be attended."""
    for argument, tensor in (("query", query), ("key", key), ("value", value)):
        if len(tensor.shape) < 2:
            raise ValueError(
                f"Invalid `{argument}`: received shape {tuple(tensor.shape)}; "
                "expected at least 2 dimensions, (..., steps, width)."
            )
    if _differ(query.shape[-1], key.shape[-1]):
        raise ValueError(
            f"Invalid `key`: received shape {tuple(key.shape)}, whose width "
            f"differs from the query's {tuple(query.shape)}; expected "
            "query (..., T, K) and key (..., S, K) with the same K."
        )
    if _differ(key.shape[-2], value.shape[-2]):
        raise ValueError(
            f"Invalid `value`: received shape {tuple(value.shape)} with "
            f"{value.shape[-2]} steps, but `key` {tuple(key.shape)} has "
            f"{key.shape[-2]}; expected key (..., S, K) and value "
            "(..., S, V) with the same number of steps S."
        )
    if mask is not None:
        check_mask_shape(
            "mask",
            tuple(mask.shape),
            tuple(query.shape[:-1]) + (key.shape[-2],),
        )


def check_mask_shape(argument, mask_shape, scores_shape):
    """Raises `ValueError` unless a mask broadcasts to the scores' shape.

    Args:
        argument: str. The mask's argument name, for the message.
        mask_shape: tuple. The mask's static shape (None for unknown).
        scores_shape: tuple. The attention scores' static shape,
            `(..., T, S)`.
    """
    fits = len(mask_shape) <= len(scores_shape) and not any(
        _differ(m, s) and m != 1
        for m, s in zip(reversed(mask_shape), reversed(scores_shape))
    )
    if not fits:
        raise ValueError(
            f"Invalid `{argument}`: received shape {mask_shape}; expected a "
            f"shape that broadcasts to the attention scores {scores_shape} "
            "(..., query steps T, key steps S)."
        )


def _differ(a, b):
    """True if two static dimensions are both known and different."""
    return a is not None and b is not None and a != b
