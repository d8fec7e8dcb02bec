"""A trained DNC's memory on one bAbI story, for the notes.

    python benchmarks/babi_trace_figure.py runs/babi/dnc-babi-... \
        --out notes/figures/dnc-babi-task1-trace.png

Loads the run's best checkpoint, takes the longest of the first 32 test
questions and draws `ntm_keras.inspect.plot_memory_trace` of it: the input
rows are the words of that story (one-hot), the output rows the model's
probabilities of the same words. Prints JSON with the question, the answer
and the model's answer.
"""

import argparse
import json
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402

import tasks  # noqa: E402
from ntm_keras import inspect  # noqa: E402
from zoo.training import checkpointing, run_files  # noqa: E402


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run_dir")
    parser.add_argument("--out", required=True)
    args = parser.parse_args(argv)
    config = run_files.read_config(args.run_dir)
    task = tasks.get("babi", **config["task"]["options"])
    model = checkpointing.load_checkpoint(args.run_dir, "best")
    examples = [task.held_out_example("test", index) for index in range(32)]
    inputs, targets, mask = max(examples, key=lambda example: len(example[0]))
    full = inspect.memory_trace(model, inputs[None, :])
    trace, one_hot, scored, words = inspect.words_view(
        full, inputs, targets, mask
    )
    answer = " ".join(task.decode(targets[mask == 1]))
    predicted = np.argmax(full["outputs"][mask == 1], axis=-1)
    predicted = " ".join(task.decode(predicted))
    question = " ".join(task.decode(inputs)).split(" . ")[-1]
    figure = inspect.plot_memory_trace(
        trace,
        one_hot,
        scored,
        title=f"{question} (answer {answer!r}, model {predicted!r})",
    )
    figure.savefig(args.out, dpi=80, bbox_inches="tight")
    print(
        json.dumps(
            {
                "figure": args.out,
                "question": question,
                "answer": answer,
                "model": predicted,
                "words": task.decode(words),
            }
        )
    )


if __name__ == "__main__":
    from zoo.user_errors import exit_reporting_errors

    exit_reporting_errors(__file__, main)
