"""Where an NTM training step spends its time, as JSON.

    python benchmarks/ntm_profile.py --batch-size 32 --time 40 \
        --variants full,no_write,no_read,no_content,no_shift,no_sharpen,lstm

Times `model.train_on_batch` (forward, backward and the optimizer, with
XLA) on one fixed batch of `--time` steps of copy-shaped bits, for the
`ntm` (LSTM controller of 100 units, 128 x 20 memory) with some of its
addressing functions replaced by cheap stand-ins of the same shapes. The
difference between `full` and a variant is what the replaced piece costs
(its forward and backward):

- `full`: the cell as it is.
- `no_content`: `content_weights` returns a softmax of the strengths over
  the slots (no similarity with the memory).
- `no_interpolate`, `no_shift`, `no_sharpen`: the step returns its input
  weighting.
- `no_read`: `read` returns the first rows of the memory.
- `no_write`: `erase_and_add` returns the memory unchanged.
- `no_memory`: all of the above: the controller, the head projection and
  the state copying of `keras.layers.RNN` remain.
- `shift_stacked`: `circular_shift` from one padded weighting (one
  stacked tensor of the S rolled weightings instead of S rolls).
- `controls_fused`: `NTMCell.controls` activating the whole head
  projection in one elementwise pass (nested `where` over the columns).
- `scan`: the same cell and output layer, looped by `keras.ops.scan`.
- `sharpen_custom`: `sharpen` with a hand-written gradient
  (`keras.ops.custom_gradient`).
- `remat`: the five addressing functions each wrapped in `keras.remat`.
- `remat_memory`: the whole memory step (addressing, read, write; LSTM
  controllers only) as one function wrapped in `keras.remat`.
- `unroll`: the `ntm` with `keras.layers.RNN(unroll=True)` (fixed time).
- `lstm`: a one-layer LSTM of `controller_units` units, with XLA as in
  `benchmarks/throughput.py ... --jit-compile on`; `lstm_nojit` without.

A variant may carry model options: `no_memory@memory_size=8+word_size=4`.

The models are built and warmed up first (`--warmup` steps, which include
compilation), then timed in turn, `--repeats` steps each, `--rounds` times
over (A B C A B C ...), so that every variant sees the same load on a
shared machine. The median step time over all timed steps is reported,
with each variant's ratio to the first.
"""

import argparse
import contextlib
import json
import os
import statistics

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import profiling  # noqa: E402
from keras import ops  # noqa: E402

import tasks  # noqa: E402
import zoo  # noqa: E402
from ntm_keras import memory  # noqa: E402
from ntm_keras.memory import addressing  # noqa: E402


def _content_free(memory, keys, strengths):
    slots = ops.ones((1, 1, memory.shape[1]), memory.dtype)
    return ops.softmax(strengths[:, :, None] * slots, axis=-1)


def _interpolate_free(content_weighting, previous_weighting, gates):
    return content_weighting


def _identity_first(weights, *_):
    return weights


def _read_free(memory, weights):
    return memory[:, : weights.shape[1], :]


def _write_free(memory, weights, erase, add):
    return memory


def _shift_stacked(weights, shift_weights):
    """`circular_shift` from one padded weighting: fewer saved tensors."""
    size, shift_range = weights.shape[-1], shift_weights.shape[-1]
    radius = (shift_range - 1) // 2
    padded = ops.concatenate(
        [weights[..., size - radius :], weights, weights[..., :radius]], -1
    )
    last = shift_range - 1
    windows = ops.stack(
        [padded[..., last - i : last - i + size] for i in range(shift_range)],
        axis=-1,
    )  # (B, H, N, S): window i holds the weighting rolled by i - radius
    return ops.sum(windows * shift_weights[:, :, None, :], axis=-1)


def _controls_fused(cell, controller_output):
    """`NTMCell.controls` with one elementwise pass over the projection."""
    raw = ops.clip(
        cell.head_projection(controller_output),
        -cell.clip_value,
        cell.clip_value,
    )
    codes = []
    kinds = {
        "keys": 0,
        "strengths": 2,
        "gates": 1,
        "shifts": 3,
        "sharpening": 4,
        "erase": 1,
        "add": 0,
    }
    for name, size in cell.control_sizes.items():
        codes += [kinds[name]] * size
    codes = np.array(codes)[None, :]
    activated = ops.where(
        codes == 0,
        ops.tanh(raw),
        ops.where(
            codes == 1,
            ops.sigmoid(raw),
            ops.where(codes == 3, raw, ops.softplus(raw) + (codes == 4)),
        ),
    )
    parts, start = {}, 0
    for name, size in cell.control_sizes.items():
        parts[name] = activated[:, start : start + size]
        start += size
    h, v = cell.num_heads, cell.num_write_heads
    w, s = cell.word_size, cell.shift_range
    return {
        "keys": ops.reshape(parts["keys"], (-1, h, w)),
        "strengths": parts["strengths"],
        "gates": parts["gates"],
        "shifts": ops.softmax(ops.reshape(parts["shifts"], (-1, h, s)), -1),
        "sharpening": parts["sharpening"],
        "erase": ops.reshape(parts["erase"], (-1, v, w)),
        "add": ops.reshape(parts["add"], (-1, v, w)),
    }


