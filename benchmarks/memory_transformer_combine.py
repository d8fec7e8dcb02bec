"""Merges memory-Transformer experiment runs made side by side into one.

    python benchmarks/memory_transformer_combine.py A.json B.json \
        --out notes/data/both.json --plot notes/figures/both.png \
        --title "copy, lengths 1-8, window 4"

The experiment scripts (`memory_transformer_copy.py`, `_recall.py`, ...)
run their models one after the other; to use two cores, run one script
per model with its own `--out`, then merge. The runs must share every
option but `--models`, `--seeds`, `--out` and `--plot`. The merged JSON
keeps each run's command and commit, and its results in model order (the
first file's models first), then seed order.
"""

import argparse
import json
import pathlib

import memory_transformer_experiment as experiment

# Options that may differ between runs that are merged.
PER_RUN = {"models", "seeds", "out", "plot", "model_names", "seed_list"}


def combine(paths):
    """The merged report of the experiment JSONs at `paths`.

    Raises:
        ValueError: if a file cannot be read, is not an experiment report,
            or was run with other options than the first.
    """
    if not paths:
        raise ValueError("Invalid `paths`: received none; expected 1 or more.")
    reports = [_read(path) for path in paths]
    shared = _shared_arguments(reports[0])
    for path, report in zip(paths[1:], reports[1:], strict=True):
        other = _shared_arguments(report)
        differing = sorted(
            key
            for key in shared.keys() | other.keys()
            if shared.get(key) != other.get(key)
        )
        if differing:
            raise ValueError(
                f"Invalid run {str(path)!r}: its options {differing} differ "
                f"from those of {str(paths[0])!r}; expected runs of one "
                "experiment that differ only in models and seeds."
            )
    results = [r for report in reports for r in report["results"]]
    order = list(dict.fromkeys(r["model"] for r in results))
    results.sort(key=lambda r: (order.index(r["model"]), r["seed"]))
    return {
        "combined_from": [str(path) for path in paths],
        "commands": [report["command"] for report in reports],
        "commits": sorted({report["commit"] for report in reports}),
        "machine": reports[0]["machine"],
        "arguments": shared,
        "results": results,
    }


def _read(path):
    try:
        report = json.loads(pathlib.Path(path).read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(f"Cannot read run {str(path)!r}: {error}") from None
    keys = {"command", "commit", "arguments", "results"}
    if not isinstance(report, dict) or keys - set(report):
        raise ValueError(
            f"Invalid run {str(path)!r}: expected the JSON of an experiment "
            f"script, with command, commit, arguments and results."
        )
    return report


def _shared_arguments(report):
    return {
        key: value
        for key, value in report["arguments"].items()
        if key not in PER_RUN
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="+", help="experiment JSONs")
    parser.add_argument("--out", required=True)
    parser.add_argument("--plot", default=None)
    parser.add_argument("--title", default="")
    args = parser.parse_args(argv)
    try:
        report = combine(args.runs)
    except ValueError as error:
        parser.error(str(error))
    out = pathlib.Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=1) + "\n")
    if args.plot:
        experiment.plot_curves(
            report["results"],
            args.plot,
            args.title,
            report["arguments"].get("batch_size", 32),
        )
    summary = {
        f"{r['model']} seed {r['seed']}": r["first_step_at_most_0.1"]
        for r in report["results"]
    }
    print(json.dumps({"first_step_at_most_0.1": summary}, indent=1))
    return report


if __name__ == "__main__":
    from zoo.user_errors import exit_reporting_errors

    exit_reporting_errors(__file__, main)
