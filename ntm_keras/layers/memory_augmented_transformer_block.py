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

# Addressing modes the block knows: "ntm" (content addressing), "dnc"
# (content addressing and usage-based allocation for the write).
ADDRESSING_MODES = ("ntm", "dnc")


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

    `addressing="dnc"` adds the DNC's dynamic memory allocation
    ([Graves et al. 2016](https://www.nature.com/articles/nature20101)) to
    the write, and the usage it needs to the state, which becomes
    `(memory, usage)`. Each write head also emits an allocation gate and a
    write gate, each read head a free gate, and step t writes with
    `w_t = g^w_t (g^a_t a_t + (1 - g^a_t) c_t)`: `c_t` its content
    weighting, `a_t` the slot it claims among the free ones
    (`segment_allocation`: step t takes the (k + 1)-th free slot of the
    segment's starting usage, k the claims `g^w g^a` of the earlier steps,
    so the steps of a segment write to distinct free slots in parallel).
    The usage after the segment is exact given the weightings: every step's
    write fills its slots and its read heads free what they read with their
    free gates (`segment_usage`, a parallel affine scan like the write).
    What is approximate: allocation sees the usage at the start of the
    segment (frees and partial writes of the segment count from the next
    segment on). What is left out: the DNC's temporal link matrix and read
    modes. Reading along the links makes each step's read weighting a
    function of the previous step's (a matrix-valued recurrence over the
    segment), and the link matrix adds `N^2` state per block; reads stay
    content reads. The cost of allocation: `O(N T V)` per sequence and
    segment, in N small sequential operations (a loop over the sorted
    slots), and `3 V + R` more control units per step.

    Args:
        num_heads: int. Attention heads; must divide the model width.
        feed_forward_dim: int. Inner width of the feed-forward layer, d_ff.
        memory_size: int. Memory slots N. Defaults to `32`.
        word_size: int. Width W of each slot. Defaults to `32`.
        num_read_heads: int. Read heads per step. Defaults to `1`.
        num_write_heads: int. Write heads per step. Defaults to `1`.
        addressing: str. How the heads address the memory: `"ntm"`
            (content addressing) or `"dnc"` (content addressing, and
            usage-based allocation for the write). Defaults to `"ntm"`.
        use_causal_mask: bool. Causal self-attention over the segment (a
            step attends to itself and the steps before it). Defaults to
            `True`.
        zero_init_read: bool. Start the read sublayer's output projection
            at zero, so that a fresh block adds nothing from its memory and
            begins as a plain Transformer block; the projection's gradient
            is not zero, so the read opens as it learns. Defaults to
            `False` (Glorot-uniform, like the other projections).
        dropout: float. Rate of the residual and attention dropouts.
            Defaults to `0.0`.
        norm_first: bool. Pre-norm residuals. Defaults to `True`.
        activation: str. Feed-forward activation. Defaults to `"relu"`.
        layer_norm_epsilon: float. Defaults to `1e-6`.
        seed: int. Seed of the dropouts. Defaults to `None`.

    Call arguments:
        inputs: `(batch_size, segment_length, model_dim)`, the segment.
        memory: optional `(batch_size, memory_size, word_size)`; with
            `addressing="dnc"`, a pair `(memory, usage)` with usage
            `(batch_size, memory_size)`. None starts from
            `get_initial_memory`.
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
        With `addressing="dnc"`, `new_memory` is the pair `(memory,
        usage)`, and the trace adds `"allocation_weights"` (shaped like
        `"write_weights"`), `"allocation_gates"` and `"write_gates"`
        `(batch_size, segment_length, num_write_heads)`, `"free_gates"`
        `(batch_size, segment_length, num_read_heads)` and `"usage"`
        `(batch_size, memory_size)` after the segment.

    Example:

    >>> import numpy as np
    >>> block = MemoryAugmentedTransformerBlock(
    ...     num_heads=2, feed_forward_dim=16, memory_size=4, word_size=3)
    >>> segment = np.ones((2, 5, 8), "float32")
    >>> outputs, memory = block(segment)
    >>> tuple(outputs.shape), tuple(memory.shape)
    ((2, 5, 8), (2, 4, 3))
    >>> outputs, memory = block(segment, memory)  # the next segment
    >>> dnc = MemoryAugmentedTransformerBlock(
    ...     num_heads=2, feed_forward_dim=16, memory_size=4, word_size=3,
    ...     addressing="dnc")
    >>> outputs, (memory, usage) = dnc(segment)
    >>> tuple(usage.shape)
    (2, 4)
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
        zero_init_read=False,
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
        self.addressing = validation.check_choice(
            "addressing", addressing, ADDRESSING_MODES
        )
        validation.check_bool("use_causal_mask", use_causal_mask)
        self.use_causal_mask = use_causal_mask
        validation.check_bool("zero_init_read", zero_init_read)
        self.zero_init_read = zero_init_read

    # -- Shapes -----------------------------------------------------------

    @property
    def memory_shape(self):
        """`(memory_size, word_size)`, one sequence's memory."""
        return (self.memory_size, self.word_size)

    def _check_memory_shape(self, memory_shape):
        """Checks a memory shape, or `(memory, usage)` shapes in "dnc" mode."""
        if memory_shape is None:
            return
        expected = (
            f"(batch_size, memory_size={self.memory_size}, word_size="
            f"{self.word_size})"
        )
        nested = len(memory_shape) > 0 and isinstance(
            memory_shape[0], (tuple, list)
        )
        if self.addressing == "dnc":
            usage_expected = f"(batch_size, memory_size={self.memory_size})"
            if not nested or len(memory_shape) != 2:
                raise ValueError(
                    f"Invalid `memory` for block {self.name!r}: received "
                    f"shape {tuple(memory_shape)}; with addressing='dnc' "
                    f"expected a pair (memory, usage) of shapes {expected} "
                    f"and {usage_expected}."
                )
            memory_shape, usage_shape = memory_shape
            if len(usage_shape) != 2 or usage_shape[1] != self.memory_size:
                raise ValueError(
                    f"Invalid `memory` for block {self.name!r}: received a "
                    f"usage of shape {tuple(usage_shape)}; expected "
                    f"{usage_expected}."
                )
        elif nested:
            raise ValueError(
                f"Invalid `memory` for block {self.name!r}: received shapes "
                f"{tuple(memory_shape)}; with addressing='ntm' expected one "
                f"memory of shape {expected}."
            )
        memory_shape = tuple(memory_shape)
        if len(memory_shape) != 3 or tuple(memory_shape[1:]) != (
            self.memory_shape
        ):
            raise ValueError(
                f"Invalid `memory` for block {self.name!r}: received shape "
                f"{memory_shape}; expected {expected}."
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
        # Per read head: a key and a strength; "dnc" adds a free gate.
        read_scalars = len(self._read_scalar_names)
        self.read_controls = self._dense(
            "read_controls", r * (w + read_scalars)
        )
        self.read_controls.build(inputs_shape)
        self.read_output = self._dense(
            "read_output",
            model_dim,
            kernel_initializer="zeros" if self.zero_init_read else None,
        )
        self.read_output.build(tuple(inputs_shape[:-1]) + (r * w,))
        self.read_dropout = self._dropout("read_dropout")
        self._build_feed_forward(inputs_shape)
        self.write_norm = self._norm("write_norm", inputs_shape)
        # Per write head: key, erase, add, strength; "dnc" adds the
        # allocation and write gates.
        write_scalars = len(self._write_scalar_names)
        self.write_controls = self._dense(
            "write_controls", v * (3 * w + write_scalars)
        )
        self.write_controls.build(inputs_shape)
        # Drawn at random so that slots differ: content addressing cannot
        # tell apart slots that hold the same word.
        self.initial_memory = self.add_weight(
            shape=self.memory_shape,
            initializer=keras.initializers.RandomNormal(stddev=0.5),
            name="initial_memory",
        )

    def _dense(self, name, units, kernel_initializer=None):
        return keras.layers.Dense(
            units,
            kernel_initializer=kernel_initializer or "glorot_uniform",
            dtype=self.dtype_policy,
            name=name,
        )

    def get_initial_memory(self, batch_size):
        """The state a sequence starts from.

        Args:
            batch_size: int or scalar tensor.

        Returns:
            "ntm": the learned initial memory, `(batch_size, memory_size,
            word_size)`. "dnc": `(memory, usage)`, the learned initial
            memory and a usage of zeros `(batch_size, memory_size)` (every
            slot free).
        """
        memory = ops.cast(self.initial_memory, self.compute_dtype)
        memory = ops.broadcast_to(
            memory[None], (batch_size, self.memory_size, self.word_size)
        )
        if self.addressing == "dnc":
            usage = ops.zeros((batch_size, self.memory_size), memory.dtype)
            return memory, usage
        return memory

    @property
    def _read_scalar_names(self):
        if self.addressing == "dnc":
            return ("strengths", "free_gates")
        return ("strengths",)

    @property
    def _write_scalar_names(self):
        if self.addressing == "dnc":
            return ("strengths", "allocation_gates", "write_gates")
        return ("strengths",)

    # -- Controls -------------------------------------------------------

    def _controls(self, projection, hidden, num_heads, names, scalar_names):
        """Splits one projection into per-head controls, activated.

        The projection holds the `names` vectors of every head, then the
        `scalar_names` scalars of every head, in that order. Returns a dict
        of `(B, T, heads, W)` vectors and `(B, T, heads)` scalars.
        """
        w = self.word_size
        raw = projection(hidden)  # (B, T, heads * (k W + scalars))
        batch_size, steps = ops.shape(raw)[0], ops.shape(raw)[1]
        sizes = [num_heads * w] * len(names) + [num_heads] * len(scalar_names)
        split = ops.split(
            raw, [sum(sizes[: i + 1]) for i in range(len(sizes) - 1)], -1
        )
        controls = {
            name: ops.reshape(part, (batch_size, steps, num_heads, w))
            for name, part in zip(names, split)
        }
        controls.update(zip(scalar_names, split[len(names) :]))
        # beta_t >= 0, as in NTMCell.
        controls["strengths"] = ops.softplus(controls["strengths"])
        for gate in ("free_gates", "allocation_gates", "write_gates"):
            if gate in controls:  # f_t, g_t^a, g_t^w in [0, 1], as the DNC
                controls[gate] = ops.sigmoid(controls[gate])
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
        """Returns `(outputs, controls)`: `(B, T, D)` and the read controls.

        `controls["read_weights"]` is `(B, T, R, N)`.
        """
        hidden = self._sublayer_input(inputs, self.read_norm)
        controls = self._controls(
            self.read_controls,
            hidden,
            self.num_read_heads,
            ("keys",),
            self._read_scalar_names,
        )
        weights = self._address(memory, controls)  # (B, T, R, N)
        controls["read_weights"] = weights
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
        return outputs, controls

    def _write(self, inputs, memory, usage, read_controls, padding_mask):
        """Returns `(new_memory, new_usage, controls)` after every write.

        `usage` and `new_usage` are None in "ntm" mode.
        """
        hidden = self.write_norm(inputs) if self.norm_first else inputs
        controls = self._controls(
            self.write_controls,
            hidden,
            self.num_write_heads,
            ("keys", "erase", "add"),
            self._write_scalar_names,
        )
        content = self._address(memory, controls)  # (B, T, V, N)
        mask = None
        if padding_mask is not None:  # padding steps do not write
            mask = ops.cast(padding_mask, content.dtype)[:, :, None]
        if self.addressing == "ntm":
            weights = content if mask is None else content * mask[..., None]
            controls["write_weights"] = weights
            new_memory = sequential_write(
                memory, weights, controls["erase"], controls["add"]
            )
            return new_memory, None, controls
        # "dnc": w_t = g^w (g^a a_t + (1 - g^a) c_t), with a_t the slot
        # that step t claims among the free ones (`segment_allocation`).
        write_gates = controls["write_gates"]  # (B, T, V)
        allocation_gates = controls["allocation_gates"]
        free_gates = read_controls["free_gates"]  # (B, T, R)
        if mask is not None:
            write_gates = write_gates * mask
            free_gates = free_gates * mask
        allocation = segment_allocation(
            usage, write_gates * allocation_gates
        )  # (B, T, V, N)
        weights = write_gates[..., None] * (
            allocation_gates[..., None] * allocation
            + (1.0 - allocation_gates[..., None]) * content
        )
        controls.update(
            write_weights=weights,
            allocation_weights=allocation,
            write_gates=write_gates,
            free_gates=free_gates,
        )
        new_memory = sequential_write(
            memory, weights, controls["erase"], controls["add"]
        )
        new_usage = segment_usage(
            usage, weights, free_gates, read_controls["read_weights"]
        )
        return new_memory, new_usage, controls

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
        self._check_memory_shape(
            tuple(tuple(part.shape) for part in memory)
            if isinstance(memory, (tuple, list))
            else memory.shape
        )
        memory, usage = memory if self.addressing == "dnc" else (memory, None)
        outputs, attention = self._self_attention_sublayer(
            inputs, padding_mask, self.use_causal_mask, training
        )  # (B, T, D), (B, H, T, T)
        outputs, read_controls = self._read_sublayer(outputs, memory, training)
        outputs = self._feed_forward_sublayer(outputs, training)  # (B, T, D)
        new_memory, new_usage, controls = self._write(
            outputs, memory, usage, read_controls, padding_mask
        )
        state = new_memory if usage is None else (new_memory, new_usage)
        if not return_trace:
            return outputs, state
        trace = {
            "self_attention": attention,
            "read_weights": read_controls["read_weights"],
            "write_weights": controls["write_weights"],
            "erase": controls["erase"],
            "add": controls["add"],
        }
        if usage is not None:
            trace.update(
                allocation_weights=controls["allocation_weights"],
                allocation_gates=controls["allocation_gates"],
                write_gates=controls["write_gates"],
                free_gates=controls["free_gates"],
                usage=new_usage,
            )
        return outputs, state, trace

    def compute_output_shape(self, inputs_shape, memory_shape=None):
        batch_size = inputs_shape[0]
        memory_shape = (batch_size, self.memory_size, self.word_size)
        if self.addressing == "dnc":
            memory_shape = (memory_shape, (batch_size, self.memory_size))
        return (tuple(inputs_shape), memory_shape)

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
                "zero_init_read": self.zero_init_read,
            }
        )
        return config


