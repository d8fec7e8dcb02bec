"""Multi-head attention (Vaswani et al. 2017, section 3.2.2).

    MultiHead(Q, K, V) = Concat(head_1, ..., head_h) W^O
    head_i = Attention(Q W_i^Q, K W_i^K, V W_i^V)

Legend: B = batch size, T = query steps, S = key/value steps, H = heads,
K = key width per head (d_k), V = value width per head (d_v),
D = input width, O = output width.
"""

import keras
from keras import ops

from ntm_keras import validation
from ntm_keras.layers.fresh_initializer import fresh_initializer
from ntm_keras.layers.half_precision import float32_if_half
from ntm_keras.layers.scaled_dot_product_attention import (
    check_mask_shape,
    scaled_dot_product_attention,
)


@keras.saving.register_keras_serializable(package="ntm_keras")
class MultiHeadAttention(keras.layers.Layer):
    """Multi-head attention, weight-compatible with Keras' layer.

    Projects the query, key and value once per head (`num_heads` heads of
    `key_dim`, `key_dim` and `value_dim` units), runs scaled dot-product
    attention in every head in parallel, concatenates the heads and projects
    the result to the output width. See
    [Vaswani et al. 2017](https://arxiv.org/abs/1706.03762), section 3.2.2.

    The variables, their order and their shapes are those of
    `keras.layers.MultiHeadAttention` with the same arguments (query, key,
    value and output kernels and biases), so
    `ours.set_weights(theirs.get_weights())` gives the same outputs. Masks
    follow the Keras layer too: `query_mask`, `value_mask` and `key_mask`
    (or the inputs' Keras masks), `attention_mask` and `use_causal_mask` are
    combined with a logical AND.

    Args:
        num_heads: int. Number of attention heads h. Must be >= 1.
        key_dim: int. Width of each head's query and key, d_k. Must be >= 1.
        value_dim: int. Width of each head's value, d_v. Defaults to
            `key_dim`.
        dropout: float. Dropout rate on the attention weights during
            training. Defaults to `0.0`.
        use_bias: bool. Whether the projections have biases. Defaults to
            `True`.
        output_shape: int. Output width. Defaults to `None`, the query's
            width.
        kernel_initializer: initializer of the projection kernels. Defaults
            to `"glorot_uniform"`.
        bias_initializer: initializer of the biases. Defaults to `"zeros"`.
        seed: int. Seed of the attention dropout. Defaults to `None`.

    Call arguments:
        query: `(batch_size, query_steps, query_dim)`.
        value: `(batch_size, key_steps, value_input_dim)`.
        key: optional `(batch_size, key_steps, key_input_dim)`; defaults to
            `value`.
        query_mask: optional `(batch_size, query_steps)` bool; False rows
            attend to nothing.
        value_mask: optional `(batch_size, key_steps)` bool; False steps are
            not attended to.
        key_mask: optional `(batch_size, key_steps)` bool, like `value_mask`.
        attention_mask: optional bool broadcastable to
            `(batch_size, query_steps, key_steps)`; True where a query step
            may attend to a key step.
        return_attention_scores: bool. Also return the attention weights.
        training: bool. Apply dropout.
        use_causal_mask: bool. Query step i attends only to key steps <= i.

    Returns:
        `(batch_size, query_steps, output_shape)`, and with
        `return_attention_scores=True` also the attention weights
        `(batch_size, num_heads, query_steps, key_steps)`. Under a
        half-precision policy (`mixed_bfloat16`, `mixed_float16`) the
        logits and softmax run in float32 and the weights are float32 (see
        `scaled_dot_product_attention`).

    Example:

    >>> import numpy as np
    >>> layer = MultiHeadAttention(num_heads=2, key_dim=4)
    >>> x = np.ones((3, 5, 8), "float32")
    >>> outputs, scores = layer(x, x, return_attention_scores=True)
    >>> tuple(outputs.shape), tuple(scores.shape)
    ((3, 5, 8), (3, 2, 5, 5))
    """

    def __init__(
        self,
        num_heads,
        key_dim,
        value_dim=None,
        dropout=0.0,
        use_bias=True,
        output_shape=None,
        kernel_initializer="glorot_uniform",
        bias_initializer="zeros",
        seed=None,
        **kwargs,
    ):
        self.num_heads = validation.check_positive_int("num_heads", num_heads)
        self.key_dim = validation.check_positive_int("key_dim", key_dim)
        self.value_dim = (
            self.key_dim
            if value_dim is None
            else validation.check_positive_int("value_dim", value_dim)
        )
        self.dropout = validation.check_float(
            "dropout", dropout, minimum=0.0, maximum=0.999
        )
        validation.check_bool("use_bias", use_bias)
        self.use_bias = use_bias
        if output_shape is not None:
            validation.check_positive_int("output_shape", output_shape)
        super().__init__(**kwargs)
        self._output_width = output_shape  # `output_shape` is a Layer name
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.bias_initializer = keras.initializers.get(bias_initializer)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)
        # Like the Keras layer: read the inputs' Keras masks, and pass the
        # query's mask on to the outputs.
        self.supports_masking = True

    def build(self, query_shape, value_shape, key_shape=None):
        key_shape = value_shape if key_shape is None else key_shape
        if len(value_shape) != 3 or len(key_shape) != 3:
            raise ValueError(
                f"Invalid `value`/`key`: received shapes {tuple(value_shape)} "
                f"and {tuple(key_shape)}; expected (batch_size, key_steps, "
                "width)."
            )
        if value_shape[1] is not None and key_shape[1] is not None:
            if value_shape[1] != key_shape[1]:
                raise ValueError(
                    f"Invalid `key`: received shape {tuple(key_shape)} with "
                    f"{key_shape[1]} steps, but `value` "
                    f"{tuple(value_shape)} has {value_shape[1]}; expected "
                    "key and value with the same number of steps."
                )
        output_width = self._output_width or query_shape[-1]
        heads = self.num_heads
        # Same order and shapes as keras.layers.MultiHeadAttention.
        self.query_kernel, self.query_bias = self._projection(
            "query", (query_shape[-1], heads, self.key_dim)
        )
        self.key_kernel, self.key_bias = self._projection(
            "key", (key_shape[-1], heads, self.key_dim)
        )
        self.value_kernel, self.value_bias = self._projection(
            "value", (value_shape[-1], heads, self.value_dim)
        )
        self.output_kernel, self.output_bias = self._projection(
            "output", (heads, self.value_dim, output_width)
        )

    def _projection(self, name, kernel_shape):
        """Adds a kernel and (with `use_bias`) a bias over its output axes."""
        kernel = self.add_weight(
            name=f"{name}_kernel",
            shape=kernel_shape,
            initializer=fresh_initializer(self.kernel_initializer),
        )
        bias = None
        if self.use_bias:
            bias_shape = (
                kernel_shape[-1:] if name == "output" else (kernel_shape[1:])
            )
            bias = self.add_weight(
                name=f"{name}_bias",
                shape=bias_shape,
                initializer=fresh_initializer(self.bias_initializer),
            )
        return kernel, bias

    def call(
        self,
        query,
        value,
        key=None,
        query_mask=None,
        value_mask=None,
        key_mask=None,
        attention_mask=None,
        return_attention_scores=False,
        training=None,
        use_causal_mask=False,
    ):
        if key is None:
            key = value
        mask = self.attention_mask(
            query,
            value,
            query_mask=query_mask,
            value_mask=value_mask,
            key_mask=key_mask,
            attention_mask=attention_mask,
            use_causal_mask=use_causal_mask,
        )  # (B, T, S) or None
        if mask is not None:
            mask = ops.expand_dims(mask, axis=1)  # (B, 1, T, S) for heads
        # Per-head projections, (B, steps, width) -> (B, H, steps, width).
        queries = self._split_heads(query, self.query_kernel, self.query_bias)
        keys = self._split_heads(key, self.key_kernel, self.key_bias)
        values = self._split_heads(value, self.value_kernel, self.value_bias)
        attended, scores = scaled_dot_product_attention(
            queries,
            keys,
            values,
            mask,
            dropout=self.dropout,
            seed=self.seed_generator,
            training=training,
        )  # (B, H, T, V), (B, H, T, S)
        # Concatenate the heads and project: (B, H, T, V) -> (B, T, H * V)
        # -> (B, T, O). One matmul with the (H * V, O) kernel is faster on
        # CPU than the equivalent einsum.
        batch_size, query_steps = ops.shape(query)[0], ops.shape(query)[1]
        heads, value_dim, output_width = self.output_kernel.shape
        concatenated = ops.reshape(
            ops.transpose(attended, (0, 2, 1, 3)),
            (batch_size, query_steps, heads * value_dim),
        )
        outputs = ops.matmul(
            concatenated,
            ops.reshape(self.output_kernel, (heads * value_dim, output_width)),
        )
        if self.output_bias is not None:
            outputs = outputs + self.output_bias
        if return_attention_scores:
            return outputs, scores
        return outputs

    def _split_heads(self, inputs, kernel, bias):
        """Projects `(B, steps, D)` inputs to `(B, H, steps, width)`.

        The same as `einsum("bsd,dhw->bhsw", inputs, kernel)`, written as one
        `(D, H * width)` matmul, a reshape and a transpose, which is faster
        on CPU.
        """
        input_dim, heads, width = kernel.shape
        projected = ops.matmul(
            inputs, ops.reshape(kernel, (input_dim, heads * width))
        )  # (B, steps, H * width)
        if bias is not None:
            projected = projected + ops.reshape(bias, (heads * width,))
        batch_size, steps = ops.shape(inputs)[0], ops.shape(inputs)[1]
        projected = ops.reshape(projected, (batch_size, steps, heads, width))
        return ops.transpose(projected, (0, 2, 1, 3))

    def attention_mask(
        self,
        query,
        value,
        *,
        query_mask=None,
        value_mask=None,
        key_mask=None,
        attention_mask=None,
        use_causal_mask=False,
    ):
        """Combines every mask into one `(B, T, S)` bool tensor, or None.

        Query masks become `(B, T, 1)`, value and key masks `(B, 1, S)`, the
        causal mask `(1, T, S)`; all are combined with a logical AND.
        """
        query_steps, key_steps = query.shape[1], value.shape[1]
        found = []
        if query_mask is not None:
            check_mask_shape(
                "query_mask",
                tuple(query_mask.shape),
                (query.shape[0], query_steps),
            )
            found.append(ops.expand_dims(ops.cast(query_mask, "bool"), -1))
        for argument, given in (
            ("value_mask", value_mask),
            ("key_mask", key_mask),
        ):
            if given is not None:
                check_mask_shape(
                    argument, tuple(given.shape), (value.shape[0], key_steps)
                )
                found.append(ops.expand_dims(ops.cast(given, "bool"), -2))
        if use_causal_mask:
            found.append(causal_mask(query, value))
        if attention_mask is not None:
            check_mask_shape(
                "attention_mask",
                tuple(attention_mask.shape),
                (query.shape[0], query_steps, key_steps),
            )
            found.append(ops.cast(attention_mask, "bool"))
        if not found:
            return None
        mask = found[0]
        for other in found[1:]:
            mask = ops.logical_and(mask, other)
        return mask

    def compute_output_shape(self, query_shape, value_shape, key_shape=None):
        return tuple(query_shape[:-1]) + (
            self._output_width or query_shape[-1],
        )

    def compute_output_spec(
        self,
        query,
        value,
        key=None,
        query_mask=None,
        value_mask=None,
        key_mask=None,
        attention_mask=None,
        return_attention_scores=False,
        training=None,
        use_causal_mask=False,
    ):
        # Check the masks' shapes now, when a Functional model is built.
        self.attention_mask(
            query,
            value,
            query_mask=query_mask,
            value_mask=value_mask,
            key_mask=key_mask,
            attention_mask=attention_mask,
        )
        outputs = keras.KerasTensor(
            self.compute_output_shape(query.shape, value.shape),
            dtype=self.compute_dtype,
        )
        if not return_attention_scores:
            return outputs
        scores_shape = (query.shape[0], self.num_heads) + (
            query.shape[1],
            value.shape[1],
        )
        return outputs, keras.KerasTensor(
            scores_shape, dtype=float32_if_half(self.compute_dtype)
        )

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "num_heads": self.num_heads,
                "key_dim": self.key_dim,
                "value_dim": self.value_dim,
                "dropout": self.dropout,
                "use_bias": self.use_bias,
                "output_shape": self._output_width,
                "kernel_initializer": keras.initializers.serialize(
                    self.kernel_initializer
                ),
                "bias_initializer": keras.initializers.serialize(
                    self.bias_initializer
                ),
                "seed": self.seed,
            }
        )
        return config


def causal_mask(query, value):
    """Returns the `(1, T, S)` bool mask where query step i sees steps <= i."""
    query_steps = ops.shape(query)[1]
    key_steps = ops.shape(value)[1]
    rows = ops.expand_dims(ops.arange(query_steps), axis=1)  # (T, 1)
    columns = ops.expand_dims(ops.arange(key_steps), axis=0)  # (1, S)
    return ops.expand_dims(rows >= columns, axis=0)
