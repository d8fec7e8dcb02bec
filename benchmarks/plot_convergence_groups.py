"""Convergence curves of several settings in one figure, seeds pooled.

    python benchmarks/plot_convergence_groups.py \
        --group "constant=runs/conv-a/results.json,runs/conv-b/results.json" \
        --group "learned=runs/conv-c/results.json" \
        --metric bits_per_sequence --goal 20 --out notes/figures/F.png

Each `--group LABEL=PATH[,PATH...]` pools the seeds of the `results.json`
files of `benchmarks/convergence.py` runs into one setting (`PATH#S` takes
seed S of the file alone): every seed is
drawn thin, the median over the seeds bold with the spread as a band, one
colour per setting (`benchmarks/convergence.py` draws its own runs with the
same function). Prints
one JSON line per setting: its seeds and, at the last evaluation that
every seed reached, the median and each seed's value of `--metric`.
"""

import argparse
import json

import numpy as np


def load_group(spec):
    """`(label, seeds)` of a `LABEL=PATH[,PATH...]` spec.

    A `PATH#S` takes seed S of the file alone.

    Raises:
        ValueError: if the spec has no `=`, a file holds no results, or
            not the seed asked for.
    """
    label, sep, paths = spec.partition("=")
    if not sep or not label or not paths:
        raise ValueError(
            f"Invalid `--group`: expected LABEL=PATH[,PATH...], received "
            f"{spec!r}."
        )
    seeds = []
    for entry in paths.split(","):
        path, _, wanted = entry.partition("#")
        with open(path) as handle:
            results = json.load(handle).get("results") or []
        if not results:
            raise ValueError(f"Invalid `--group` file {path!r}: no results.")
        if wanted:
            results = [r for r in results if str(r["seed"]) == wanted]
            if not results:
                raise ValueError(
                    f"Invalid `--group` entry {entry!r}: the file holds no "
                    f"seed {wanted}."
                )
        seeds += results
    return label, seeds


def summary(label, seeds, metric):
    """The median and per-seed value at the last evaluation all reached."""
    common = min(len(seed["curve"]) for seed in seeds)
    last = [seed["curve"][common - 1] for seed in seeds]
    return {
        "label": label,
        "seeds": [seed["seed"] for seed in seeds],
        "sequences": min(point["sequences"] for point in last),
        "median": round(float(np.median([p[metric] for p in last])), 2),
        "per_seed": [round(float(point[metric]), 2) for point in last],
    }


def plot(groups, metric, goal, path, title, *, log=False, goal_label=None):
    """Draws each group's seeds thin and its median bold, one colour each.

    Args:
        groups: `(label, seeds)` pairs; a seed is a `results` entry of
            `benchmarks/convergence.py` (its `seed` and `curve`).
        metric: the key of a curve point to draw.
        goal: a horizontal dashed line at this value, or None.
        path: the PNG to write.
        title: the figure's title.
        log: a symmetric log scale (linear below the goal), for error
            counts that fall by orders of magnitude.
        goal_label: the goal line's legend entry (default: "goal G").

    With more than one seed, a band shows the spread (min to max) over the
    evaluations that every seed of the group reached: a seed stops once it
    has been watched after converging.
    """
    from matplotlib.figure import Figure

    figure = Figure(figsize=(8, 4.5))
    axis = figure.subplots()
    for index, (label, seeds) in enumerate(groups):
        colour = f"C{index}"
        for seed in seeds:
            x = [p["sequences"] for p in seed["curve"]]
            y = [p[metric] for p in seed["curve"]]
            axis.plot(x, y, color=colour, alpha=0.3, linewidth=0.8)
        common = min(len(seed["curve"]) for seed in seeds)
        x = [p["sequences"] for p in seeds[0]["curve"][:common]]
        values = [[p[metric] for p in s["curve"][:common]] for s in seeds]
        axis.plot(
            x,
            np.median(values, axis=0),
            color=colour,
            linewidth=2,
            label=(
                f"{label}: median of {len(seeds)} seeds"
                if len(seeds) > 1
                else f"{label}: seed {seeds[0]['seed']}"
            ),
        )
        if len(seeds) > 1:
            axis.fill_between(
                x,
                np.min(values, axis=0),
                np.max(values, axis=0),
                color=colour,
                alpha=0.12,
            )
    if goal is not None:
        axis.axhline(
            goal,
            color="C3",
            linestyle="--",
            linewidth=1,
            label=goal_label or f"goal {goal:g}",
        )
    if log:
        axis.set_yscale("symlog", linthresh=goal or 0.1)
        axis.set_ylim(bottom=0)
    axis.set_xlabel("training sequences")
    axis.set_ylabel(metric.replace("_", " ") + " (1,024 held out)")
    axis.set_title(title)
    axis.grid(alpha=0.3)
    axis.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=100)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--group", action="append", required=True)
    parser.add_argument("--metric", default="bit_errors_per_sequence")
    parser.add_argument("--goal", type=float, default=None)
    parser.add_argument("--title", default="")
    parser.add_argument(
        "--goal-label", default=None, help="the goal line's legend entry"
    )
    parser.add_argument(
        "--log",
        action="store_true",
        help="a symmetric log scale, linear below --goal (for bit errors)",
    )
    parser.add_argument("--out", required=True)
    args = parser.parse_args(argv)
    try:
        groups = [load_group(spec) for spec in args.group]
        lines = [summary(label, seeds, args.metric) for label, seeds in groups]
    except (ValueError, OSError) as error:
        parser.exit(2, f"{parser.prog}: error: {error}\n")
    except KeyError as error:
        parser.exit(2, f"{parser.prog}: error: no {error} in a curve\n")
    for line in lines:
        print(json.dumps(line))
    plot(
        groups,
        args.metric,
        args.goal,
        args.out,
        args.title,
        log=args.log,
        goal_label=args.goal_label,
    )


if __name__ == "__main__":
    from zoo.user_errors import exit_reporting_errors

    exit_reporting_errors(__file__, main)