def compose_affine(initial, slopes, offsets):
    """The result of T affine maps `x -> x * slope_t + offset_t`, in order.

    `x_T = x_0 prod_t slope_t + sum_t offset_t prod_{s > t} slope_s`, for
    all elements at once: the suffix products are `exp` of suffix sums of
    `log slope_t` (a parallel scan of a linear recurrence). The suffix sums
    are one matrix product with a strictly upper triangular `(T, T)` matrix
    of ones: on CPU it and its gradient take a third of the time of a
    cumulative sum over the time axis (`notes/memory-transformer.md`,
    experiment 6). Slopes are clamped below at `addressing.EPSILON` before
    the logarithm, so values and gradients stay finite; exact for slopes
    `>= EPSILON`.

    Args:
        initial: `(batch_size, ...)`, x_0.
        slopes: `(batch_size, time, ...)`, in [0, 1], with a known time.
        offsets: `(batch_size, time, ...)`.

    Returns:
        `(batch_size, ...)`, x_T.
    """
    log_slopes = ops.log(ops.maximum(slopes, addressing.EPSILON))
    shape = ops.shape(log_slopes)
    steps = slopes.shape[1]
    after = ops.triu(ops.ones((steps, steps), log_slopes.dtype), k=1)
    # log prod_{s > t} slope_s, as (B, T, everything else) for the product.
    later = ops.matmul(after, ops.reshape(log_slopes, (shape[0], steps, -1)))
    later = ops.reshape(later, shape)
    total = ops.sum(log_slopes, axis=1)  # log prod_t slope_t
    return initial * ops.exp(total) + ops.sum(offsets * ops.exp(later), axis=1)


