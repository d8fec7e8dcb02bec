"""Where a copy model's read head is when the recall starts, and its errors.

    python benchmarks/copy_read_offset.py runs/copy/ntm-copy-...
    python benchmarks/copy_read_offset.py --preset copy --lengths 60,120

An NTM that copies holds its read head still on the slot of the first
word while the input streams in, then walks forward from it. This script
steps the cell of a trained copy model (a run's best checkpoint, or a
shipped `ntm` preset) over held-out sequences of each length, records the
slot of the read weighting's peak at the delimiter and the slot of the
first write, and groups the sequences by the offset between the two
(`0`: the head held its place). Prints JSON: per length and offset, the
number of sequences and their mean bit errors per sequence, and the
mean peak of the read weighting at the last input step.

`--min-sharpening G` rebuilds the model with `NTMCell(min_sharpening=G)`
and the same weights (every head's sharpening exponent raised by G - 1):
a probe of whether sharper heads would hold their place.
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
    find_memory_layer,
    step_memory_cell,
)
from zoo.training import checkpointing, run_files  # noqa: E402


def read_offsets(model, inputs, targets):
    """Steps `model`'s memory cell over one batch of copy sequences.

    All sequences of the batch have the same length `L` (the delimiter is
    step `L`).

    Returns:
        dict of arrays over the batch: `offset` (the read peak's slot at the
        delimiter minus the first write's slot, in (-N/2, N/2]),
        `bit_errors` (wrong bits in the recall phase), `peak` (the read
        weighting's largest value at the last input step) and `slip_step`
        (the first input step at which the peak is not on the first
        write's slot, -1 if it stays there).
    """
    length = (inputs.shape[1] - 1) // 2
    slip_step = np.full(inputs.shape[0], -1)
    traces = step_memory_cell(model, inputs, num_steps=length + 1)
    for t, trace in enumerate(traces):
        read = ops.convert_to_numpy(trace["read_weights"])[:, 0]
        if t == 0:
            first_write = np.argmax(
                ops.convert_to_numpy(trace["write_weights"])[:, 0], axis=-1
            )
        if t == length - 1:
            peak = read.max(axis=-1)
        slipped = (np.argmax(read, axis=-1) != first_write) & (slip_step < 0)
        slip_step = np.where(slipped, t, slip_step)
    size = read.shape[-1]
    offset = (np.argmax(read, axis=-1) - first_write) % size
    offset = np.where(offset > size // 2, offset - size, offset)
    outputs = ops.convert_to_numpy(model(inputs))[:, length + 1 :]
    wrong = (outputs > 0.5) != (np.asarray(targets)[:, length + 1 :] > 0.5)
    return {
        "offset": offset,
        "bit_errors": wrong.sum(axis=(1, 2)),
        "peak": peak,
        "slip_step": slip_step,
    }


def summarise(found):
    """Groups `read_offsets`' arrays by offset, as JSON-ready numbers."""
    groups = []
    for offset in sorted(set(found["offset"].tolist())):
        chosen = found["offset"] == offset
        groups.append(
            {
                "offset": int(offset),
                "sequences": int(chosen.sum()),
                "mean_bit_errors": round(
                    float(found["bit_errors"][chosen].mean()), 3
                ),
                "slip_steps": sorted(
                    int(t) for t in found["slip_step"][chosen] if t >= 0
                ),
            }
        )
    return {
        "sequences": int(found["offset"].size),
        "mean_bit_errors": round(float(found["bit_errors"].mean()), 3),
        "held_place": round(float(np.mean(found["offset"] == 0)), 4),
        "mean_peak_at_last_input": round(float(found["peak"].mean()), 3),
        "by_offset": groups,
    }


def with_min_sharpening(model, min_sharpening):
    """A copy of `model` whose NTM cells have `min_sharpening`, same weights."""
    config = model.get_config()
    cells = [
        layer["config"]["cell"]["config"]
        for layer in config["layers"]
        if layer["class_name"] == "RNN"
    ]
    if not cells:
        raise ValueError(
            f"Invalid `model`: {model.name!r} has no RNN over an NTM cell."
        )
    for cell in cells:
        cell["min_sharpening"] = float(min_sharpening)
    rebuilt = keras.Model.from_config(config)
    rebuilt.set_weights(model.get_weights())
    return rebuilt


def _model(args):
    """The model to probe; raises `ValueError` naming what is wrong."""
    if args.preset:
        model = zoo.get("ntm", tasks.get("copy"), preset=args.preset)
    else:
        task = run_files.read_config(args.run_dir)["task"].get("name")
        if task != "copy":
            raise ValueError(
                f"Invalid `run_dir`: {args.run_dir!r} is a run of the task "
                f"{task!r}; expected a run of `copy`."
            )
        model = checkpointing.load_checkpoint(args.run_dir, "best")
    if find_memory_layer(model) is None:
        raise ValueError(
            f"Invalid model: {model.name!r} has no memory cell to probe; "
            "expected a model with an `NTMCell` or a `DNCCell`."
        )
    if args.min_sharpening is not None:
        model = with_min_sharpening(model, args.min_sharpening)
    return model


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("run_dir", nargs="?", help="a copy run's directory")
    source.add_argument("--preset", help="a shipped `ntm` preset, e.g. copy")
    parser.add_argument(
        "--lengths",
        default="20,40,60,120",
        help="comma-separated sequence lengths (default: 20,40,60,120)",
    )
    parser.add_argument(
        "--num-sequences",
        type=int,
        default=256,
        help="sequences per length (default: 256)",
    )
    parser.add_argument(
        "--min-sharpening",
        type=float,
        help="rebuild the cell with this min_sharpening (>= 1), same weights",
    )
    args = parser.parse_args(argv)
    if args.min_sharpening is not None and not (
        1.0 <= args.min_sharpening < float("inf")
    ):
        parser.error(
            f"--min-sharpening: expected a finite number >= 1, got "
            f"{args.min_sharpening}"
        )
    try:
        lengths = [int(x) for x in args.lengths.split(",")]
    except ValueError:
        parser.error(f"--lengths: expected integers, got {args.lengths!r}")
    if min(lengths) < 1 or args.num_sequences < 1:
        parser.error("--lengths and --num-sequences must be positive")
    try:
        model = _model(args)
    except ValueError as error:
        parser.error(str(error))
    task = tasks.get(
        "copy",
        generalisation_lengths=tuple(lengths),
        eval_size=args.num_sequences,
    )
    report = {
        "source": args.preset or args.run_dir,
        "min_sharpening": args.min_sharpening,
        "lengths": {},
    }
    for length in lengths:
        inputs, targets, _ = next(
            iter(task.dataset(f"length_{length}", args.num_sequences))
        )
        found = read_offsets(model, inputs, targets)
        report["lengths"][str(length)] = summarise(found)
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    from zoo.user_errors import exit_reporting_errors

    exit_reporting_errors(__file__, main)
