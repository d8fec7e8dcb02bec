"""The Differentiable Neural Computer as a Keras RNN cell.

Legend: B = batch size, N = memory slots, W = word size, R = read heads,
U = controller units, K = links kept per slot (`sparse_links`), I = the
interface vector's size.
"""

import keras
from keras import ops

from ntm_keras import validation
from ntm_keras.memory import addressing, memory_start

MEMORY_INITS = ("constant", "random")
# Read modes, in the order of the paper's pi_t (Methods, "Read weighting").
READ_MODES = ("backward", "content", "forward")
# The constructor's own arguments, for error messages.
_OPTIONS = (
    "controller_units",
    "memory_size",
    "word_size",
    "num_read_heads",
    "controller_layers",
    "clip_value",
    "masked_content",
    "deallocation",
    "link_sharpening",
    "sparse_links",
    "memory_init",
    "read_feedback",
    "seed",
)
# Keyword arguments `keras.layers.Layer` accepts besides its named ones.
_LAYER_KWARGS = (
    "name",
    "dtype",
    "trainable",
    "autocast",
    "activity_regularizer",
    "input_dim",
    "input_shape",
    "batch_input_shape",
    "batch_size",
    "weights",
)


def _oneplus(x):
    """`oneplus(x) = 1 + log(1 + e^x)`, the paper's map onto [1, inf)."""
    return 1.0 + ops.softplus(x)


