"""Learning curves of a run, against training steps and wall-clock time.

    python benchmarks/learning_curves.py runs/<run> --out notes/figures/lm.png
        [--metric loss] [--goal 1.70] [--minutes 30]

Reads the run's TensorBoard event files (`logs/train`, `logs/validation`)
and `config.json` (steps per epoch, start time), draws the training and
validation curves of `metric` against steps and against minutes since the
run started (a resumed run's pause is included), and prints the points as
JSON, with the last validation value reached within `--minutes`.
"""

import argparse
import datetime
import json
import os
import pathlib

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import matplotlib  # noqa: E402

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import tensorflow as tf  # noqa: E402
from tensorboard.backend.event_processing import event_accumulator  # noqa: E402


def read_curve(directory, tag):
    """Returns `[(epoch, wall_time, value)]` of a scalar tag, or `[]`."""
    accumulator = event_accumulator.EventAccumulator(
        str(directory), size_guidance={"tensors": 0, "scalars": 0}
    )
    accumulator.Reload()
    tags = accumulator.Tags()
    if tag in tags["scalars"]:
        return [
            (e.step, e.wall_time, e.value) for e in accumulator.Scalars(tag)
        ]
    if tag not in tags["tensors"]:
        return []  # e.g. a validation-only metric in logs/train
    return [
        (e.step, e.wall_time, float(tf.make_ndarray(e.tensor_proto)))
        for e in accumulator.Tensors(tag)
    ]


def curves(run_dir, metric):
    run_dir = pathlib.Path(run_dir)
    config = json.loads((run_dir / "config.json").read_text())
    steps_per_epoch = config["training"]["steps_per_epoch"]
    started = datetime.datetime.fromisoformat(
        config["invocation"]["started"]
    ).timestamp()
    result = {}
    for split in ("train", "validation"):
        points = read_curve(run_dir / "logs" / split, f"epoch_{metric}")
        result[split] = [
            {
                "epoch": epoch + 1,
                "step": (epoch + 1) * steps_per_epoch,
                "minutes": (wall - started) / 60.0,
                "value": value,
            }
            for epoch, wall, value in sorted(points)
        ]
    return result


def plot(points, metric, out, goal=None, minutes=None, title=""):
    figure, axes = plt.subplots(1, 2, figsize=(11, 4), constrained_layout=True)
    for axis, x in zip(axes, ("step", "minutes")):
        for split, style in (("train", "--"), ("validation", "-o")):
            axis.plot(
                [p[x] for p in points[split]],
                [p["value"] for p in points[split]],
                style,
                markersize=3,
                label=split,
            )
        if goal is not None:
            axis.axhline(
                goal, color="grey", linewidth=0.8, label=f"goal {goal}"
            )
        if minutes is not None and x == "minutes":
            axis.axvline(
                minutes, color="red", linewidth=0.8, label=f"{minutes} min"
            )
        axis.set_xlabel(
            "training steps" if x == "step" else "wall-clock minutes"
        )
        axis.set_ylabel(metric)
        axis.grid(alpha=0.3)
        axis.legend()
    figure.suptitle(title)
    figure.savefig(out, dpi=100)
    plt.close(figure)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run_dir")
    parser.add_argument("--out", required=True)
    parser.add_argument("--metric", default="loss")
    parser.add_argument("--goal", type=float, default=None)
    parser.add_argument("--minutes", type=float, default=None)
    parser.add_argument("--title", default="")
    args = parser.parse_args(argv)
    points = curves(args.run_dir, args.metric)
    plot(points, args.metric, args.out, args.goal, args.minutes, args.title)
    summary = {"run_dir": args.run_dir, "metric": args.metric, "points": points}
    validation = points["validation"]
    if validation:
        summary["final_validation"] = validation[-1]
        summary["best_validation"] = min(validation, key=lambda p: p["value"])
    if args.minutes is not None:
        within = [p for p in validation if p["minutes"] <= args.minutes]
        summary[f"validation_within_{args.minutes:g}_minutes"] = (
            within[-1] if within else None
        )
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
