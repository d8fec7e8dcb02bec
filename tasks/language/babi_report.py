"""The bAbI error table: error rate per task, mean error, failed tasks.

The DNC paper ([Graves et al. 2016](https://www.nature.com/articles/
nature20101), Extended Data Table 1) reports, per task, the share of test
questions answered wrongly; a question is wrong when any of its answer
words is. A task fails when its error is above 5%.
"""

import dataclasses

import numpy as np

from ntm_keras import validation

FAILURE_THRESHOLD = 0.05


@dataclasses.dataclass(frozen=True)
class ErrorTable:
    """Per-task error rates of a model on one split.

    Attributes:
        split: str. The split scored.
        errors: dict from task number to the fraction of wrong questions.
        counts: dict from task number to the number of questions.
        mean_error: float. Mean of `errors` over the tasks.
        num_failed: int. Tasks whose error is above 5%.
    """

    split: str
    errors: dict
    counts: dict
    mean_error: float
    num_failed: int

    def as_dict(self):
        """The table as plain values (JSON-ready; task numbers as str)."""
        return {
            "split": self.split,
            "errors": {str(k): v for k, v in self.errors.items()},
            "counts": {str(k): v for k, v in self.counts.items()},
            "mean_error": self.mean_error,
            "num_failed": self.num_failed,
        }


def question_errors(logits, targets, sample_weight):
    """Returns `(B,)` booleans: any answer word of the question is wrong.

    Args:
        logits: `(batch_size, time, vocabulary_size)` scores.
        targets: `(batch_size, time)` token ids.
        sample_weight: `(batch_size, time)`, nonzero on answer steps.
    """
    predicted = np.argmax(np.asarray(logits), axis=-1)  # (B, T)
    wrong = (predicted != np.asarray(targets)) & (np.asarray(sample_weight) > 0)
    return wrong.any(axis=1)


def error_table(model, task, split="test", batch_size=64):
    """Runs `model` over every question of a split and scores each task.

    Args:
        model: a Keras model or any callable from `(batch_size, time)` int32
            ids to `(batch_size, time, vocabulary_size)` logits.
        task: a `babi` task (`tasks.get("babi", ...)`).
        split: str. `"train"`, `"validation"` or `"test"`. Defaults to
            `"test"`.
        batch_size: int. Questions per call. Defaults to `64`.

    Returns:
        An `ErrorTable` over the task's task numbers.
    """
    if not hasattr(task, "question_dataset"):
        raise TypeError(
            f"Invalid `task`: received {task!r}; expected a 'babi' task "
            "(tasks.get('babi', ...))."
        )
    batch_size = validation.check_positive_int("batch_size", batch_size)
    wrong = {number: 0 for number in task.tasks}
    counts = {number: 0 for number in task.tasks}
    for inputs, targets, weights, numbers in task.question_dataset(
        split, batch_size
    ):
        if hasattr(model, "predict_on_batch"):
            logits = model.predict_on_batch(inputs)
        else:
            logits = model(inputs)
        errors = question_errors(logits, targets, weights)
        for number, error in zip(np.asarray(numbers), errors):
            counts[int(number)] += 1
            wrong[int(number)] += int(error)
    errors = {
        number: wrong[number] / counts[number] if counts[number] else 0.0
        for number in task.tasks
    }
    return ErrorTable(
        split=split,
        errors=errors,
        counts=counts,
        mean_error=float(np.mean(list(errors.values()))),
        num_failed=sum(e > FAILURE_THRESHOLD for e in errors.values()),
    )


def format_error_table(table):
    """Returns the table as text: one row per task, then mean and failures.

    Example:

    >>> table = ErrorTable("test", {1: 0.0, 2: 0.25}, {1: 4, 2: 4}, 0.125, 1)
    >>> print(format_error_table(table))
    bAbI test error (a question is wrong if any answer word is)
    task  name                        questions   error
       1  single-supporting-fact              4    0.0%
       2  two-supporting-facts                4   25.0%  failed
    mean error                                    12.5%
    failed tasks (error > 5%)                    1 of 2
    """
    from tasks.language.babi_format import TASK_NAMES

    lines = [
        f"bAbI {table.split} error (a question is wrong if any answer word is)",
        f"{'task':>4}  {'name':<26}  {'questions':>9}  {'error':>6}",
    ]
    for number, error in table.errors.items():
        flag = "  failed" if error > FAILURE_THRESHOLD else ""
        lines.append(
            f"{number:>4}  {TASK_NAMES[number - 1]:<26}  "
            f"{table.counts[number]:>9}  {100 * error:>5.1f}%{flag}"
        )
    lines.append(f"{'mean error':<43}  {100 * table.mean_error:>5.1f}%")
    failed = f"{table.num_failed} of {len(table.errors)}"
    lines.append(f"{'failed tasks (error > 5%)':<40}{failed:>11}")
    return "\n".join(lines)
