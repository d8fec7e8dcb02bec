"""The memory a training run needs, estimated before anything is written.

A memory model's train step keeps every step's state for the backward pass:
an NTM with `memory_size=2000000` needs far more than a machine has, and
without a check it dies in its first step with the run directory already
made. `check_training_memory` compares a conservative estimate with the
memory the machine has free and refuses what cannot fit, with the numbers
in the message.

The estimate, in bytes of float32 (4 bytes a number):

    parameters   P * 4 * 4    the weights, their gradients and Adam's two
                              moment slots
    activations  B * T * S * 4 * BACKWARD_FACTOR
                              S: the numbers each time step of one sequence
                              keeps: every top-level layer's output width
                              plus every recurrent cell's state (N * W for
                              an NTM's memory, N * W + N * N for a DNC's
                              memory and link matrix, ...)
    attention    B * H * T * T * 4 * BACKWARD_FACTOR for every attention
                              layer with H heads (its score matrix)

`BACKWARD_FACTOR` is 8: the forward values kept for the backward pass, their
gradients, and the temporaries of each step (an NTM step makes several
`(B, N, W)` tensors: the normalised memory of content addressing, the erase
and add products). Measured on `ntm_tiny` (TensorFlow 2.21, CPU, batch 4,
9 steps), the peak memory of a train step grew by 1,037 MiB from
`memory_size=50000` to `200000`: 6.3 numbers for each number of state, so 8
errs high, as it should; a configuration refused here would at best have
run close to the machine's limit.
"""

import math
import os

import keras

FLOAT_BYTES = 4
# Weights, gradients and Adam's first and second moments.
PARAMETER_COPIES = 4
BACKWARD_FACTOR = 8


def _per_step_width(layer):
    """Numbers one time step of one sequence keeps in `layer`'s output."""
    try:
        shape = layer.output.shape
    except (AttributeError, ValueError):
        return 0
    if (
        isinstance(shape, (list, tuple))
        and shape
        and (isinstance(shape[0], (list, tuple)))
    ):
        return sum(math.prod(d or 1 for d in s[2:]) for s in shape)
    return math.prod(d or 1 for d in tuple(shape)[2:])


def _state_width(layer):
    """The summed `state_size` of a recurrent layer's cell, else 0."""
    cell = getattr(layer, "cell", None)
    sizes = getattr(cell, "state_size", None)
    if sizes is None:
        return 0
    if isinstance(sizes, int):
        return sizes
    total = 0
    for size in keras.tree.flatten(sizes):
        total += int(size) if size is not None else 0
    return total


def _attention_heads(model):
    """The head counts of every attention layer inside `model`."""
    from ntm_keras.layers import MultiHeadAttention

    heads = []
    for layer in model._flatten_layers(include_self=False, recursive=True):
        if isinstance(
            layer, (keras.layers.MultiHeadAttention, MultiHeadAttention)
        ):
            heads.append(layer.num_heads)
    return heads


def estimate_training_bytes(model, batch_size, time_steps):
    """Returns a conservative estimate of one train step's memory, in bytes.

    Args:
        model: a built `keras.Model`.
        batch_size: int. Sequences per batch (B).
        time_steps: int. Time steps of the longest batch (T).

    Returns:
        dict with `parameters`, `activations`, `attention` and `total`, in
        bytes (see the module docstring for the formula).
    """
    parameters = model.count_params() * FLOAT_BYTES * PARAMETER_COPIES
    width = 0
    for layer in model.layers:
        width += _per_step_width(layer) + _state_width(layer)
    activations = (
        batch_size * time_steps * width * FLOAT_BYTES * BACKWARD_FACTOR
    )
    attention = sum(
        batch_size * heads * time_steps**2 * FLOAT_BYTES * BACKWARD_FACTOR
        for heads in _attention_heads(model)
    )
    return {
        "parameters": parameters,
        "activations": activations,
        "attention": attention,
        "total": parameters + activations + attention,
    }


def available_memory_bytes():
    """The memory the machine has free now, in bytes, or None if unknown.

    `MemAvailable` of `/proc/meminfo` (Linux), else the free physical pages
    of `os.sysconf`.
    """
    try:
        with open("/proc/meminfo") as handle:
            for line in handle:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):
        return None


def _gib(count):
    return f"{count / 2**30:.2f} GiB"


def check_training_memory(
    model, batch_size, time_steps, *, available=None, describe=""
):
    """Raises `ValueError` if a train step cannot fit in free memory.

    Args:
        model: the built model.
        batch_size: int.
        time_steps: int. The longest batch's time steps.
        available: optional int. Bytes free; None reads the machine's
            (`available_memory_bytes`); if that is unknown, nothing is
            checked.
        describe: str. What is being run, for the message.

    Returns:
        The estimate (see `estimate_training_bytes`).
    """
    estimate = estimate_training_bytes(model, batch_size, time_steps)
    if available is None:
        available = available_memory_bytes()
    if available is not None and estimate["total"] > available:
        raise ValueError(
            f"Not enough memory for {describe or model.name}: a train step "
            f"needs about {_gib(estimate['total'])} (estimate: parameters "
            f"and optimizer {_gib(estimate['parameters'])}, activations of "
            f"batch {batch_size} x {time_steps} steps "
            f"{_gib(estimate['activations'] + estimate['attention'])}), but "
            f"only {_gib(available)} is free. Use a smaller --batch-size, "
            "shorter sequences or a smaller model (e.g. memory_size)."
        )
    return estimate
