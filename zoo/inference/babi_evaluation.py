"""The bAbI error table of a run: error per task, mean, failed tasks."""

import pathlib

import tasks
from ntm_keras import validation
from tasks.language import babi_report
from zoo.inference.evaluation import EVAL_DIR
from zoo.training import checkpointing, run_files

SPLITS = ("validation", "test")


def evaluate_babi(run_dir, *, split="test", batch_size=32, which="best"):
    """Scores a bAbI run's model question by question, per task.

    Writes `eval/babi-<split>.json` in the run directory.

    Args:
        run_dir: path. A run directory of a `babi` task with a checkpoint.
        split: str. `"validation"` or `"test"`. Defaults to `"test"`.
        batch_size: int. Questions per batch. Defaults to `32`.
        which: str. `"best"` or `"last"` checkpoint. Defaults to `"best"`.

    Returns:
        A `tasks.language.babi_report.ErrorTable`.
    """
    run_dir = pathlib.Path(run_dir)
    validation.check_choice("split", split, SPLITS)
    validation.check_positive_int("batch_size", batch_size)
    validation.check_choice("which", which, ("best", "last"))
    config = run_files.read_config(run_dir)
    if config["task"]["name"] != "babi":
        raise ValueError(
            f"Invalid `run_dir`: {str(run_dir)!r} trained task "
            f"{config['task']['name']!r}; the bAbI error table needs a "
            "'babi' run."
        )
    task = tasks.get("babi", **config["task"]["options"])
    model = checkpointing.load_checkpoint(run_dir, which)
    table = babi_report.error_table(model, task, split, batch_size)
    out = run_dir / EVAL_DIR
    out.mkdir(exist_ok=True)
    run_files.write_json(
        out / f"babi-{split}.json", {"checkpoint": which, **table.as_dict()}
    )
    return table
