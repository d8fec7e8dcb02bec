"""One table of several runs' generalisation evaluations, for the notes.

    ntm-keras eval RUN --lengths 20,40,60,120      # for each run first
    python benchmarks/generalisation_table.py RUN [RUN ...] --out FILE.json

Reads each run's `eval/lengths.json` (written by `ntm-keras eval
--lengths`; `--evaluation lengths-memory-512` reads the evaluation with
`--memory-size 512` instead) and its `config.json`, prints a Markdown
table of bit errors per sequence (and bit accuracy at the longest size)
with one row per run, and writes the rows as JSON.
"""

import argparse
import json
import pathlib
import sys

from zoo.training import run_files


def read_run(run_dir, evaluation="lengths"):
    """Returns `{run, seed, overrides, sizes: {size: row}}` of one run.

    `evaluation` names the file in the run's `eval/` directory.
    """
    path = pathlib.Path(run_dir) / "eval" / f"{evaluation}.json"
    if not path.is_file():
        raise SystemExit(
            f"{path} does not exist: run `ntm-keras eval {run_dir} "
            "--lengths ...` first."
        )
    evaluation = json.loads(path.read_text())
    config = run_files.read_config(run_dir)
    return {
        "run": str(run_dir),
        "seed": config["training"]["seed"],
        "overrides": config["model"]["overrides"],
        "num_sequences": evaluation["num_sequences"],
        "memory_size": evaluation["memory_size"],
        "sizes": {row["size"]: row for row in evaluation["rows"]},
    }


def markdown(runs):
    sizes = sorted({size for run in runs for size in run["sizes"]})
    longest = sizes[-1]
    header = (
        "| run | seed | "
        + " | ".join(f"{size}: bit errors" for size in sizes)
        + f" | {longest}: bit accuracy |"
    )
    lines = [header, "|" + "---|" * (len(sizes) + 3)]
    for run in runs:
        cells = [
            f"{run['sizes'][s]['bit_errors_per_sequence']:.3f}"
            if s in run["sizes"]
            else ""
            for s in sizes
        ]
        accuracy = run["sizes"].get(longest, {}).get("bit_accuracy")
        shown = "" if accuracy is None else f"{accuracy:.4f}"
        name = pathlib.Path(run["run"]).name
        lines.append(
            f"| {name} | {run['seed']} | " + " | ".join(cells) + f" | {shown} |"
        )
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="+")
    parser.add_argument("--out", help="JSON file for the rows")
    parser.add_argument(
        "--evaluation",
        default="lengths",
        help="which eval/NAME.json to read (default: lengths)",
    )
    args = parser.parse_args(argv)
    runs = [read_run(run, args.evaluation) for run in args.runs]
    print(markdown(runs))
    if args.out:
        pathlib.Path(args.out).write_text(json.dumps(runs, indent=2) + "\n")
        print(f"Wrote {args.out}", file=sys.stderr)


if __name__ == "__main__":
    from zoo.user_errors import exit_reporting_errors

    exit_reporting_errors(__file__, main)