def sequential_write(memory, weights, erase, add):
    """The memory after every step's NTM write, computed for all steps at once.

    Step t writes `M -> M * keep_t + add_t` with
    `keep_t = prod_v (1 - w_t^v e_t^v)` and `add_t = sum_v w_t^v a_t^v`
    ([Graves et al. 2014](https://arxiv.org/abs/1410.5401), equations 3 and
    4, through `addressing.erase_and_add`). In order, the T writes give
    `M_T = M_0 * prod_t keep_t + sum_t add_t * prod_{s > t} keep_s`
    (`compose_affine`).

    Args:
        memory: `(batch_size, memory_size, word_size)`, M_0.
        weights: `(batch_size, time, num_heads, memory_size)`.
        erase: `(batch_size, time, num_heads, word_size)` in [0, 1].
        add: `(batch_size, time, num_heads, word_size)`.

    Returns:
        `(batch_size, memory_size, word_size)`, M_T.
    """
    # keep_t and add_t directly (the values `addressing.erase_and_add`
    # gives on an all-ones memory without add and on an all-zeros memory).
    if weights.shape[2] == 1:  # one head: no product over heads
        keep = 1.0 - weights[:, :, 0, :, None] * erase[:, :, 0, None, :]
        added = weights[:, :, 0, :, None] * add[:, :, 0, None, :]
    else:
        keep = ops.prod(
            1.0 - weights[..., :, None] * erase[..., None, :], axis=2
        )  # (B, T, N, W)
        added = ops.einsum("btvn,btvw->btnw", weights, add)
    return compose_affine(memory, keep, added)


