"""Bar chart of the memory Transformers' throughput attempts.

    python benchmarks/plot_memory_transformer_throughput.py \
        notes/data/memory-transformer-throughput-*.json \
        --out notes/figures/memory-transformer-throughput.png

Each JSON is one run of `benchmarks/memory_transformer_throughput.py`; the
chart shows every model's ratio to the first model of its run (the
`transformer_lm` reference), one group of bars per run, labelled by the
run's `--note`.
"""

import argparse
import json


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="+")
    parser.add_argument("--out", required=True)
    args = parser.parse_args(argv)
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot

    runs = [json.load(open(path)) for path in args.runs]
    labels, ratios, names = [], [], []
    for run in runs:
        note = run["arguments"].get("note") or run["commit"]
        for result in run["results"][1:]:
            labels.append(f"{note}\n{result['model']}")
            ratios.append(result["ratio_to_first"])
            names.append(result["model"])
    figure, axis = pyplot.subplots(figsize=(9, 0.5 + 0.45 * len(labels)))
    colours = ["C1" if name.startswith("dnc") else "C0" for name in names]
    axis.barh(range(len(labels)), ratios, color=colours)
    axis.set_yticks(range(len(labels)), labels, fontsize=7)
    axis.invert_yaxis()
    axis.axvline(0.5, color="C3", linestyle="--", linewidth=1, label="goal")
    axis.axvline(1.0, color="gray", linewidth=1)
    for index, ratio in enumerate(ratios):
        axis.text(ratio + 0.01, index, f"{ratio:.2f}", va="center", fontsize=7)
    axis.set_xlabel("training tokens per second / transformer_lm's (window 32)")
    axis.set_title("memory Transformers' throughput, 2 shared CPU cores")
    axis.legend(loc="lower right")
    figure.tight_layout()
    figure.savefig(args.out, dpi=100)
    pyplot.close(figure)


if __name__ == "__main__":
    from zoo.user_errors import exit_reporting_errors

    exit_reporting_errors(__file__, main)
