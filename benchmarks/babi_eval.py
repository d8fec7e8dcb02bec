"""The bAbI error table of a trained run, printed and as JSON.

    python benchmarks/babi_eval.py runs/dnc-babi-20261202-101500 \
        --split test --checkpoint best --out notes/data/babi-task1-dnc.json

Loads the run's `best` (or `last`) checkpoint, rebuilds its bAbI task from
`config.json` (the data directory is taken from `--data-dir` when given,
since the run's may not exist here), and scores every question of the split
with `tasks.language.babi_report.error_table`: per task the share of
questions with any answer word wrong, the mean, and the failed tasks
(error > 5%).
"""

import argparse
import json
import os
import pathlib
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import tasks  # noqa: E402
from tasks.language import babi_report  # noqa: E402
from zoo import checkpointing, run_files  # noqa: E402


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run_dir")
    parser.add_argument(
        "--split", default="test", choices=("train", "validation", "test")
    )
    parser.add_argument(
        "--checkpoint", default="best", choices=("best", "last")
    )
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--out", default=None, help="JSON file to write")
    args = parser.parse_args(argv)
    config = run_files.read_config(args.run_dir)
    if config["task"]["name"] != "babi":
        raise ValueError(
            f"Invalid `run_dir`: {args.run_dir!r} trained on "
            f"{config['task']['name']!r}; expected a 'babi' run."
        )
    options = dict(config["task"]["options"])
    if args.data_dir is not None:
        options["data_dir"] = args.data_dir
    task = tasks.get("babi", **options)
    model = checkpointing.load_checkpoint(args.run_dir, args.checkpoint)
    table = babi_report.error_table(
        model, task, split=args.split, batch_size=args.batch_size
    )
    print(babi_report.format_error_table(table))
    last = checkpointing.last_state(args.run_dir) or {}
    report = {
        "benchmark": "babi_eval",
        "run_dir": str(args.run_dir),
        "model": config["model"]["name"],
        "model_overrides": config["model"]["overrides"],
        "task_options": config["task"]["options"],
        "training": config["training"],
        "commit": config["invocation"]["commit"],
        "checkpoint": args.checkpoint,
        "last_state": last,
        "parameters": model.count_params(),
        "table": table.as_dict(),
    }
    if args.out:
        path = pathlib.Path(args.out)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    sys.exit(main())
