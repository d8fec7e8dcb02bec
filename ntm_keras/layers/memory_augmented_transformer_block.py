"""A Transformer block that reads and writes an NTM memory, per segment.

Legend: B = batch size, T = steps of the segment (`segment_length`),
D = model width, H = attention heads, N = memory slots (`memory_size`),
W = word size (`word_size`), R = read heads, V = write heads.
"""

import keras
from keras import ops

from ntm_keras import validation
from ntm_keras.layers.transformer_block_base import TransformerBlockBase
from ntm_keras.memory import addressing

# Addressing modes the block knows. "dnc" (usage-based allocation and
# temporal links) comes with the DNC's addressing functions.
ADDRESSING_MODES = ("ntm",)
PLANNED_ADDRESSING_MODES = ("dnc",)


@keras.saving.register_keras_serializable(package="ntm_keras")
class MemoryAugmentedTransformerBlock(TransformerBlockBase):
    """Self-attention over a segment, a memory read, feed-forward, a write.

    The block processes one segment of a long sequence and a memory that a
    model carries from segment to segment (segment-level recurrence, as in
    [Transformer-XL](https://arxiv.org/abs/1901.02860), but through an
    addressable NTM memory instead of cached states, as in
    [Memformer](https://arxiv.org/abs/2010.06891), the
    [Recurrent Memory Transformer](https://arxiv.org/abs/2207.06881) and
    [Token Turing Machines](https://arxiv.org/abs/2211.09119)). Four
    sublayers, each in a residual connection (pre-norm by default):

    1. self-attention over the segment, causal or bidirectional;
    2. a memory read: each step emits `num_read_heads` keys and strengths,
       addresses the memory by content (`addressing.content_weights`,
       [Graves et al. 2014](https://arxiv.org/abs/1410.5401), equation 5)
       and reads (`addressing.read`, equation 2); the read vectors are
       projected back to the model width and added to the step;
    3. the position-wise feed-forward layer;
    4. a memory write: each step of the segment's output emits
       `num_write_heads` keys, strengths, erase and add vectors, and the
       memory takes the NTM's erase-and-add write of every step in turn
       (`addressing.erase_and_add`, equations 3 and 4).

    Every step reads and addresses the memory as it was at the start of the
    segment, so step t never sees what later steps of its segment wrote
    (causality holds within the segment) and all steps run in parallel.

    The write. Step t's write is the affine map
    `M -> M * keep_t + add_t`, with
    `keep_t = prod_v (1 - w_t^v e_t^v)` and `add_t = sum_v w_t^v a_t^v`,
    both `(B, N, W)`; `keep_t` and `add_t` are `erase_and_add` evaluated
    on an all-ones and an all-zeros memory. Composing the T maps in order
    gives exactly the memory after T sequential NTM writes:
    `M_T = M_0 * prod_t keep_t + sum_t add_t * prod_{s > t} keep_s`,
    computed for all steps at once with a cumulative sum of
    `log(keep_t)` (a parallel scan of a linear recurrence). What is exact:
    the erase and add composition (a later step's erase also erases what an
    earlier step added). What is approximate: the write weightings are
    content weightings against the segment's starting memory, not against
    the memory as the earlier steps of the segment left it. The cost is
    `O(T N W)` memory per segment for `keep_t` and `add_t` instead of the
    `O(N W)` of one summed write, and `4 T V N W` extra multiply-adds.
    `keep_t` is clamped below at `addressing.EPSILON` before the logarithm
    (exact whenever `keep_t >= 1e-6`).

    Location addressing (interpolation, shift, sharpening) is left out: it
    is a recurrence over steps and would serialize the segment. Content
    addressing needs slots that differ, so the block keeps a learned initial
    memory (`initial_memory`, drawn at random, independent of the batch).

    Args:
        num_heads: int. Attention heads; must divide the model width.
        feed_forward_dim: int. Inner width of the feed-forward layer, d_ff.
        memory_size: int. Memory slots N. Defaults to `32`.
        word_size: int. Width W of each slot. Defaults to `32`.
        num_read_heads: int. Read heads per step. Defaults to `1`.
        num_write_heads: int. Write heads per step. Defaults to `1`.
        addressing: str. How the heads address the memory: `"ntm"`
            (content addressing). `"dnc"` comes with the DNC. Defaults to
            `"ntm"`.
        use_causal_mask: bool. Causal self-attention over the segment (a
            step attends to itself and the steps before it). Defaults to
            `True`.
        dropout: float. Rate of the residual and attention dropouts.
            Defaults to `0.0`.
        norm_first: bool. Pre-norm residuals. Defaults to `True`.
        activation: str. Feed-forward activation. Defaults to `"relu"`.
        layer_norm_epsilon: float. Defaults to `1e-6`.
        seed: int. Seed of the dropouts. Defaults to `None`.

    Call arguments:
        inputs: `(batch_size, segment_length, model_dim)`, the segment.
        memory: optional `(batch_size, memory_size, word_size)`; None
            starts from the learned initial memory.
        padding_mask: optional `(batch_size, segment_length)` bool or 0/1,
            False at padding steps: they are not attended to (bidirectional)
            and do not write.
        training: bool. Apply dropout.
        return_trace: bool. Also return a dict of what the block did.

    Returns:
        `(outputs, new_memory)`: `(batch_size, segment_length, model_dim)`
        and `(batch_size, memory_size, word_size)`; with `return_trace`,
        `(outputs, new_memory, trace)` where `trace` holds
        `"self_attention"` `(batch_size, num_heads, segment_length,
        segment_length)`, `"read_weights"` `(batch_size, segment_length,
        num_read_heads, memory_size)`, `"write_weights"` `(batch_size,
        segment_length, num_write_heads, memory_size)`, `"erase"` and
        `"add"` `(batch_size, segment_length, num_write_heads, word_size)`.

    Example:

    >>> import numpy as np
    >>> block = MemoryAugmentedTransformerBlock(
    ...     num_heads=2, feed_forward_dim=16, memory_size=4, word_size=3)
    >>> segment = np.ones((2, 5, 8), "float32")
    >>> outputs, memory = block(segment)
    >>> tuple(outputs.shape), tuple(memory.shape)
    ((2, 5, 8), (2, 4, 3))
    >>> outputs, memory = block(segment, memory)  # the next segment
    """

    def __init__(
        self,
        num_heads,
        feed_forward_dim,
        memory_size=32,
        word_size=32,
        num_read_heads=1,
        num_write_heads=1,
        addressing="ntm",
        use_causal_mask=True,
        dropout=0.0,
        norm_first=True,
        activation="relu",
        layer_norm_epsilon=1e-6,
        seed=None,
        **kwargs,
    ):
        super().__init__(
            num_heads=num_heads,
            feed_forward_dim=feed_forward_dim,
            dropout=dropout,
            norm_first=norm_first,
            activation=activation,
            layer_norm_epsilon=layer_norm_epsilon,
            seed=seed,
            **kwargs,
        )
        self.memory_size = validation.check_positive_int(
            "memory_size", memory_size
        )
        self.word_size = validation.check_positive_int("word_size", word_size)
        self.num_read_heads = validation.check_positive_int(
            "num_read_heads", num_read_heads
        )
        self.num_write_heads = validation.check_positive_int(
            "num_write_heads", num_write_heads
        )
        if addressing in PLANNED_ADDRESSING_MODES:
            raise ValueError(
                f"Invalid `addressing`: received {addressing!r}, which comes "
                "with the DNC's addressing functions (usage, allocation, "
                f"temporal links); expected one of {list(ADDRESSING_MODES)} "
                "for now."
            )
        self.addressing = validation.check_choice(
            "addressing", addressing, ADDRESSING_MODES
        )
        if not isinstance(use_causal_mask, bool):
            raise TypeError(
                f"Invalid `use_causal_mask`: received {use_causal_mask!r}; "
                "expected a bool."
            )
        self.use_causal_mask = use_causal_mask

    # -- Shapes -----------------------------------------------------------

    @property
    def memory_shape(self):
        """`(memory_size, word_size)`, one sequence's memory."""
        return (self.memory_size, self.word_size)

    def _check_memory_shape(self, memory_shape):
        if memory_shape is None:
            return
        memory_shape = tuple(memory_shape)
        if len(memory_shape) != 3 or tuple(memory_shape[1:]) != (
            self.memory_shape
        ):
            raise ValueError(
                f"Invalid `memory` for block {self.name!r}: received shape "
                f"{memory_shape}; expected (batch_size, memory_size="
                f"{self.memory_size}, word_size={self.word_size})."
            )

    def _check_inputs_shape(self, inputs_shape):
        if len(inputs_shape) != 3:
            raise ValueError(
                f"Invalid `inputs` for block {self.name!r}: received shape "
                f"{tuple(inputs_shape)}; expected (batch_size, "
                "segment_length, model_dim)."
            )

    # -- Weights ----------------------------------------------------------

    def build(self, inputs_shape, memory_shape=None):
        self._check_inputs_shape(inputs_shape)
        self._check_memory_shape(memory_shape)
        model_dim = inputs_shape[-1]
        r, v, w = self.num_read_heads, self.num_write_heads, self.word_size
        self._build_self_attention(inputs_shape)
        self.read_norm = self._norm("read_norm", inputs_shape)
        # One projection per head set, split by `_controls`.
        self.read_controls = self._dense("read_controls", r * (w + 1))
        self.read_controls.build(inputs_shape)
        self.read_output = self._dense("read_output", model_dim)
        self.read_output.build(tuple(inputs_shape[:-1]) + (r * w,))
        self.read_dropout = self._dropout("read_dropout")
        self._build_feed_forward(inputs_shape)
        self.write_norm = self._norm("write_norm", inputs_shape)
        self.write_controls = self._dense("write_controls", v * (3 * w + 1))
        self.write_controls.build(inputs_shape)
        # Drawn at random so that slots differ: content addressing cannot
        # tell apart slots that hold the same word.
        self.initial_memory = self.add_weight(
            shape=self.memory_shape,
            initializer=keras.initializers.RandomNormal(stddev=0.5),
            name="initial_memory",
        )

    def _dense(self, name, units):
        return keras.layers.Dense(units, dtype=self.dtype_policy, name=name)

    def get_initial_memory(self, batch_size):
        """The learned initial memory, `(batch_size, memory_size, word_size)`.

        Args:
            batch_size: int or scalar tensor.
        """
        memory = ops.cast(self.initial_memory, self.compute_dtype)
        return ops.broadcast_to(
            memory[None], (batch_size, self.memory_size, self.word_size)
        )

    # -- Controls -------------------------------------------------------

    def _controls(self, projection, hidden, num_heads, names):
        """Splits one projection into per-head controls, activated.

        Returns a dict of `(B, T, heads, W)` vectors and `(B, T, heads)`
        strengths.
        """
        w = self.word_size
        raw = projection(hidden)  # (B, T, heads * (k W + 1))
        batch_size, steps = ops.shape(raw)[0], ops.shape(raw)[1]
        sizes = [num_heads * w] * len(names) + [num_heads]
        split = ops.split(
            raw, [sum(sizes[: i + 1]) for i in range(len(names))], -1
        )
        controls = {
            name: ops.reshape(part, (batch_size, steps, num_heads, w))
            for name, part in zip(names, split[:-1])
        }
        # beta_t >= 0, as in NTMCell.
        controls["strengths"] = ops.softplus(split[-1])  # (B, T, heads)
        # Keys and add vectors are bounded by tanh (Collier & Beel 2018).
        controls["keys"] = ops.tanh(controls["keys"])  # k_t
        if "erase" in controls:
            controls["erase"] = ops.sigmoid(controls["erase"])  # e_t
            controls["add"] = ops.tanh(controls["add"])  # a_t
        return controls

    def _address(self, memory, controls):
        """Content weightings of every step and head, `(B, T, heads, N)`."""
        keys = controls["keys"]  # (B, T, heads, W)
        batch_size, steps, heads = (
            ops.shape(keys)[0],
            ops.shape(keys)[1],
            keys.shape[2],
        )
        # Steps and heads share the heads axis of `content_weights`.
        weights = addressing.content_weights(
            memory,
            ops.reshape(keys, (batch_size, steps * heads, self.word_size)),
            ops.reshape(controls["strengths"], (batch_size, steps * heads)),
        )  # (B, T * heads, N)
        return ops.reshape(
            weights, (batch_size, steps, heads, self.memory_size)
        )

    # -- Sublayers ------------------------------------------------------

    def _read_sublayer(self, inputs, memory, training):
        """Returns `(outputs, read_weights)`: `(B, T, D)`, `(B, T, R, N)`."""
        hidden = self._sublayer_input(inputs, self.read_norm)
        controls = self._controls(
            self.read_controls, hidden, self.num_read_heads, ("keys",)
        )
        weights = self._address(memory, controls)  # (B, T, R, N)
        batch_size, steps = ops.shape(weights)[0], ops.shape(weights)[1]
        r, w = self.num_read_heads, self.word_size
        reads = addressing.read(
            memory, ops.reshape(weights, (batch_size, steps * r, -1))
        )  # (B, T * R, W)
        reads = ops.reshape(reads, (batch_size, steps, r * w))
        outputs = self._sublayer_output(
            inputs,
            self.read_output(reads),
            self.read_norm,
            self.read_dropout,
            training,
        )
        return outputs, weights

    def _write(self, inputs, memory, padding_mask):
        """Returns `(new_memory, controls)` after every step's write."""
        hidden = self.write_norm(inputs) if self.norm_first else inputs
        controls = self._controls(
            self.write_controls,
            hidden,
            self.num_write_heads,
            ("keys", "erase", "add"),
        )
        weights = self._address(memory, controls)  # (B, T, V, N)
        if padding_mask is not None:  # padding steps do not write
            mask = ops.cast(padding_mask, weights.dtype)
            weights = weights * mask[:, :, None, None]
        controls["write_weights"] = weights
        return sequential_write(
            memory, weights, controls["erase"], controls["add"]
        ), controls

    # -- Call -----------------------------------------------------------

    def call(
        self,
        inputs,
        memory=None,
        padding_mask=None,
        training=None,
        return_trace=False,
    ):
        if memory is None:
            memory = self.get_initial_memory(ops.shape(inputs)[0])
        self._check_memory_shape(memory.shape)
        outputs, attention = self._self_attention_sublayer(
            inputs, padding_mask, self.use_causal_mask, training
        )  # (B, T, D), (B, H, T, T)
        outputs, read_weights = self._read_sublayer(outputs, memory, training)
        outputs = self._feed_forward_sublayer(outputs, training)  # (B, T, D)
        new_memory, controls = self._write(outputs, memory, padding_mask)
        if not return_trace:
            return outputs, new_memory
        trace = {
            "self_attention": attention,
            "read_weights": read_weights,
            "write_weights": controls["write_weights"],
            "erase": controls["erase"],
            "add": controls["add"],
        }
        return outputs, new_memory, trace

    def compute_output_shape(self, inputs_shape, memory_shape=None):
        batch_size = inputs_shape[0]
        return (
            tuple(inputs_shape),
            (batch_size, self.memory_size, self.word_size),
        )

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "memory_size": self.memory_size,
                "word_size": self.word_size,
                "num_read_heads": self.num_read_heads,
                "num_write_heads": self.num_write_heads,
                "addressing": self.addressing,
                "use_causal_mask": self.use_causal_mask,
            }
        )
        return config