@keras.saving.register_keras_serializable(package="ntm_keras")
class DNCCell(keras.layers.Layer):
    """Differentiable Neural Computer cell: an LSTM with a managed memory.

    At each step an LSTM controller reads the input and the previous read
    vectors. One linear projection of its output, clipped to
    `+-clip_value`, is the interface vector, split into the controls of one
    write head and `num_read_heads` read heads (`DNCCell.controls`). The
    write head writes where content lookup or dynamic allocation (the
    least used slots, from a usage vector that reads can free) points;
    a temporal link matrix records the order of the writes, so each read
    head mixes three read modes: content lookup, and one step backward or
    forward along the links from where it read before. Every step uses the
    pure functions of `ntm_keras.memory.addressing`. The cell's output is
    the controller output concatenated with the new read vectors; a `Dense`
    layer on top gives the paper's `y_t = W_y h_t + W_r [r_t^1; ...]`. See
    [Graves et al. 2016](https://www.nature.com/articles/nature20101),
    Methods.

    Options, all off by default:
    - `masked_content`, `deallocation`, `link_sharpening`: the three fixes
      of [Csordás & Schmidhuber 2019](https://arxiv.org/abs/1904.10278):
      each head emits a mask over the word for content lookup (keys and
      memory rows compared as `k o m` and `M[i] o m`); slots freed by the
      free gates are erased (`M_{t-1} o psi_t`) before the write; the
      forward and backward weightings are sharpened by learned exponents
      (`addressing.sharpen_directional_weights`).
    - `sparse_links=K`: the sparse temporal links of
      [Rae et al. 2016](https://arxiv.org/abs/1610.09027). Each step updates
      the links with only the K largest entries of the write weighting and
      of the precedence, and the link matrix is *stored* sparsely, as K
      (value, column) pairs per slot (`addressing.update_sparse_link`):
      two states of N * K floats instead of one of N * N, and a step's link
      work of order N K^2 (the merge of the written rows) instead of N^2.
      Usage, allocation and content lookup remain dense (order N W).
    - `read_feedback=False` (on by default, as in the paper): the
      controller reads the input only, not the previous read vectors,
      which then reach the output layer alone. The controller is a plain
      LSTM on the inputs and the memory a path beside it; not the paper's
      DNC (notes/dnc.md, bAbI).

    The weights do not depend on `memory_size`, so a trained cell can be
    rebuilt with a larger memory: the initial read vectors are learned (of
    size R * W), everything else starts from constants (or, with
    `memory_init="random"`, the memory from a draw).

    States, in order (`DNCCell.state_names`), each `(batch_size, size)`:
    `memory` (N * W, flattened), `usage` (N), `link` (N * N; with
    `sparse_links=K`, `link_values` and `link_columns`, N * K each),
    `precedence` (N), `read_weights` (R * N), `write_weights` (N),
    `read_vectors` (R * W), then `controller_h_<i>` and `controller_c_<i>`
    (U each) per LSTM layer.

    Args:
        controller_units: int. LSTM units per controller layer. Defaults to
            `100`.
        memory_size: int. Number of slots N. Defaults to `128`.
        word_size: int. Width of each slot W. Defaults to `20`.
        num_read_heads: int. Number of read heads R. Defaults to `1`.
        controller_layers: int. Stacked LSTM layers. Defaults to `1`.
        clip_value: float. Bound on the raw interface vector, finite and
            positive. Defaults to `20`.
        masked_content: bool. Content lookup with a learned mask per head.
            Defaults to `False`.
        deallocation: bool. Erase freed slots before the write. Defaults
            to `False`.
        link_sharpening: bool. Learned exponents on the forward and
            backward weightings. Defaults to `False`.
        sparse_links: int. Links kept per slot K, `0` for the dense N x N
            matrix. Defaults to `0`.
        memory_init: str. `"constant"` (1e-6 everywhere) or `"random"`
            (uniform in +-1/sqrt(N + W), drawn for every sequence), as
            `NTMCell` takes it. Defaults to `"constant"`.
        read_feedback: bool. The controller reads the previous read
            vectors with the input. Defaults to `True`.
        seed: int. Seed of the weight initializers and of the random
            memory. Defaults to `None`.
        **kwargs: base `Layer` arguments.

    Call arguments:
        inputs: `(batch_size, features)`, one time step.
        states: list of `(batch_size, size)` tensors in `state_names` order.
        training: bool. Unused; accepted for `keras.layers.RNN`.

    Returns:
        `(output, new_states)`: output
        `(batch_size, controller_units + num_read_heads * word_size)`.

    Example:

    >>> cell = DNCCell(controller_units=32, memory_size=16, word_size=8)
    >>> layer = keras.layers.RNN(cell, return_sequences=True)
    >>> layer(keras.ops.ones((2, 5, 9))).shape
    (2, 5, 40)
    """

    def __init__(
        self,
        controller_units=100,
        memory_size=128,
        word_size=20,
        num_read_heads=1,
        controller_layers=1,
        clip_value=20.0,
        masked_content=False,
        deallocation=False,
        link_sharpening=False,
        sparse_links=0,
        memory_init="constant",
        read_feedback=True,
        seed=None,
        **kwargs,
    ):
        validation.check_positive_ints(
            controller_units=controller_units,
            memory_size=memory_size,
            word_size=word_size,
            num_read_heads=num_read_heads,
            controller_layers=controller_layers,
        )
        validation.check_float("clip_value", clip_value, minimum=1e-3)
        validation.check_bool("masked_content", masked_content)
        validation.check_bool("deallocation", deallocation)
        validation.check_bool("link_sharpening", link_sharpening)
        validation.check_int(
            "sparse_links", sparse_links, minimum=0, maximum=memory_size
        )
        validation.check_choice("memory_init", memory_init, MEMORY_INITS)
        validation.check_bool("read_feedback", read_feedback)
        if seed is not None:
            validation.check_int("seed", seed, minimum=0)
        unknown = sorted(set(kwargs) - set(_LAYER_KWARGS))
        if unknown:
            raise ValueError(
                f"Unknown option {unknown[0]!r} for DNCCell; valid options "
                f"are {list(_OPTIONS)} and the base Layer arguments."
                f"{validation.did_you_mean(unknown[0], _OPTIONS)}"
            )
        # Under a mixed global policy (`mixed_float16`, `mixed_bfloat16`)
        # the whole cell (memory, addressing, controller) stays float32:
        # sharpening powers, cumulative products and softmaxes over slots
        # lose too much in 16 bits. An explicit `dtype` is kept.
        if (
            "dtype" not in kwargs
            and keras.config.dtype_policy().name.startswith("mixed_")
        ):
            kwargs["dtype"] = "float32"
        super().__init__(**kwargs)
        self.controller_units = controller_units
        self.memory_size = memory_size
        self.word_size = word_size
        self.num_read_heads = num_read_heads
        self.controller_layers = controller_layers
        self.clip_value = float(clip_value)
        self.masked_content = masked_content
        self.deallocation = deallocation
        self.link_sharpening = link_sharpening
        self.sparse_links = sparse_links
        self.memory_init = memory_init
        self.read_feedback = read_feedback
        self.seed = seed
        if memory_init == "random":
            self.seed_generator = keras.random.SeedGenerator(seed)
        self.control_sizes = self._control_sizes()

    def _control_sizes(self):
        """Sizes of the named parts of the interface vector (xi_t)."""
        r, w = self.num_read_heads, self.word_size
        sizes = {
            "read_keys": r * w,  # k_t^{r,i}
            "read_strengths": r,  # beta_t^{r,i}
            "write_key": w,  # k_t^w
            "write_strength": 1,  # beta_t^w
            "erase": w,  # e_t
            "write_vector": w,  # v_t
            "free_gates": r,  # f_t^i
            "allocation_gate": 1,  # g_t^a
            "write_gate": 1,  # g_t^w
            "read_modes": r * len(READ_MODES),  # pi_t^i
        }
        if self.masked_content:
            sizes["read_masks"] = r * w
            sizes["write_mask"] = w
        if self.link_sharpening:
            sizes["forward_sharpness"] = r
            sizes["backward_sharpness"] = r
        return sizes

    # -- Sizes -------------------------------------------------------------

    @property
    def state_names(self):
        link = (
            ["link_values", "link_columns"] if self.sparse_links else ["link"]
        )
        names = [
            "memory",
            "usage",
            *link,
            "precedence",
            "read_weights",
            "write_weights",
            "read_vectors",
        ]
        for index in range(self.controller_layers):
            names += [f"controller_h_{index}", f"controller_c_{index}"]
        return tuple(names)

    @property
    def state_size(self):
        n, w, r = self.memory_size, self.word_size, self.num_read_heads
        k = self.sparse_links
        link = [n * k, n * k] if k else [n * n]
        sizes = [n * w, n, *link, n, r * n, n, r * w]
        sizes += [self.controller_units] * (2 * self.controller_layers)
        return sizes

    @property
    def output_size(self):
        return self.controller_units + self.num_read_heads * self.word_size

    # -- Weights -----------------------------------------------------------

    def _initializer(self, kind, offset):
        """A fresh initializer, seeded from `seed` when one is given."""
        seed = None if self.seed is None else self.seed + offset
        if kind == "orthogonal":
            return keras.initializers.Orthogonal(seed=seed)
        return keras.initializers.GlorotUniform(seed=seed)

    def build(self, input_shape):
        features = input_shape[-1]
        if features is None:
            raise ValueError(
                "Invalid input shape for DNCCell: received "
                f"{tuple(input_shape)}; the feature size must be known."
            )
        self.input_features = features
        fan_in = features
        if self.read_feedback:
            fan_in += self.num_read_heads * self.word_size
        self.controller_cells = []
        for index in range(self.controller_layers):
            cell = keras.layers.LSTMCell(
                self.controller_units,
                kernel_initializer=self._initializer("glorot", 2 * index),
                recurrent_initializer=self._initializer(
                    "orthogonal", 2 * index + 1
                ),
                dtype=self.dtype_policy,
                name=f"controller_{index}",
            )
            cell.build((input_shape[0], fan_in))
            self.controller_cells.append(cell)
            fan_in = self.controller_units
        self.interface_projection = keras.layers.Dense(
            sum(self.control_sizes.values()),
            kernel_initializer=self._initializer(
                "glorot", 2 * self.controller_layers
            ),
            dtype=self.dtype_policy,
            name="interface_projection",
        )
        self.interface_projection.build((input_shape[0], self.controller_units))
        self.initial_read_vectors = self.add_weight(
            shape=(self.num_read_heads * self.word_size,),
            initializer=keras.initializers.Zeros(),
            name="initial_read_vectors",
        )

    # -- Initial state -----------------------------------------------------

    def _initial_memory(self, batch_size):
        """`(B, N * W)`: the memory each sequence starts from."""
        n, w, dtype = self.memory_size, self.word_size, self.compute_dtype
        if self.memory_init == "random":
            return memory_start.random_memory(
                batch_size, n, w, self.seed_generator, dtype
            )
        return memory_start.constant_memory(batch_size, n, w, dtype)

    def get_initial_state(self, batch_size=None):
        """Memory as `memory_init` says, usage, links and weightings at 0.

        The paper's `u_0 = 0`, `p_0 = 0`, `L_0 = 0`, `w_0 = 0`; the read
        vectors start from a learned bias of size R * W.
        """
        n, r = self.memory_size, self.num_read_heads
        dtype = self.compute_dtype

        def zeros(size):
            return ops.zeros((batch_size, size), dtype=dtype)

        if self.sparse_links:
            values, columns = addressing.initial_sparse_link(
                batch_size, n, self.sparse_links, dtype
            )
            link = [
                ops.reshape(values, (batch_size, -1)),
                ops.reshape(columns, (batch_size, -1)),
            ]
        else:
            link = [zeros(n * n)]
        states = [
            self._initial_memory(batch_size),
            zeros(n),
            *link,
            zeros(n),
            zeros(r * n),
            zeros(n),
            ops.tile(self.initial_read_vectors[None, :], (batch_size, 1)),
        ]
        states += [zeros(self.controller_units)] * (2 * self.controller_layers)
        return states

    # -- One step ----------------------------------------------------------

    def controls(self, controller_output):
        """Splits the interface vector into named, activated controls.

        Args:
            controller_output: `(batch_size, controller_units)`.

        Returns:
            dict of `read_keys` (B, R, W), `read_strengths` (B, R),
            `write_key` (B, 1, W), `write_strength` (B, 1), `erase` (B, W),
            `write_vector` (B, W), `free_gates` (B, R), `allocation_gate`
            (B, 1), `write_gate` (B, 1), `read_modes` (B, R, 3) in the order
            of `READ_MODES`; with `masked_content`, `read_masks` (B, R, W)
            and `write_mask` (B, 1, W); with `link_sharpening`,
            `forward_sharpness` and `backward_sharpness` (B, R), >= 1.
        """
        raw = ops.clip(
            self.interface_projection(controller_output),
            -self.clip_value,
            self.clip_value,
        )
        parts, start = {}, 0
        for name, size in self.control_sizes.items():
            parts[name] = raw[:, start : start + size]
            start += size
        r, w = self.num_read_heads, self.word_size
        controls = {
            "read_keys": ops.reshape(parts["read_keys"], (-1, r, w)),
            "read_strengths": _oneplus(parts["read_strengths"]),
            "write_key": ops.reshape(parts["write_key"], (-1, 1, w)),
            "write_strength": _oneplus(parts["write_strength"]),
            "erase": ops.sigmoid(parts["erase"]),  # e_t
            "write_vector": parts["write_vector"],  # v_t
            "free_gates": ops.sigmoid(parts["free_gates"]),  # f_t^i
            "allocation_gate": ops.sigmoid(parts["allocation_gate"]),
            "write_gate": ops.sigmoid(parts["write_gate"]),  # g_t^w
            "read_modes": ops.softmax(
                ops.reshape(parts["read_modes"], (-1, r, len(READ_MODES))),
                axis=-1,
            ),  # pi_t^i
        }
        if self.masked_content:
            controls["read_masks"] = ops.sigmoid(
                ops.reshape(parts["read_masks"], (-1, r, w))
            )
            controls["write_mask"] = ops.sigmoid(
                ops.reshape(parts["write_mask"], (-1, 1, w))
            )
        if self.link_sharpening:
            for name in ("forward_sharpness", "backward_sharpness"):
                controls[name] = _oneplus(parts[name])
        return controls

    def _content_weights(self, memory, keys, strengths, masks):
        """Content lookup, masked per head with `masked_content`.

        Without masks, `addressing.content_weights` for all heads at once;
        with masks `(B, H, W)`, each head compares `k o m` with `M[i] o m`
        (Csordás & Schmidhuber 2019, section 3.1).
        """
        if masks is None:
            return addressing.content_weights(memory, keys, strengths)
        heads = [
            addressing.content_weights(
                memory * masks[:, head, None, :],
                keys[:, head : head + 1] * masks[:, head : head + 1],
                strengths[:, head : head + 1],
            )
            for head in range(keys.shape[1])
        ]
        return ops.concatenate(heads, axis=1)

    def step(self, inputs, states, with_trace=True):
        """One DNC step that also returns a trace of the addressing.

        The order of the paper's Methods: usage from the previous step's
        weightings, allocation, write weighting, write, precedence and
        links, then read weightings from the new memory and links, reads.

        Returns:
            `(output, new_states, trace)`; `trace` is a dict with the
            controls and `usage` (B, N), `allocation` (B, N),
            `write_weights` (B, 1, N), `read_weights` (B, R, N), `link`
            (B, N, N; dense, also for sparse links) and `memory` (B, N, W)
            after the step. With `with_trace=False` (what `call` uses),
            `trace` is None and the dense link of a sparse cell is not
            built.
        """
        if inputs.shape[-1] != self.input_features:
            raise ValueError(
                f"Invalid `inputs` for DNCCell {self.name!r}: received "
                f"{inputs.shape[-1]} features per step, but the cell was "
                f"built for {self.input_features}. Rebuild the model for the "
                "new input size."
            )
        n, w, r = self.memory_size, self.word_size, self.num_read_heads
        k = self.sparse_links
        memory = ops.reshape(states[0], (-1, n, w))  # M_{t-1}, (B, N, W)
        usage = states[1]  # u_{t-1}, (B, N)
        if k:
            link_values = ops.reshape(states[2], (-1, n, k))  # (B, N, K)
            link_columns = ops.reshape(states[3], (-1, n, k))
            rest = states[4:]
        else:
            link = ops.reshape(states[2], (-1, n, n))  # L_{t-1}, (B, N, N)
            rest = states[3:]
        precedence = rest[0]  # p_{t-1}, (B, N)
        prev_read_weights = ops.reshape(rest[1], (-1, r, n))  # (B, R, N)
        prev_write_weights = rest[2]  # w_{t-1}^w, (B, N)
        prev_reads = rest[3]  # (B, R * W)
        controller_states = rest[4:]

        hidden = inputs
        if self.read_feedback:
            hidden = ops.concatenate([inputs, prev_reads], axis=-1)
        new_controller_states = []
        for index, cell in enumerate(self.controller_cells):
            pair = controller_states[2 * index : 2 * index + 2]
            hidden, pair = cell(hidden, pair)
            new_controller_states += list(pair)
        controls = self.controls(hidden)
        masks = self.masked_content

        # Usage (eqs 2-3), then allocation (eq 4).
        usage = addressing.update_usage(
            usage, prev_write_weights, controls["free_gates"], prev_read_weights
        )
        allocation = addressing.allocation_weights(usage)  # a_t, (B, N)
        # Write weighting (eq 5).
        write_content = self._content_weights(
            memory,
            controls["write_key"],
            controls["write_strength"],
            controls["write_mask"] if masks else None,
        )[:, 0]  # c_t^w, (B, N)
        allocation_gate = controls["allocation_gate"]  # (B, 1)
        write_weights = controls["write_gate"] * (
            allocation_gate * allocation
            + (1.0 - allocation_gate) * write_content
        )  # w_t^w, (B, N)
        # De-allocation: freed slots are erased before the write.
        if self.deallocation:
            retention = addressing.memory_retention(
                controls["free_gates"], prev_read_weights
            )  # psi_t, (B, N)
            memory = memory * retention[:, :, None]
        # Write (eq 6).
        memory = addressing.erase_and_add(
            memory,
            write_weights[:, None, :],
            controls["erase"][:, None, :],
            controls["write_vector"][:, None, :],
        )  # M_t
        # Links from the previous precedence (eq 8), then precedence (eq 7),
        # and the directional weightings (eq 9).
        if k:
            link_values, link_columns = addressing.update_sparse_link(
                link_values, link_columns, precedence, write_weights
            )
            forward, backward = addressing.sparse_directional_weights(
                link_values, link_columns, prev_read_weights
            )
        else:
            link, forward, backward = addressing.link_step(
                link, precedence, write_weights, prev_read_weights
            )
        precedence = addressing.update_precedence(precedence, write_weights)
        if self.link_sharpening:
            forward = addressing.sharpen_directional_weights(
                forward, controls["forward_sharpness"]
            )
            backward = addressing.sharpen_directional_weights(
                backward, controls["backward_sharpness"]
            )
        # Read weightings (eq 10) and read vectors (eq 11).
        read_content = self._content_weights(
            memory,
            controls["read_keys"],
            controls["read_strengths"],
            controls["read_masks"] if masks else None,
        )  # (B, R, N)
        modes = controls["read_modes"]  # (B, R, 3)
        read_weights = (
            modes[:, :, 0:1] * backward
            + modes[:, :, 1:2] * read_content
            + modes[:, :, 2:3] * forward
        )  # w_t^{r,i}, (B, R, N)
        reads = ops.reshape(addressing.read(memory, read_weights), (-1, r * w))
        output = ops.concatenate([hidden, reads], axis=-1)
        if k:
            link_states = [
                ops.reshape(link_values, (-1, n * k)),
                ops.reshape(link_columns, (-1, n * k)),
            ]
        else:
            link_states = [ops.reshape(link, (-1, n * n))]
        new_states = [
            ops.reshape(memory, (-1, n * w)),
            usage,
            *link_states,
            precedence,
            ops.reshape(read_weights, (-1, r * n)),
            write_weights,
            reads,
            *new_controller_states,
        ]
        if not with_trace:
            return output, new_states, None
        trace = dict(
            controls,
            usage=usage,
            allocation=allocation,
            write_weights=write_weights[:, None, :],
            read_weights=read_weights,
            link=(
                addressing.dense_link(link_values, link_columns) if k else link
            ),
            memory=memory,
        )
        return output, new_states, trace

    def call(self, inputs, states, training=False):
        output, new_states, _ = self.step(inputs, states, with_trace=False)
        return output, new_states

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "controller_units": self.controller_units,
                "memory_size": self.memory_size,
                "word_size": self.word_size,
                "num_read_heads": self.num_read_heads,
                "controller_layers": self.controller_layers,
                "clip_value": self.clip_value,
                "masked_content": self.masked_content,
                "deallocation": self.deallocation,
                "link_sharpening": self.link_sharpening,
                "sparse_links": self.sparse_links,
                "memory_init": self.memory_init,
                "read_feedback": self.read_feedback,
                "seed": self.seed,
            }
        )
        return config
