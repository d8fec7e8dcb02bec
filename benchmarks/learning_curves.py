"""Learning curves of runs, against training steps and wall-clock time.

    python benchmarks/learning_curves.py runs/<run> [runs/<run> ...]
        --out notes/figures/lm.png [--metric loss] [--goal 1.70] [--minutes 30]
        [--labels "dnc (Adam),dnc (AMSGrad)"]
    python benchmarks/learning_curves.py notes/data/curves.json#0 runs/<run> ...

Reads each run's TensorBoard event files (`logs/train`, `logs/validation`)
and `config.json` (model, steps per epoch, start time), draws the training
(dashed) and validation curves of `metric` against steps and against
minutes since the run started (a resumed run's pause is included), and
prints the points as JSON, with the last validation value reached within
`--minutes`. Several runs share one figure, one colour and label (the
model's name, or `--labels`, one per run, where runs of one model differ
in what they tried) each, so that models trained on the same task compare
at a glance; the JSON is then a list, one summary per run.

A curve this script printed before can stand in for a run whose folder is
gone: `FILE.json` draws every summary saved in it, `FILE.json#I` the
I-th (from 0), so a figure can be redrawn from the data kept in `notes/`.
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

from zoo.training import run_files  # noqa: E402


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


def curves(run_dir, config, metric):
    """The run's `metric` per epoch, by split, from its `config.json`."""
    run_dir = pathlib.Path(run_dir)
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


def plot(runs, metric, out, goal=None, minutes=None, title=""):
    """Draws `{label: points}` (from `curves`) side by side: steps, minutes.

    One run keeps the colours of its splits; several get one colour each.
    """
    figure, axes = plt.subplots(1, 2, figsize=(11, 4), constrained_layout=True)
    for axis, x in zip(axes, ("step", "minutes")):
        for index, (label, points) in enumerate(runs.items()):
            for split, style in (("train", "--"), ("validation", "-o")):
                axis.plot(
                    [p[x] for p in points[split]],
                    [p["value"] for p in points[split]],
                    style,
                    markersize=3,
                    color=None if len(runs) == 1 else f"C{index}",
                    label=split if len(runs) == 1 else f"{label} {split}",
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
        axis.legend(fontsize="small")
    figure.suptitle(title)
    figure.savefig(out, dpi=100)
    plt.close(figure)


def summarize(run_dir, points, metric, minutes=None):
    """The JSON summary of one run: its points, last and best validation."""
    summary = {"run_dir": str(run_dir), "metric": metric, "points": points}
    validation = points["validation"]
    if validation:
        summary["final_validation"] = validation[-1]
        summary["best_validation"] = min(validation, key=lambda p: p["value"])
    if minutes is not None:
        within = [p for p in validation if p["minutes"] <= minutes]
        summary[f"validation_within_{minutes:g}_minutes"] = (
            within[-1] if within else None
        )
    return summary


def saved_curves(argument, metric):
    """`[(run_dir, points)]` from a JSON file this script printed.

    `argument` is `FILE.json` (every summary in it) or `FILE.json#I` (the
    I-th, from 0). Raises `ValueError` for a missing or unreadable file, an
    index out of range, or curves of another metric.
    """
    path, _, index = argument.partition("#")
    try:
        data = json.loads(pathlib.Path(path).read_text())
    except (OSError, json.JSONDecodeError) as error:
        raise ValueError(
            f"Invalid saved curves {argument!r}: cannot read {path} ({error})."
        ) from None
    summaries = data if isinstance(data, list) else [data]
    if index:
        if not index.isdigit() or int(index) >= len(summaries):
            raise ValueError(
                f"Invalid saved curves {argument!r}: received index "
                f"{index!r}; expected 0 to {len(summaries) - 1}."
            )
        summaries = [summaries[int(index)]]
    for summary in summaries:
        if not isinstance(summary, dict) or "points" not in summary:
            raise ValueError(
                f"Invalid saved curves {argument!r}: expected the JSON this "
                "script prints (a summary with `points`, or a list of them)."
            )
        if summary.get("metric") != metric:
            raise ValueError(
                f"Invalid saved curves {argument!r}: they are of "
                f"{summary.get('metric')!r}; expected --metric {metric!r}."
            )
    return [(s["run_dir"], s["points"]) for s in summaries]


def is_saved(argument):
    """Whether a positional argument names saved curves, not a run folder."""
    return argument.partition("#")[0].endswith(".json")


def labels(run_dirs, configs):
    """Each run's model name, made unique with its folder where two share it."""
    names = [config["model"]["name"] for config in configs]
    return [
        name
        if names.count(name) == 1
        else f"{name} ({pathlib.Path(run_dir).name})"
        for name, run_dir in zip(names, run_dirs)
    ]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run_dirs", nargs="+", metavar="run_dir")
    parser.add_argument("--out", required=True)
    parser.add_argument("--metric", default="loss")
    parser.add_argument("--goal", type=float, default=None)
    parser.add_argument("--minutes", type=float, default=None)
    parser.add_argument("--title", default="")
    parser.add_argument(
        "--labels",
        default=None,
        help="comma-separated, one per run (default: the model names)",
    )
    args = parser.parse_args(argv)
    folders = [d for d in args.run_dirs if not is_saved(d)]
    try:
        configs = {d: run_files.read_config(d) for d in folders}
        folder_labels = dict(zip(folders, labels(folders, configs.values())))
        entries = []  # (run_dir, points, default label), in argument order
        for argument in args.run_dirs:
            if is_saved(argument):
                entries += [
                    (run_dir, points, pathlib.Path(run_dir).name)
                    for run_dir, points in saved_curves(argument, args.metric)
                ]
            else:
                points = curves(argument, configs[argument], args.metric)
                entries.append((argument, points, folder_labels[argument]))
    except ValueError as error:
        parser.error(str(error))
    names = [label for _, _, label in entries]
    if args.labels is None and len(set(names)) != len(names):
        parser.error(
            f"two curves share the label {names!r}; name each with --labels."
        )
    if args.labels is not None:
        names = [label.strip() for label in args.labels.split(",")]
        if len(names) != len(entries) or len(set(names)) != len(names):
            parser.error(
                f"argument --labels: received {args.labels!r} ({len(names)} "
                f"labels); expected {len(entries)} distinct labels, "
                "one per curve, separated by commas."
            )
    runs = {label: points for label, (_, points, _) in zip(names, entries)}
    plot(runs, args.metric, args.out, args.goal, args.minutes, args.title)
    summaries = [
        summarize(run_dir, points, args.metric, args.minutes)
        for run_dir, points, _ in entries
    ]
    print(
        json.dumps(summaries[0] if len(summaries) == 1 else summaries, indent=2)
    )


if __name__ == "__main__":
    from zoo.user_errors import exit_reporting_errors

    exit_reporting_errors(__file__, main)