def sequential_write(memory, weights, erase, add):
    """The memory after every step's NTM write, computed for all steps at once.

    Step t writes `M -> M * keep_t + add_t` with
    `keep_t = prod_v (1 - w_t^v e_t^v)` and `add_t = sum_v w_t^v a_t^v`
    ([Graves et al. 2014](https://arxiv.org/abs/1410.5401), equations 3 and
    4, through `addressing.erase_and_add`). In order, the T writes give
    `M_T = M_0 * prod_t keep_t + sum_t add_t * prod_{s > t} keep_s`.

    Args:
        memory: `(batch_size, memory_size, word_size)`, M_0.
        weights: `(batch_size, time, num_heads, memory_size)`.
        erase: `(batch_size, time, num_heads, word_size)` in [0, 1].
        add: `(batch_size, time, num_heads, word_size)`.

    Returns:
        `(batch_size, memory_size, word_size)`, M_T.
    """
    batch_size, steps = ops.shape(weights)[0], ops.shape(weights)[1]
    heads, n = weights.shape[2], weights.shape[3]
    w = erase.shape[-1]

    def per_step(tensor, size):  # (B, T, V, size) -> (B * T, V, size)
        return ops.reshape(tensor, (batch_size * steps, heads, size))

    weights, erase, add = (
        per_step(weights, n),
        per_step(erase, w),
        per_step(add, w),
    )
    ones = ops.ones((batch_size * steps, n, w), memory.dtype)
    # erase_and_add is affine in the memory: its value on an all-ones memory
    # with no add gives the slope keep_t, on an all-zeros memory the offset
    # add_t of each step's write.
    keep = addressing.erase_and_add(ones, weights, erase, ops.zeros_like(add))
    added = addressing.erase_and_add(ops.zeros_like(ones), weights, erase, add)
    keep = ops.reshape(keep, (batch_size, steps, n, w))  # (B, T, N, W)
    added = ops.reshape(added, (batch_size, steps, n, w))
    # Clamped so that the logarithm and its gradient stay finite; exact for
    # keep_t >= EPSILON.
    log_keep = ops.log(ops.maximum(keep, addressing.EPSILON))
    # log prod_{s >= t} keep_s, a cumulative sum from the last step back.
    from_t = ops.flip(ops.cumsum(ops.flip(log_keep, axis=1), axis=1), axis=1)
    later = from_t - log_keep  # (B, T, N, W): log prod_{s > t} keep_s
    kept = ops.exp(from_t[:, 0])  # (B, N, W): prod_t keep_t
    return memory * kept + ops.sum(added * ops.exp(later), axis=1)