def segment_allocation(usage, claims):
    """DNC allocation for every step of a segment, from one starting usage.

    The DNC ([Graves et al. 2016](https://www.nature.com/articles/nature20101),
    Methods, "Dynamic memory allocation") gives one step the weighting
    `a[phi_j] = (1 - u[phi_j]) prod_{i<j} u[phi_i]` over the slots sorted
    by ascending usage (`addressing.allocation_weights`): the probability
    that slot `phi_j` is the first free one when each slot is free with
    probability `1 - u`. In a sequential DNC the next step then allocates
    the next free slot, and so on. Here every step of a segment allocates
    from the segment's starting usage, in parallel: step q takes the
    `(k + 1)`-th free slot, `A_k[phi_j] = (1 - u[phi_j]) P(exactly k of
    phi_0 .. phi_{j-1} are free)` (a Poisson-binomial count, computed by a
    loop over the N sorted slots), where k is the number of slots the
    earlier steps claimed: `c_q = sum_{p < q} claims_p`, interpolated
    linearly between the two nearest whole numbers. `A_0` is the DNC's
    allocation weighting; for a usage of zeros and ones and whole claims,
    the steps get distinct free slots, as a sequential DNC whose writes
    fill their slots would.

    Gradients flow to the usage values (not through the sort, as in
    `addressing.allocation_weights`) and to the claims. The cost is
    `O(N K)` per sequence for `K = time * num_heads` claims, in N small
    sequential operations.

    Args:
        usage: `(batch_size, memory_size)` in [0, 1], the usage at the start
            of the segment.
        claims: `(batch_size, time, num_heads)` in [0, 1], how much each
            step and write head allocates (`write_gate * allocation_gate`);
            steps count in order, heads in order within a step.

    Returns:
        `(batch_size, time, num_heads, memory_size)`, each weighting
        non-negative and summing to at most 1.
    """
    batch_size, steps = ops.shape(claims)[0], ops.shape(claims)[1]
    heads, size = claims.shape[2], usage.shape[-1]
    flat = ops.reshape(claims, (batch_size, -1))  # (B, K)
    count = ops.shape(flat)[1]  # K
    before = ops.cumsum(flat, axis=-1) - flat  # c_q, exclusive
    # Same lift as `addressing.allocation_weights`, so that A_0 equals it.
    usage = addressing.EPSILON + (1.0 - addressing.EPSILON) * usage
    order = ops.stop_gradient(ops.argsort(usage, axis=-1))  # phi, (B, N)
    used = ops.take_along_axis(usage, order, axis=-1)  # sorted u
    free = 1.0 - used
    ks = ops.cast(ops.arange(count), usage.dtype)  # (K,)
    # P(exactly k of the slots before phi_j are free), k = 0 .. K - 1.
    counts = ops.broadcast_to(
        ops.cast(ops.equal(ks, 0.0), usage.dtype)[None], ops.shape(flat)
    )  # (B, K)
    columns = []
    for j in range(size):
        columns.append(free[:, j : j + 1] * counts)  # A_k[phi_j], (B, K)
        shifted = ops.pad(counts, ((0, 0), (1, 0)))[:, :-1]  # k - 1 -> k
        counts = counts * used[:, j : j + 1] + shifted * free[:, j : j + 1]
    sorted_allocation = ops.stack(columns, axis=-1)  # (B, K, N)
    inverse = ops.argsort(order, axis=-1)[:, None, :]  # (B, 1, N)
    allocation = ops.take_along_axis(
        sorted_allocation,
        ops.broadcast_to(inverse, ops.shape(sorted_allocation)),
        axis=-1,
    )  # A_k in slot order
    # Linear interpolation between the whole numbers of claims.
    tent = ops.relu(1.0 - ops.abs(before[:, :, None] - ks[None, None]))
    allocation = ops.einsum("bqk,bkn->bqn", tent, allocation)  # (B, K, N)
    return ops.reshape(allocation, (batch_size, steps, heads, size))


