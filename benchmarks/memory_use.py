"""How much a trained memory model uses its memory: gates, modes, usage.

    python benchmarks/memory_use.py runs/babi-.../dnc-babi-... [RUN ...]

Loads each run's best checkpoint, steps its memory cell (an NTM or a DNC)
over the first `--sequences` sequences of the test split and averages
every control and weighting of the trace over the steps that hold an input
(a token that is not padding; every step of a bit task). Prints one JSON
line per run: the mean of each scalar control (a DNC's `write_gate`,
`allocation_gate`, `free_gates`; an NTM's `gates`, `sharpening`), the mean
read mode per mode (a DNC's backward, content, forward), and the mean
absolute value of the memory after each step. A DNC whose write gate sits
near 0 is an LSTM with a memory it has stopped writing.
"""

import argparse
import json
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402

import tasks  # noqa: E402
from ntm_keras import inspect  # noqa: E402
from ntm_keras.memory.dnc_cell import READ_MODES  # noqa: E402
from zoo.training import checkpointing, run_files  # noqa: E402

# Controls averaged as one number each, when the trace has them.
SCALARS = (
    "write_gate",
    "allocation_gate",
    "free_gates",
    "gates",
    "sharpening",
    "usage",
)


def memory_use(model, inputs):
    """Means of a memory cell's controls over the input steps of a batch.

    Args:
        model: a Keras model with a memory cell (`NTMCell`, `DNCCell`).
        inputs: one batch of model inputs, `(B, T)` ids or `(B, T, D)`.

    Returns:
        dict: `steps` (the steps averaged over), the mean of each control
        of `SCALARS` the trace has, `read_modes` (a DNC's mean mixture,
        by name) and `memory_abs_mean`.
    """
    steps = inspect.input_steps(inputs)  # (B, T)
    sums, count = {}, 0.0
    for t, trace in enumerate(inspect.step_memory_cell(model, inputs)):
        weight = steps[:, t].astype(np.float64)  # (B,)
        count += weight.sum()
        for key in (*SCALARS, "read_modes", "memory"):
            if key not in trace:
                continue
            value = np.abs(np.asarray(trace[key], np.float64))
            if key == "read_modes":  # (B, R, modes): a mean per mode
                value = value.mean(axis=1)
            else:
                value = value.reshape(value.shape[0], -1).mean(axis=1)
            total = np.tensordot(weight, value, axes=(0, 0))
            sums[key] = sums.get(key, 0.0) + total
    count = max(count, 1.0)
    result = {"steps": int(count)}
    for key, total in sums.items():
        mean = total / count
        if key == "read_modes":
            result[key] = {
                mode: round(float(m), 4) for mode, m in zip(READ_MODES, mean)
            }
        elif key == "memory":
            result["memory_abs_mean"] = round(float(mean), 4)
        else:
            result[key] = round(float(mean), 4)
    return result


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run_dirs", nargs="+")
    parser.add_argument("--sequences", type=int, default=16)
    args = parser.parse_args(argv)
    if args.sequences < 1:
        parser.error(f"--sequences must be >= 1, received {args.sequences}")
    for run_dir in args.run_dirs:
        try:
            print(json.dumps(measure(run_dir, args.sequences)))
        except (ValueError, OSError) as error:  # a wrong or unreadable run
            parser.exit(2, f"{parser.prog}: error: {error}\n")


def measure(run_dir, sequences):
    """`memory_use` of a run's best checkpoint on its test split."""
    config = run_files.read_config(run_dir)
    task = tasks.get(config["task"]["name"], **config["task"]["options"])
    model = checkpointing.load_checkpoint(run_dir, "best")
    inputs = next(iter(task.dataset("test", sequences)))[0]
    return {"run": str(run_dir), **memory_use(model, inputs)}


if __name__ == "__main__":
    from zoo.user_errors import exit_reporting_errors

    exit_reporting_errors(__file__, main)
