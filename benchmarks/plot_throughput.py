"""Bar chart of training throughput from `throughput.py` JSON files.

    python benchmarks/plot_throughput.py notes/data/throughput-b*.json \
        --out notes/figures/throughput.png

One group of bars per file (batch size, XLA on or off), one bar per model,
labelled with its sequences per second.
"""

import argparse
import json
import pathlib

import matplotlib

matplotlib.use("Agg")

from matplotlib import pyplot  # noqa: E402


def label(result):
    model = result["model"]
    if result["overrides"]:
        options = ",".join(f"{k}={v}" for k, v in result["overrides"].items())
        model = f"{model}({options})"
    return model


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="+")
    parser.add_argument("--out", required=True)
    args = parser.parse_args(argv)
    groups = []
    for path in args.files:
        results = json.loads(pathlib.Path(path).read_text())["results"]
        first = results[0]
        name = (
            f"batch {first['batch_size']}\n"
            f"XLA {'on' if first['jit_compile'] else 'off'}"
        )
        groups.append((name, results))
    models = sorted({label(r) for _, results in groups for r in results})
    width = 0.8 / len(models)
    centre = (len(models) - 1) / 2
    figure, axis = pyplot.subplots(figsize=(8, 4.5))
    for index, model in enumerate(models):
        xs, ys = [], []
        for position, (_, results) in enumerate(groups):
            for result in results:
                if label(result) == model:
                    xs.append(position + (index - centre) * width)
                    ys.append(result["train_sequences_per_second"])
        bars = axis.bar(xs, ys, width=width, label=model)
        axis.bar_label(bars, fmt="%.0f", fontsize=8)
    axis.set_xticks(range(len(groups)), [name for name, _ in groups])
    axis.set_ylabel("training sequences per second (median)")
    axis.set_title("Copy task, lengths 1-20, 2 CPU cores")
    axis.legend()
    axis.grid(axis="y", alpha=0.3)
    figure.tight_layout()
    figure.savefig(args.out, dpi=100)


if __name__ == "__main__":
    from zoo.user_errors import exit_reporting_errors

    exit_reporting_errors(__file__, main)