@ops.custom_gradient
def _sharpen_custom(weights, sharpening):
    """`sharpen` with a hand-written backward that saves only its inputs
    and output (the logarithm is recomputed)."""
    logits = sharpening[:, :, None] * ops.log(weights + addressing.EPSILON)
    sharpened = ops.softmax(logits, axis=-1)

    def grad(*args, upstream=None):
        if upstream is None:
            (upstream,) = args
        total = ops.sum(upstream * sharpened, axis=-1, keepdims=True)
        d_logits = sharpened * (upstream - total)
        shifted = weights + addressing.EPSILON
        d_sharpening = ops.sum(d_logits * ops.log(shifted), axis=-1)
        d_weights = d_logits * sharpening[:, :, None] / shifted
        return d_weights, d_sharpening

    return sharpened, grad


FORMULATIONS = {
    "remat": {
        name: keras.remat(getattr(addressing, name))
        for name in (
            "content_weights",
            "interpolate",
            "circular_shift",
            "sharpen",
            "erase_and_add",
        )
    },
    "sharpen_custom": {"sharpen": _sharpen_custom},
    "shift_stacked": {"circular_shift": _shift_stacked},
}

STAND_INS = {
    "no_content": {"content_weights": _content_free},
    "no_interpolate": {"interpolate": _interpolate_free},
    "no_shift": {"circular_shift": _identity_first},
    "no_sharpen": {"sharpen": _identity_first},
    "no_read": {"read": _read_free},
    "no_write": {"erase_and_add": _write_free},
}
STAND_INS["no_memory"] = {
    name: function
    for variant in STAND_INS.values()
    for name, function in variant.items()
}
STAND_INS.update(FORMULATIONS)


STAND_INS["controls_fused"] = {"controls": _controls_fused}


def _memory_step(
    memory,
    prev_weights,
    keys,
    strengths,
    gates,
    shifts,
    sharpening,
    erase,
    add,
    r,
):
    weights = addressing.content_weights(memory, keys, strengths)
    weights = addressing.interpolate(weights, prev_weights, gates)
    weights = addressing.circular_shift(weights, shifts)
    weights = addressing.sharpen(weights, sharpening)
    read_weights, write_weights = weights[:, :r], weights[:, r:]
    reads = addressing.read(memory, read_weights)
    memory = addressing.erase_and_add(memory, write_weights, erase, add)
    return reads, read_weights, write_weights, memory


def _call_remat(self, inputs, states, training=False):
    n, w = self.memory_size, self.word_size
    r = self.num_read_heads
    memory_ = ops.reshape(states[0], (-1, n, w))
    prev_weights = ops.concatenate(
        [
            ops.reshape(states[2], (-1, r, n)),
            ops.reshape(states[3], (-1, self.num_write_heads, n)),
        ],
        axis=1,
    )
    hidden = ops.concatenate([inputs, states[1]], axis=-1)
    new_controller_states = []
    for index, cell in enumerate(self.controller_cells):
        pair = states[4 + 2 * index : 6 + 2 * index]
        hidden, pair = cell(hidden, pair)
        new_controller_states += list(pair)
    c = self.controls(hidden)
    reads, read_weights, write_weights, memory_ = keras.remat(
        lambda *a: _memory_step(*a, r)
    )(
        memory_,
        prev_weights,
        c["keys"],
        c["strengths"],
        c["gates"],
        c["shifts"],
        c["sharpening"],
        c["erase"],
        c["add"],
    )
    reads = ops.reshape(reads, (-1, r * w))
    output = ops.concatenate([hidden, reads], axis=-1)
    return output, [
        ops.reshape(memory_, (-1, n * w)),
        reads,
        ops.reshape(read_weights, (-1, r * n)),
        ops.reshape(write_weights, (-1, self.num_write_heads * n)),
        *new_controller_states,
    ]


STAND_INS["remat_memory"] = {"call": _call_remat}


def _owner(name):
    return memory.NTMCell if hasattr(memory.NTMCell, name) else addressing


@contextlib.contextmanager
def patched(replacements):
    saved = {name: getattr(_owner(name), name) for name in replacements}
    try:
        for name, function in replacements.items():
            setattr(_owner(name), name, function)
        yield
    finally:
        for name, function in saved.items():
            setattr(_owner(name), name, function)