def segment_usage(usage, write_weights, free_gates, read_weights):
    """The DNC usage after every step of a segment, for all steps at once.

    Step t updates `u -> (u + w - u o w) o psi_t` for each write head's
    weighting w in turn, then the retention `psi_t = prod_i (1 - f_t^i
    w_t^{r,i})` frees what its read heads read with their free gates
    (`addressing.update_usage` and `addressing.memory_retention`, with the
    step's own reads in the place of the previous step's). Each step is the
    affine map `u -> u o psi_t prod_v (1 - w_t^v) + psi_t (1 - prod_v (1 -
    w_t^v))`, composed with `compose_affine`.

    Args:
        usage: `(batch_size, memory_size)`, at the start of the segment.
        write_weights: `(batch_size, time, num_write_heads, memory_size)`.
        free_gates: `(batch_size, time, num_read_heads)` in [0, 1].
        read_weights: `(batch_size, time, num_read_heads, memory_size)`.

    Returns:
        `(batch_size, memory_size)`, the usage after the segment.
    """
    unwritten = ops.prod(1.0 - write_weights, axis=2)  # (B, T, N)
    retention = ops.prod(1.0 - free_gates[..., None] * read_weights, axis=2)
    return compose_affine(
        usage, retention * unwritten, retention * (1.0 - unwritten)
    )
