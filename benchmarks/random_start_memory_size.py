"""A recall preset evaluated with more memory slots than it trained with.

    python benchmarks/random_start_memory_size.py --memory-sizes 128,512 \\
        --items 6,15 --num-sequences 1024

`memory_init="random"` draws the start uniformly in +-1/sqrt(N + W), so a
model evaluated with more slots than it was trained with starts from a
fainter memory. This benchmark loads an `ntm` associative recall preset
(`--preset`, the shipped one by default; a user preset in
`$NTM_KERAS_PRESETS` for another) and scores it at each memory size: with
the bound of that size (what `ntm-keras eval --memory-size` does) and,
for a random start, with the bound of the training size pinned
(`--trained-slots`). `--memory-init` evaluates from another start than
the preset's. Prints JSON: bit errors per sequence, sequence accuracy
and the read head's focus at every step (the largest read weight, mean
over the first batch of 32) for every memory size, item count and bound.
"""

import argparse
import contextlib
import functools
import json
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402

import tasks  # noqa: E402
import zoo  # noqa: E402
from ntm_keras.inspect.memory_trace import step_memory_cell  # noqa: E402
from ntm_keras.memory import memory_start  # noqa: E402
from zoo import preset_store  # noqa: E402


@contextlib.contextmanager
def pinned_bound(slots):
    """Draws every random start with the bound of `slots` memory slots."""
    original = memory_start.random_bound
    memory_start.random_bound = lambda _, word_size: original(slots, word_size)
    try:
        yield
    finally:
        memory_start.random_bound = original


def score(preset, memory_size, items, num_sequences, seed, memory_init):
    """Bit errors per sequence and sequence accuracy of the preset."""
    task = tasks.get(
        "associative_recall",
        generalisation_items=(items,),
        eval_size=num_sequences,
        seed=seed,
    )
    changes = {"memory_size": memory_size}
    if memory_init is not None:
        changes["memory_init"] = memory_init
    model = zoo.get("ntm", task, preset=preset, **changes)
    dataset = task.dataset(task.generalisation_splits[0], 32)
    result = model.evaluate(dataset, return_dict=True, verbose=0)
    inputs = next(iter(dataset))[0]
    return {
        "bit_errors_per_sequence": float(result["bit_errors_per_sequence"]),
        "sequence_accuracy": float(result["sequence_accuracy"]),
        "read_focus": read_focus(model, inputs),
    }


def read_focus(model, inputs):
    """The read weighting's largest value at each step, mean over a batch.

    Near 1: the head reads one slot; near 1/N: it reads all alike.
    """
    return [
        round(float(np.mean(np.max(trace["read_weights"], axis=-1))), 3)
        for trace in step_memory_cell(model, inputs)
    ]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--preset",
        default="associative_recall",
        help="an `ntm` preset (a user preset for one trained otherwise)",
    )
    parser.add_argument(
        "--memory-init",
        choices=("constant", "random"),
        help="evaluate from this start instead of the preset's",
    )
    parser.add_argument("--memory-sizes", default="128,512")
    parser.add_argument("--items", default="6,15")
    parser.add_argument("--num-sequences", type=int, default=1024)
    parser.add_argument(
        "--trained-slots",
        type=int,
        default=128,
        help="the memory size whose bound is pinned (the preset's: 128)",
    )
    parser.add_argument("--seed", type=int, default=1, help="of the test data")
    args = parser.parse_args(argv)
    sizes = [int(size) for size in args.memory_sizes.split(",")]
    items = [int(count) for count in args.items.split(",")]
    options = preset_store.preset_info("ntm", args.preset)["options"]
    memory_init = args.memory_init or options.get("memory_init")
    random_start = memory_init == "random"
    rows = []
    for memory_size in sizes:
        for count in items:
            row = {"memory_size": memory_size, "items": count}
            scored = functools.partial(
                score,
                args.preset,
                memory_size,
                count,
                args.num_sequences,
                args.seed,
                args.memory_init,
            )
            row["bound_of_this_size"] = scored()
            if random_start and memory_size != args.trained_slots:
                with pinned_bound(args.trained_slots):
                    row["bound_of_trained_size"] = scored()
            rows.append(row)
            print(json.dumps(row), flush=True)
    print(
        json.dumps(
            {
                "benchmark": "random_start_memory_size",
                "preset": f"ntm-{args.preset}",
                "num_sequences": args.num_sequences,
                "trained_memory_init": options.get("memory_init"),
                "memory_init": memory_init,
                "trained_slots": args.trained_slots,
                "rows": rows,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    from zoo.user_errors import exit_reporting_errors

    exit_reporting_errors(__file__, main)