def unrolled(model, time_steps):
    """The same model with `keras.layers.RNN(unroll=True)` for `time_steps`."""
    config = model.get_config()
    for layer in config["layers"]:
        if layer["class_name"] == "InputLayer":
            shape = list(layer["config"]["batch_shape"])
            layer["config"]["batch_shape"] = [shape[0], time_steps, *shape[2:]]
        if layer["class_name"] == "RNN":
            layer["config"]["unroll"] = True
    return keras.Model.from_config(config)


class ScanRecurrence(keras.layers.Layer):
    """A cell run over time by `keras.ops.scan` instead of `layers.RNN`.

    The TensorFlow backend's `scan` wants outputs shaped like the carry, so
    the cell's output travels first in the carry and every carried tensor
    is stacked over time (the memory too).
    """

    def __init__(self, cell, **kwargs):
        super().__init__(**kwargs)
        self.cell = cell

    def build(self, input_shape):
        self.cell.build((input_shape[0], input_shape[-1]))

    def call(self, inputs):
        batch = ops.shape(inputs)[0]
        states = self.cell.get_initial_state(batch)
        first = ops.zeros((batch, self.cell.output_size), inputs.dtype)

        def step(carry, inputs_t):
            output, new_states = self.cell.call(inputs_t, carry[1:])
            carry = [output, *new_states]
            return carry, carry

        _, outputs = ops.scan(
            step, [first, *states], ops.transpose(inputs, (1, 0, 2))
        )
        return ops.transpose(outputs[0], (1, 0, 2))


def scanned(task, overrides, time_steps):
    """The `ntm` model with `ScanRecurrence` in place of `layers.RNN`."""
    inputs = keras.Input((time_steps, task.spec.input_dim))
    cell = memory.NTMCell(name="ntm_cell", **overrides)
    hidden = ScanRecurrence(cell, name="ntm")(inputs)
    outputs = keras.layers.Dense(task.spec.output_dim, activation="sigmoid")(
        hidden
    )
    return keras.Model(inputs, outputs)


def build(variant, task, overrides, jit_compile, time_steps):
    variant, _, own = variant.partition("@")
    overrides = dict(overrides)
    for pair in own.split("+") if own else ():
        key, value = pair.split("=", 1)
        overrides[key] = int(value) if value.isdigit() else value
    if variant.startswith("lstm"):
        units = overrides.get("controller_units", 100)
        model = zoo.get("lstm", task=task, units=units, num_layers=1)
        jit = jit_compile and variant == "lstm"
    else:
        model = zoo.get("ntm", task=task, **overrides)
        if variant == "scan":
            model = scanned(task, overrides, time_steps)
        if variant == "unroll":
            model = unrolled(model, time_steps)
        jit = jit_compile
    zoo.compile_for_task(model, task, jit_compile=jit, amsgrad=True)
    return model


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--time", type=int, default=40)
    parser.add_argument("--variants", default="full,no_memory,lstm")
    parser.add_argument("--jit-compile", choices=("on", "off"), default="on")
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument(
        "--set", action="append", default=[], metavar="KEY=VALUE"
    )
    args = parser.parse_args(argv)
    overrides = {}
    for pair in args.set:
        key, value = pair.split("=", 1)
        overrides[key] = int(value) if value.isdigit() else value
    task = tasks.get("copy")
    batch = profiling.copy_batch(task, args.batch_size, args.time)
    variants = args.variants.split(",")
    jit = args.jit_compile == "on"
    models = {}
    for variant in variants:
        keras.utils.set_random_seed(0)
        # The stand-ins are read when the step is traced: keep them in place
        # while building and warming up, then the compiled step keeps them.
        with patched(STAND_INS.get(variant.partition("@")[0], {})):
            models[variant] = build(variant, task, overrides, jit, args.time)
            profiling.step_times(
                models[variant], batch, repeats=0, warmup=args.warmup
            )
    times = {variant: [] for variant in variants}
    for _ in range(args.rounds):
        for variant in variants:
            times[variant] += profiling.step_times(
                models[variant], batch, args.repeats
            )
    first = statistics.median(times[variants[0]])
    results = []
    for variant in variants:
        median = statistics.median(times[variant])
        results.append(
            {
                "variant": variant,
                **profiling.step_summary(times[variant], args.batch_size),
                "ratio_to_first": round(median / first, 3),
            }
        )
    print(
        json.dumps(
            {
                "benchmark": "ntm_profile",
                "batch_size": args.batch_size,
                "time": args.time,
                "jit_compile": args.jit_compile,
                "overrides": overrides,
                "load_average": [round(x, 2) for x in os.getloadavg()],
                "results": results,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    from zoo.user_errors import exit_reporting_errors

    exit_reporting_errors(__file__, main)
