"""Pictures of a trained NTM preset at work, for the notes.

    python benchmarks/ntm_figures.py copy --out notes/figures
    python benchmarks/ntm_figures.py copy --set max_length=60 --memory-size 128

Loads `zoo.get(MODEL, preset=PRESET)`, draws the longest of the first 32
test sequences of the preset's task (or of the task with `--set` options)
and saves the memory trace (inputs, write and read weightings over time,
the memory before and after, outputs beside targets) as
`<out>/<model>-<preset>-trace[-<suffix>].png`. Prints JSON with the path
and the example's bit errors.
"""

import argparse
import json
import os
import pathlib

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import matplotlib  # noqa: E402

matplotlib.use("Agg")

import numpy as np  # noqa: E402

import tasks  # noqa: E402
import zoo  # noqa: E402
from ntm_keras import inspect  # noqa: E402
from zoo import cli, preset_store  # noqa: E402
from zoo.tensorboard import memory_images  # noqa: E402


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("preset")
    parser.add_argument("--model", default="ntm")
    parser.add_argument("--set", action="append", default=[])
    parser.add_argument("--memory-size", type=int, default=None)
    parser.add_argument("--suffix", default="")
    parser.add_argument("--out", default="notes/figures")
    args = parser.parse_args(argv)
    info = preset_store.preset_info(args.model, args.preset)
    task_options = dict(info["task"]["options"])
    task_options.update(cli.parse_sets(args.set))
    task = tasks.get(info["task"]["name"], **task_options)
    overrides = {}
    if args.memory_size:
        overrides["memory_size"] = args.memory_size
    model = zoo.get(args.model, preset=args.preset, **overrides)
    inputs, targets, mask = memory_images.probe_example(task)
    trace = inspect.memory_trace(model, inputs)
    predicted = trace["outputs"] > 0.5
    errors = int(np.sum((predicted != (targets[0] > 0.5)) * mask[0][:, None]))
    figure = inspect.plot_memory_trace(
        trace,
        inputs[0],
        targets[0],
        title=f"{args.model} preset {args.preset!r}: {errors} bit errors",
    )
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    suffix = f"-{args.suffix}" if args.suffix else ""
    path = out / f"{args.model}-{args.preset}-trace{suffix}.png"
    figure.savefig(path, dpi=90, bbox_inches="tight")
    print(json.dumps({"figure": str(path), "bit_errors": errors}))


if __name__ == "__main__":
    from zoo.user_errors import exit_reporting_errors

    exit_reporting_errors(__file__, main)
