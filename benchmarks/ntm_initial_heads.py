"""How focused a fresh NTM's write head is, before any training.

    python benchmarks/ntm_initial_heads.py --seeds 0,1
    python benchmarks/ntm_initial_heads.py --seeds 0,1 \\
        --set write_forward_bias=2

Builds the model for the task (its initial weights for each seed), steps
its memory cell over one batch of the task's test sequences and records,
at every step, the write weighting's largest value (1: one slot; 1/N: all
slots alike), its effective number of slots (the exponential of its
entropy) and the write head's interpolation gate (1: content only; 0: its
previous location only). Prints JSON: per seed, these three averaged over
the batch at every step, and their means over the sequence.
"""

import argparse
import json
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402
from keras import ops  # noqa: E402

import tasks  # noqa: E402
import zoo  # noqa: E402
from ntm_keras.inspect.memory_trace import (  # noqa: E402
    step_memory_cell,
    weighting_entropies,
)
from ntm_keras.memory import addressing  # noqa: E402
from zoo import cli  # noqa: E402

# A slot whose cosine similarity to an added vector exceeds this looks, to
# content addressing, like a copy of it.
LOOK_ALIKE = 0.9


def look_alike_slots(memory, added):
    """Slots that content addressing takes for each added vector.

    Args:
        memory: `(batch_size, memory_size, word_size)`.
        added: `(batch_size, num_heads, word_size)`.

    Returns:
        NumPy `(batch_size, num_heads)`: the number of slots whose cosine
        similarity (the NTM's, `addressing.cosine_similarity`) with the
        head's vector exceeds `LOOK_ALIKE`.
    """
    similarity = addressing.cosine_similarity(memory, added)  # (B, V, N)
    return np.sum(ops.convert_to_numpy(similarity) > LOOK_ALIKE, axis=-1)


def write_focus(model, inputs):
    """Steps `model`'s memory cell over a batch; the write head per step.

    Returns:
        dict of lists over the time steps, each a mean over the batch and
        the write heads: `peak`, `effective_slots`, `gate` and
        `look_alike_slots`.
    """
    focus = {
        "peak": [],
        "effective_slots": [],
        "gate": [],
        "look_alike_slots": [],
    }
    for trace in step_memory_cell(model, inputs):
        weights = ops.convert_to_numpy(trace["write_weights"])  # (B, V, N)
        # The gates of the heads (B, H): the write heads come last.
        gates = ops.convert_to_numpy(trace["gates"])[:, -weights.shape[1] :]
        focus["peak"].append(float(weights.max(axis=-1).mean()))
        slots = np.exp(weighting_entropies(weights))
        focus["effective_slots"].append(float(slots.mean()))
        focus["gate"].append(float(gates.mean()))
        look_alike = look_alike_slots(trace["memory"], trace["add"])
        focus["look_alike_slots"].append(float(look_alike.mean()))
    return focus


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default="ntm")
    parser.add_argument("--task", default="associative_recall")
    parser.add_argument("--seeds", default="0,1")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument(
        "--set", action="append", default=[], metavar="KEY=VALUE"
    )
    args = parser.parse_args(argv)
    try:
        seeds = [int(seed) for seed in args.seeds.split(",")]
        overrides = cli.parse_sets(args.set)
        results = []
        for seed in seeds:
            keras.utils.set_random_seed(seed)
            task = tasks.get(args.task, seed=seed)
            model = zoo.get(args.model, task=task, **overrides)
            inputs = next(iter(task.dataset("test", args.batch_size)))[0]
            focus = write_focus(model, inputs)
            means = {
                name: round(float(np.mean(values)), 3)
                for name, values in focus.items()
            }
            rounded = {
                name: [round(value, 3) for value in values]
                for name, values in focus.items()
            }
            results.append({"seed": seed, "mean": means, "per_step": rounded})
    except (ValueError, TypeError) as error:
        raise SystemExit(f"error: {error}") from None
    print(
        json.dumps(
            {
                "benchmark": "ntm_initial_heads",
                "model": args.model,
                "task": args.task,
                "overrides": overrides,
                "batch_size": args.batch_size,
                "results": results,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    from zoo.user_errors import exit_reporting_errors

    exit_reporting_errors(__file__, main)
