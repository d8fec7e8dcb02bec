"""Plots the read head's focus per step from random_start_memory_size runs.

    python benchmarks/plot_read_focus.py A.json B.json --items 6 \\
        --out notes/figures/ntm-recall-preset-read-focus.png

One panel per JSON (a preset), one line per memory size: the largest read
weight at every step of a sequence of `--items` items (mean over a
batch), with the bound of that memory size.
"""

import argparse
import json
import pathlib

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def read_result(path):
    """The JSON a run printed: the last top-level object in the file."""
    text = pathlib.Path(path).read_text()
    return json.loads(text[text.index("{\n") :] if "{\n" in text else text)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("results", nargs="+")
    parser.add_argument("--items", type=int, default=6)
    parser.add_argument("--out", required=True)
    args = parser.parse_args(argv)
    results = [read_result(path) for path in args.results]
    for path, result in zip(args.results, results):
        found = sorted({row["items"] for row in result["rows"]})
        if args.items not in found:
            raise SystemExit(
                f"Invalid `--items`: received {args.items}; {path} has "
                f"rows for items {found}."
            )
    figure, axes = plt.subplots(
        1, len(results), figsize=(5 * len(results), 3.6), sharey=True
    )
    axes = [axes] if len(results) == 1 else axes
    for ax, result in zip(axes, results):
        for row in result["rows"]:
            if row["items"] != args.items:
                continue
            scored = row["bound_of_this_size"]
            ax.plot(
                scored["read_focus"],
                label=(
                    f"{row['memory_size']} slots: "
                    f"{scored['bit_errors_per_sequence']:.2f} bit errors/seq"
                ),
            )
        ax.set_yscale("log")
        ax.set_xlabel(f"step ({args.items} items, then the query and answer)")
        ax.set_title(
            f"{result['preset']} (trained from a "
            f"{result.get('trained_memory_init', '?')} memory)",
            fontsize=9,
        )
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    axes[0].set_ylabel("largest read weight (batch mean)")
    figure.tight_layout()
    figure.savefig(args.out, dpi=100)
    print(json.dumps({"out": args.out}))


if __name__ == "__main__":
    from zoo.user_errors import exit_reporting_errors

    exit_reporting_errors(__file__, main)
