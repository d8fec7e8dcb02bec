"""The Neural Turing Machine as a Keras RNN cell.

Legend: B = batch size, N = memory slots, W = word size, R = read heads,
V = write heads, H = R + V heads, S = shift offsets, U = controller units.
"""

import math

import keras
from keras import ops

from ntm_keras import validation
from ntm_keras.memory import addressing, memory_start

CONTROLLERS = ("lstm", "feedforward")
MEMORY_INITS = ("constant", "learned", "random")
INITIALIZATIONS = ("ntm", "keras")


def _split_sizes(num_heads, num_write_heads, word_size, shift_range):
    """Sizes of the named controls inside the head projection."""
    return {
        "keys": num_heads * word_size,  # k_t
        "strengths": num_heads,  # beta_t
        "gates": num_heads,  # g_t
        "shifts": num_heads * shift_range,  # s_t
        "sharpening": num_heads,  # gamma_t
        "erase": num_write_heads * word_size,  # e_t
        "add": num_write_heads * word_size,  # a_t
    }


@keras.saving.register_keras_serializable(package="ntm_keras")
class NTMCell(keras.layers.Layer):
    """Neural Turing Machine cell: a controller with a read/write memory.

    At each step the controller (an LSTM or a feed-forward network) reads the
    input and the previous read vectors. One linear projection of its output,
    clipped to `+-clip_value`, gives every head's controls: key, strength,
    interpolation gate, shift weights and sharpening exponent, plus the
    erase and add vectors of the write heads. Every head then addresses the
    memory by content, interpolation, circular shift and sharpening
    (`ntm_keras.memory.addressing`); the read heads read, and the write heads
    erase and add. The cell's output is the controller output concatenated
    with the new read vectors; put a `Dense` layer on top for the task's
    outputs. See [Graves et al. 2014](https://arxiv.org/abs/1410.5401) and,
    for the numerics, [Collier & Beel 2018](https://arxiv.org/abs/1807.08518).

    Read and write heads address the memory as it was before this step's
    write, so all heads are addressed in one batched computation.

    The weights do not depend on `memory_size` (unless
    `memory_init="learned"`), so a trained cell can be rebuilt with a larger
    memory for longer sequences. The initial weightings focus on slot 0
    with a learned sharpness, and the initial read vectors are learned.

    States, in order (`NTMCell.state_names`), each `(batch_size, size)`:
    `memory` (N * W, flattened), `read_vectors` (R * W), `read_weights`
    (R * N), `write_weights` (V * N), then `controller_h_<i>` and
    `controller_c_<i>` (U each) per LSTM controller layer.

    Args:
        controller_units: int. Controller units per layer. Defaults to
            `100`.
        memory_size: int. Number of slots N. Defaults to `128`.
        word_size: int. Width of each slot W. Defaults to `20`.
        num_read_heads: int. Defaults to `1`.
        num_write_heads: int. Defaults to `1`.
        shift_range: int. Odd number of shift offsets S, centred on 0.
            Defaults to `3` (offsets -1, 0, +1).
        controller: str. `"lstm"` or `"feedforward"`. Defaults to `"lstm"`.
        controller_layers: int. Defaults to `1`.
        memory_init: str. `"constant"` (1e-6), `"learned"` (a trained bias,
            ties the weights to N) or `"random"` (uniform, drawn per
            sequence). Defaults to `"constant"`.
        initialization: str. `"ntm"`: controller weights uniform in
            +-5 / sqrt(fan_in + fan_out) with zero biases, head projection
            Glorot-uniform with gain 1.4 and small normal biases (the scheme
            of the widely used PyTorch NTM, which makes the NTM learn much
            sooner); `"keras"`: Keras's default initializers. Defaults to
            `"ntm"`.
        clip_value: float. Bound on the raw head controls. Defaults to `20`.
        min_sharpening: float. Least sharpening exponent, `gamma_t =
            min_sharpening + softplus(.)`. `1` is the paper's `gamma_t >= 1`;
            with `2` a copy model's read head slips far less often while it
            waits on sequences longer than it was trained on
            (`notes/2026-12-03-copy-read-slip.md`). Defaults to `1`.
        write_min_sharpening: float or None. The write heads' own least
            sharpening exponent; `None` gives them `min_sharpening` like
            the read heads. A copy model needs the floor on its read head
            only: with the write head's at 1 it converged in a median of
            22,400 sequences instead of 35,200
            (`notes/2026-12-03-copy-write-head-floor.md`). Defaults to
            `None`.
        min_strength: float. Least key strength, `beta_t = min_strength +
            softplus(.)`. `0` is the paper's `beta_t >= 0`; the DNC's
            `oneplus` is `1`, which did not make associative recall
            converge sooner (`notes/2026-12-02-associative-recall-shortcut.md`).
            Defaults to `0`.
        write_forward_bias: float. Added, at initialisation, to each write
            head's bias for the +1 shift and taken from its bias for the
            interpolation gate, so that a fresh write head follows its own
            location one slot forward (at `2` its weighting peaks at
            0.66-0.92 on fresh associative recall models) instead of
            blending in a content weighting that is flat over an empty
            memory (without the bias the peak is 0.14-0.34).
            Training may undo it. At `2` associative recall converged
            sooner on 5 of 5 seeds, copy more slowly
            (`notes/2026-12-03-write-head-forward-start.md`). `0` leaves
            the biases as initialised. Defaults to `0`.
        seed: int. Seed of `memory_init="random"`. Defaults to `None`.
        **kwargs: base `Layer` arguments.

    Call arguments:
        inputs: `(batch_size, features)`, one time step.
        states: list of `(batch_size, size)` tensors in `state_names` order.
        training: bool. Unused; accepted for `keras.layers.RNN`.

    Returns:
        `(output, new_states)`: output
        `(batch_size, controller_units + R * W)`.

    Example:

    >>> cell = NTMCell(controller_units=32, memory_size=16, word_size=8)
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
        num_write_heads=1,
        shift_range=3,
        controller="lstm",
        controller_layers=1,
        memory_init="constant",
        initialization="ntm",
        clip_value=20.0,
        min_sharpening=1.0,
        min_strength=0.0,
        write_forward_bias=0.0,
        write_min_sharpening=None,
        seed=None,
        **kwargs,
    ):
        validation.check_positive_ints(
            controller_units=controller_units,
            memory_size=memory_size,
            word_size=word_size,
            num_read_heads=num_read_heads,
            num_write_heads=num_write_heads,
            shift_range=shift_range,
            controller_layers=controller_layers,
        )
        if shift_range % 2 == 0 or shift_range > memory_size:
            raise ValueError(
                f"Invalid `shift_range`: received {shift_range}; expected an "
                f"odd number no larger than `memory_size` ({memory_size}), "
                "e.g. 3 for offsets -1, 0, +1."
            )
        validation.check_choice("controller", controller, CONTROLLERS)
        validation.check_choice("memory_init", memory_init, MEMORY_INITS)
        validation.check_choice(
            "initialization", initialization, INITIALIZATIONS
        )
        validation.check_float("clip_value", clip_value, minimum=1e-3)
        validation.check_float("min_sharpening", min_sharpening, minimum=1.0)
        validation.check_float("min_strength", min_strength, minimum=0.0)
        if write_min_sharpening is not None:
            write_min_sharpening = validation.check_float(
                "write_min_sharpening", write_min_sharpening, minimum=1.0
            )
        validation.check_float("write_forward_bias", write_forward_bias)
        if seed is not None:
            validation.check_int("seed", seed, minimum=0)
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
        self.num_write_heads = num_write_heads
        self.shift_range = shift_range
        self.controller = controller
        self.controller_layers = controller_layers
        self.memory_init = memory_init
        self.initialization = initialization
        self.clip_value = float(clip_value)
        self.min_sharpening = float(min_sharpening)
        self.write_min_sharpening = write_min_sharpening
        self.min_strength = float(min_strength)
        self.write_forward_bias = float(write_forward_bias)
        self.seed = seed
        self.num_heads = num_read_heads + num_write_heads
        self.control_sizes = _split_sizes(
            self.num_heads, num_write_heads, word_size, shift_range
        )
        if memory_init == "random":
            self.seed_generator = keras.random.SeedGenerator(seed)

    # -- Sizes -------------------------------------------------------------

    @property
    def state_names(self):
        names = ["memory", "read_vectors", "read_weights", "write_weights"]
        if self.controller == "lstm":
            for index in range(self.controller_layers):
                names += [f"controller_h_{index}", f"controller_c_{index}"]
        return tuple(names)

    @property
    def state_size(self):
        n, w = self.memory_size, self.word_size
        sizes = [
            n * w,
            self.num_read_heads * w,
            self.num_read_heads * n,
            self.num_write_heads * n,
        ]
        if self.controller == "lstm":
            sizes += [
                self.controller_units,
                self.controller_units,
            ] * self.controller_layers
        return sizes

    @property
    def output_size(self):
        return self.controller_units + self.num_read_heads * self.word_size

    # -- Weights -----------------------------------------------------------

    def _controller_initializers(self, fan_in):
        if self.initialization == "keras":
            return {}
        limit = 5.0 / math.sqrt(fan_in + self.controller_units)
        uniform = {"minval": -limit, "maxval": limit}
        return {
            "kernel_initializer": keras.initializers.RandomUniform(**uniform),
            "bias_initializer": keras.initializers.Zeros(),
            "recurrent_initializer": keras.initializers.RandomUniform(
                **uniform
            ),
        }

    def build(self, input_shape):
        features = input_shape[-1]
        if features is None:
            raise ValueError(
                "Invalid input shape for NTMCell: received "
                f"{tuple(input_shape)}; the feature size must be known."
            )
        self.input_features = features
        fan_in = features + self.num_read_heads * self.word_size
        self.controller_cells = []
        for index in range(self.controller_layers):
            initializers = self._controller_initializers(fan_in)
            if self.controller == "lstm":
                cell = keras.layers.LSTMCell(
                    self.controller_units,
                    unit_forget_bias=self.initialization == "keras",
                    dtype=self.dtype_policy,
                    name=f"controller_{index}",
                    **initializers,
                )
            else:
                initializers.pop("recurrent_initializer", None)
                cell = keras.layers.Dense(
                    self.controller_units,
                    activation="tanh",
                    dtype=self.dtype_policy,
                    name=f"controller_{index}",
                    **initializers,
                )
            cell.build((input_shape[0], fan_in))
            self.controller_cells.append(cell)
            fan_in = self.controller_units
        if self.initialization == "ntm":
            head_initializers = {
                "kernel_initializer": keras.initializers.VarianceScaling(
                    scale=1.4**2, mode="fan_avg", distribution="uniform"
                ),
                "bias_initializer": keras.initializers.RandomNormal(
                    stddev=0.01
                ),
            }
        else:
            head_initializers = {}
        self.head_projection = keras.layers.Dense(
            sum(self.control_sizes.values()),
            dtype=self.dtype_policy,
            name="head_projection",
            **head_initializers,
        )
        self.head_projection.build((input_shape[0], self.controller_units))
        if self.write_forward_bias:
            self.head_projection.bias.assign(
                self.head_projection.bias + self._forward_offsets()
            )
        self.initial_read_vectors = self.add_weight(
            shape=(self.num_read_heads * self.word_size,),
            initializer=keras.initializers.RandomNormal(stddev=0.01),
            name="initial_read_vectors",
        )
        self.initial_focus = self.add_weight(
            shape=(self.num_heads,),
            initializer=keras.initializers.Constant(5.0),
            name="initial_focus",
        )
        if self.memory_init == "learned":
            limit = 1.0 / math.sqrt(self.memory_size + self.word_size)
            self.initial_memory = self.add_weight(
                shape=(self.memory_size * self.word_size,),
                initializer=keras.initializers.RandomUniform(-limit, limit),
                name="initial_memory",
            )

    def _forward_offsets(self):
        """The `write_forward_bias` offsets of the head projection's bias."""
        offsets = [0.0] * sum(self.control_sizes.values())
        start, starts = 0, {}
        for name, size in self.control_sizes.items():
            starts[name] = start
            start += size
        s = self.shift_range
        for head in range(self.num_read_heads, self.num_heads):
            offsets[starts["gates"] + head] -= self.write_forward_bias
            # Offset +1 is shift index (S - 1) / 2 + 1 (`circular_shift`).
            offsets[starts["shifts"] + head * s + s // 2 + 1] += (
                self.write_forward_bias
            )
        return ops.convert_to_tensor(offsets, self.head_projection.bias.dtype)

    def _sharpening_floor(self):
        """`min_sharpening`, or one floor per head when the write heads
        have their own."""
        write = self.write_min_sharpening
        if write is None or write == self.min_sharpening:
            return self.min_sharpening
        floors = [self.min_sharpening] * self.num_read_heads
        floors += [write] * self.num_write_heads
        return ops.convert_to_tensor(floors, self.compute_dtype)

    # -- Initial state -----------------------------------------------------

    def get_initial_state(self, batch_size=None):
        n, w = self.memory_size, self.word_size
        if self.memory_init == "constant":
            memory = memory_start.constant_memory(
                batch_size, n, w, self.compute_dtype
            )
        elif self.memory_init == "learned":
            memory = ops.tile(
                self._read_variable(self.initial_memory)[None, :],
                (batch_size, 1),
            )
        else:
            memory = memory_start.random_memory(
                batch_size, n, w, self.seed_generator, self.compute_dtype
            )
        reads = ops.tile(
            self._read_variable(self.initial_read_vectors)[None, :],
            (batch_size, 1),
        )
        # Each head starts focused on slot 0, as sharply as it learned to:
        # softmax(focus * one_hot(0)) over the N slots.
        first_slot = ops.one_hot(ops.zeros((1,), "int32"), n)  # (1, N)
        focus = ops.softmax(
            self._read_variable(self.initial_focus)[:, None] * first_slot
        )  # (H, N)
        read_w = ops.reshape(focus[: self.num_read_heads], (1, -1))
        write_w = ops.reshape(focus[self.num_read_heads :], (1, -1))
        states = [
            memory,
            reads,
            ops.tile(read_w, (batch_size, 1)),
            ops.tile(write_w, (batch_size, 1)),
        ]
        if self.controller == "lstm":
            zeros = ops.zeros(
                (batch_size, self.controller_units), self.compute_dtype
            )
            states += [zeros, zeros] * self.controller_layers
        return states

    def _read_variable(self, variable):
        """A weight in the cell's compute dtype.

        `keras.layers.RNN` calls `get_initial_state` directly, inside its
        own autocast scope: under a mixed policy the cell's float32 weights
        would come back as float16 there.
        """
        return ops.cast(variable, self.compute_dtype)

    # -- One step ----------------------------------------------------------

    def controls(self, controller_output):
        """Splits the head projection into named, activated controls.

        Args:
            controller_output: `(batch_size, controller_units)`.

        Returns:
            dict of `keys` (B, H, W), `strengths` (B, H), `gates` (B, H),
            `shifts` (B, H, S), `sharpening` (B, H), `erase` (B, V, W) and
            `add` (B, V, W).
        """
        raw = ops.clip(
            self.head_projection(controller_output),
            -self.clip_value,
            self.clip_value,
        )
        parts, start = {}, 0
        for name, size in self.control_sizes.items():
            parts[name] = raw[:, start : start + size]
            start += size
        h, v = self.num_heads, self.num_write_heads
        w, s = self.word_size, self.shift_range
        return {
            # Keys and add vectors are bounded by tanh, as in Collier & Beel's
            # implementation: unbounded add vectors let the memory grow.
            "keys": ops.tanh(ops.reshape(parts["keys"], (-1, h, w))),  # k_t
            "strengths": self.min_strength
            + ops.softplus(parts["strengths"]),  # beta_t >= min_strength
            "gates": ops.sigmoid(parts["gates"]),  # g_t in [0, 1]
            "shifts": ops.softmax(
                ops.reshape(parts["shifts"], (-1, h, s)), axis=-1
            ),  # s_t
            "sharpening": self._sharpening_floor()
            + ops.softplus(parts["sharpening"]),  # gamma_t >= min_sharpening
            "erase": ops.sigmoid(ops.reshape(parts["erase"], (-1, v, w))),
            "add": ops.tanh(ops.reshape(parts["add"], (-1, v, w))),  # a_t
        }

    def step(self, inputs, states):
        """One NTM step that also returns a trace of the addressing.

        Returns:
            `(output, new_states, trace)`; `trace` is a dict with the
            controls and the `read_weights` (B, R, N), `write_weights`
            (B, V, N) and `memory` (B, N, W) after the step.
        """
        if inputs.shape[-1] != self.input_features:
            raise ValueError(
                f"Invalid `inputs` for NTMCell {self.name!r}: received "
                f"{inputs.shape[-1]} features per step, but the cell was "
                f"built for {self.input_features}. Rebuild the model for the "
                "new input size."
            )
        n, w = self.memory_size, self.word_size
        r = self.num_read_heads
        memory = ops.reshape(states[0], (-1, n, w))  # (B, N, W)
        prev_reads = states[1]  # (B, R * W)
        prev_weights = ops.concatenate(
            [
                ops.reshape(states[2], (-1, r, n)),
                ops.reshape(states[3], (-1, self.num_write_heads, n)),
            ],
            axis=1,
        )  # (B, H, N)
        hidden = ops.concatenate([inputs, prev_reads], axis=-1)
        new_controller_states = []
        for index, cell in enumerate(self.controller_cells):
            if self.controller == "lstm":
                pair = states[4 + 2 * index : 6 + 2 * index]
                hidden, pair = cell(hidden, pair)
                new_controller_states += list(pair)
            else:
                hidden = cell(hidden)
        controls = self.controls(hidden)
        weights = addressing.content_weights(
            memory, controls["keys"], controls["strengths"]
        )
        weights = addressing.interpolate(
            weights, prev_weights, controls["gates"]
        )
        weights = addressing.circular_shift(weights, controls["shifts"])
        weights = addressing.sharpen(weights, controls["sharpening"])
        read_weights, write_weights = weights[:, :r], weights[:, r:]
        reads = ops.reshape(addressing.read(memory, read_weights), (-1, r * w))
        memory = addressing.erase_and_add(
            memory, write_weights, controls["erase"], controls["add"]
        )
        output = ops.concatenate([hidden, reads], axis=-1)
        new_states = [
            ops.reshape(memory, (-1, n * w)),
            reads,
            ops.reshape(read_weights, (-1, r * n)),
            ops.reshape(write_weights, (-1, self.num_write_heads * n)),
            *new_controller_states,
        ]
        trace = dict(
            controls,
            read_weights=read_weights,
            write_weights=write_weights,
            memory=memory,
        )
        return output, new_states, trace

    def call(self, inputs, states, training=False):
        output, new_states, _ = self.step(inputs, states)
        return output, new_states

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "controller_units": self.controller_units,
                "memory_size": self.memory_size,
                "word_size": self.word_size,
                "num_read_heads": self.num_read_heads,
                "num_write_heads": self.num_write_heads,
                "shift_range": self.shift_range,
                "controller": self.controller,
                "controller_layers": self.controller_layers,
                "memory_init": self.memory_init,
                "initialization": self.initialization,
                "clip_value": self.clip_value,
                "min_sharpening": self.min_sharpening,
                "write_min_sharpening": self.write_min_sharpening,
                "min_strength": self.min_strength,
                "write_forward_bias": self.write_forward_bias,
                "seed": self.seed,
            }
        )
        return config

    @classmethod
    def from_config(cls, config):
        # `.keras` files saved before the rename say `units`.
        return super().from_config(
            validation.rename_config_key(config, "units", "controller_units")
        )
