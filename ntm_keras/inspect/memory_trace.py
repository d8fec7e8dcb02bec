"""Traces of what a memory cell did, step by step, for inspection.

Legend: T = time steps, R = read heads, V = write heads, N = memory slots,
W = word size.
"""

import keras
import numpy as np
from keras import ops


def find_memory_layer(model):
    """Returns the first `keras.layers.RNN` whose cell has a `step` trace.

    Returns None when the model has no memory cell (e.g. an LSTM).
    """
    for layer in getattr(model, "layers", ()):
        cell = getattr(layer, "cell", None)
        if isinstance(layer, keras.layers.RNN) and hasattr(cell, "step"):
            return layer
        found = find_memory_layer(layer)
        if found is not None:
            return found
    return None


def input_steps(inputs):
    """`(B, T)` bool: the steps of a batch that hold an input.

    A token that is not padding (id 0) for `(B, T)` ids; a step with any
    set channel for `(B, T, input_dim)` bits.
    """
    present = np.asarray(inputs) != 0
    return np.any(present, axis=-1) if present.ndim == 3 else present


def step_memory_cell(model, inputs, num_steps=None):
    """Steps `model`'s memory cell over a batch, one step at a time.

    The cell is stepped eagerly with its own `step` method, the same
    computation `call` performs, from its initial state; the model itself
    is not changed.

    Args:
        model: a `keras.Model` containing an RNN over a memory cell
            (`NTMCell`, `DNCCell`).
        inputs: one batch of model inputs, e.g. `(batch_size, time,
            input_dim)`.
        num_steps: int. Steps to take; `None` takes all.

    Yields:
        For each step, the cell's trace (a dict of tensors, each with the
        batch first: the controls, `read_weights`, `write_weights`,
        `memory` after the step) and `memory_before` (B, N, W), the memory
        the step started from.

    Raises:
        ValueError: if the model has no memory cell.
    """
    layer = find_memory_layer(model)
    if layer is None:
        raise ValueError(
            f"Invalid `model`: {model.name!r} has no RNN over a memory cell "
            "(such as NTMCell) to trace."
        )
    model_inputs = model.inputs[0] if len(model.inputs) == 1 else model.inputs
    feeder = keras.Model(model_inputs, layer.input)
    sequence = ops.convert_to_tensor(feeder(inputs))  # (B, T, features)
    cell = layer.cell
    states = cell.get_initial_state(batch_size=sequence.shape[0])
    shape = (-1, cell.memory_size, cell.word_size)
    for t in range(sequence.shape[1] if num_steps is None else num_steps):
        memory_before = ops.reshape(states[0], shape)
        _, states, trace = cell.step(sequence[:, t], states)
        yield dict(trace, memory_before=memory_before)


def memory_trace(model, inputs):
    """Runs one sequence through `model` and records its memory cell.

    Args:
        model: a `keras.Model` containing an RNN over a memory cell
            (`NTMCell`, `DNCCell`).
        inputs: one batch of model inputs; only the first sequence is
            traced, e.g. `(1, time, input_dim)`.

    Returns:
        dict of NumPy arrays: `read_weights` (T, R, N), `write_weights`
        (T, V, N), `memory_before` and `memory_after` (N, W), `outputs`
        (T, output_dim), and every control of the cell over time, e.g.
        `gates` (T, H), `sharpening` (T, H), `shifts` (T, H, S).

    Raises:
        ValueError: if the model has no memory cell.
    """
    first = inputs[:1]
    steps = [
        {k: ops.convert_to_numpy(v)[0] for k, v in trace.items()}
        for trace in step_memory_cell(model, first)
    ]
    result = {key: np.stack([s[key] for s in steps]) for key in steps[0]}
    result["memory_before"] = result["memory_before"][0]
    result["memory_after"] = result.pop("memory")[-1]
    result["outputs"] = ops.convert_to_numpy(model(first))[0]
    return result


def weighting_entropies(weights):
    """Entropy in nats of each weighting `(..., N)`: 0 is one sharp slot,
    `log(N)` all slots alike. Returns an array of shape `(...)`."""
    weights = np.clip(weights, 1e-12, 1.0)
    return -np.sum(weights * np.log(weights), axis=-1)


def weighting_entropy(weights):
    """Mean entropy in nats of weightings `(..., N)`: 0 is one sharp slot."""
    return float(np.mean(weighting_entropies(weights)))


def trace_summary(trace):
    """Scalars that describe a trace: gates, sharpening, focus, finiteness.

    Returns:
        dict: `memory_read_entropy`, `memory_write_entropy` and
        `memory_nonfinite_count` (NaN or infinite values in the trace);
        for an NTM trace `memory_mean_gate` and `memory_mean_sharpening`;
        for a DNC trace `memory_mean_usage`, `memory_mean_allocation_gate`
        and `memory_mean_write_gate`.
    """
    nonfinite = sum(int(np.sum(~np.isfinite(v))) for v in trace.values())
    summary = {
        "memory_read_entropy": weighting_entropy(trace["read_weights"]),
        "memory_write_entropy": weighting_entropy(trace["write_weights"]),
        "memory_nonfinite_count": float(nonfinite),
    }
    for key, name in (
        ("gates", "memory_mean_gate"),
        ("sharpening", "memory_mean_sharpening"),
        ("usage", "memory_mean_usage"),
        ("allocation_gate", "memory_mean_allocation_gate"),
        ("write_gate", "memory_mean_write_gate"),
    ):
        if key in trace:
            summary[name] = float(np.mean(trace[key]))
    return summary
