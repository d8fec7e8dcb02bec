"""How often a bAbI task 1 model answers with the last place mentioned.

    python benchmarks/babi_shortcut.py runs/babi1/transformer_lm-babi-...

Loads the run's best checkpoint, answers every task 1 question of the test
split and compares each answer with two hand-written readers
(`tasks.language.babi_task1_rules`): the person rule (the last place of
the person asked about, right on every question) and the last place
mentioned (a shortcut, right about half the time). Prints JSON: the share
of questions the model gets right, the share on which it gives the
shortcut's answer, and the shortcut's own score.
"""

import argparse
import json
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402

import tasks  # noqa: E402
from tasks.language import babi_task1_rules  # noqa: E402
from zoo.training import checkpointing, run_files  # noqa: E402


def agreement(model, task, batch_size=100):
    """Returns the counts of right and shortcut answers on task 1's test."""
    counts = dict.fromkeys(
        (
            "questions",
            "model_right",
            "model_says_last_place",
            "last_place_right",
        ),
        0,
    )
    for inputs, questions in babi_task1_rules.task1_batches(
        task, "test", batch_size
    ):
        logits = model.predict(inputs, verbose=0)  # (B, T, V)
        for row, words, answer, step in questions:
            (guess,) = task.decode([int(np.argmax(logits[row, step]))])
            shortcut = babi_task1_rules.last_place_rule(words)
            counts["questions"] += 1
            counts["model_right"] += guess == answer
            counts["model_says_last_place"] += guess == shortcut
            counts["last_place_right"] += shortcut == answer
    return counts


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run_dir")
    args = parser.parse_args(argv)
    config = run_files.read_config(args.run_dir)
    options = config["task"]["options"]
    if config["task"]["name"] != "babi" or 1 not in options["tasks"]:
        raise SystemExit(f"{args.run_dir} is not a run on bAbI task 1.")
    task = tasks.get("babi", **options)
    model = checkpointing.load_checkpoint(args.run_dir, "best")
    counts = agreement(model, task)
    total = max(counts["questions"], 1)
    shares = {
        k: round(v / total, 4) for k, v in counts.items() if k != "questions"
    }
    print(
        json.dumps(
            {"run": args.run_dir, "questions": counts["questions"], **shares}
        )
    )


if __name__ == "__main__":
    from zoo.user_errors import exit_reporting_errors

    exit_reporting_errors(__file__, main)
