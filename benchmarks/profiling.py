"""Timing training steps: what `ntm_profile.py` and `dnc_profile.py` share.

Both time `model.train_on_batch` (forward, backward and the optimizer) on
one fixed batch of copy-shaped bits and report each variant's median and
fastest step. The scripts import this module as a sibling (`python
benchmarks/ntm_profile.py` puts `benchmarks/` first on the path).
"""

import statistics
import time

import numpy as np


def copy_batch(task, batch_size, time_steps):
    """One fixed batch of random bits shaped like `task`'s (seed 0).

    Args:
        task: a bit task (`tasks.get("copy")`); only its spec is read.
        batch_size: int. Sequences in the batch.
        time_steps: int. Steps per sequence.

    Returns:
        `(inputs, targets, sample_weight)`: float32 bits
        `(batch_size, time_steps, input_dim)` and
        `(batch_size, time_steps, output_dim)`, and ones
        `(batch_size, time_steps)`.
    """
    rng = np.random.default_rng(0)
    shape = (batch_size, time_steps, task.spec.input_dim)
    return (
        rng.integers(0, 2, shape).astype("float32"),
        rng.integers(0, 2, shape[:2] + (task.spec.output_dim,)).astype(
            "float32"
        ),
        np.ones(shape[:2], "float32"),
    )


def step_times(model, batch, repeats, *, warmup=0):
    """Seconds of each of `repeats` training steps on `batch`.

    Args:
        model: a compiled `keras.Model`.
        batch: `(inputs, targets, sample_weight)`.
        repeats: int. Timed steps.
        warmup: int. Untimed steps first (the first compiles the step).

    Returns:
        list of `repeats` wall-clock seconds, one per
        `model.train_on_batch`.
    """
    inputs, targets, weights = batch
    for _ in range(warmup):
        model.train_on_batch(inputs, targets, sample_weight=weights)
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        model.train_on_batch(inputs, targets, sample_weight=weights)
        times.append(time.perf_counter() - started)
    return times


def step_summary(times, batch_size):
    """The median and fastest step, as the profiles report them.

    Args:
        times: seconds per step (`step_times`).
        batch_size: int. Sequences per step.

    Returns:
        dict: `median_step_ms` and `min_step_ms` (milliseconds, 2
        decimals), `sequences_per_second` at the median (1 decimal).
    """
    median = statistics.median(times)
    return {
        "median_step_ms": round(1000 * median, 2),
        "min_step_ms": round(1000 * min(times), 2),
        "sequences_per_second": round(batch_size / median, 1),
    }
