"""Draws how many copy sequences' read heads have slipped, step by step.

    python benchmarks/copy_read_offset_plot.py A.json B.json --length 120 \\
        --labels "min_sharpening 1" "min_sharpening 2" --out figure.png

Reads the JSON of `benchmarks/copy_read_offset.py` (one file per model)
and draws, for one sequence length, the share of sequences whose read
head has left the first word's slot by each input step.
"""

import argparse
import json
import pathlib

import numpy as np


def slipped_share(summary, length):
    """Share of sequences slipped by each input step `0 .. length`.

    Args:
        summary: one length's entry of `copy_read_offset`'s JSON.
        length: int, the sequence length (the delimiter is step `length`).

    Returns:
        array `(length + 1,)`, non-decreasing, in [0, 1].
    """
    steps = [t for group in summary["by_offset"] for t in group["slip_steps"]]
    counts = np.bincount(np.asarray(steps, int), minlength=length + 1)
    return np.cumsum(counts[: length + 1]) / summary["sequences"]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("reports", nargs="+", help="copy_read_offset JSON")
    parser.add_argument("--length", type=int, required=True)
    parser.add_argument("--labels", nargs="+", help="one per report")
    parser.add_argument("--title")
    parser.add_argument("--out", required=True)
    args = parser.parse_args(argv)
    labels = args.labels or [pathlib.Path(r).stem for r in args.reports]
    if len(labels) != len(args.reports):
        parser.error(
            f"--labels: got {len(labels)} labels for {len(args.reports)} "
            "reports; expected one each"
        )
    curves = []
    for path in args.reports:
        try:
            report = json.loads(pathlib.Path(path).read_text())
            summary = report["lengths"][str(args.length)]
        except (OSError, ValueError, KeyError) as error:
            parser.error(f"{path}: no length {args.length} in it ({error})")
        curves.append(slipped_share(summary, args.length))

    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot

    figure, axes = pyplot.subplots(figsize=(6.4, 3.6))
    for label, curve in zip(labels, curves):
        axes.step(np.arange(curve.size), 100 * curve, where="post", label=label)
    axes.axvline(
        20, color="grey", linestyle=":", label="longest training length"
    )
    axes.set_xlabel("input step")
    axes.set_ylabel("sequences whose read head slipped (%)")
    axes.set_title(args.title or f"copy, length {args.length}")
    axes.legend()
    figure.tight_layout()
    figure.savefig(args.out, dpi=120)
    print(args.out)


if __name__ == "__main__":
    from zoo.user_errors import exit_reporting_errors

    exit_reporting_errors(__file__, main)
