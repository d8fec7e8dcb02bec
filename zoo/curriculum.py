"""Curricula: callbacks that raise a task's difficulty during `fit`.

A task's difficulty (the copy task's current maximum length) is a
`tf.Variable` that its pipelines read for every batch, so raising it needs no
new dataset. Every curriculum also writes the current level to the logs as
`curriculum_level`, which TensorBoard then plots.
"""

import keras

from ntm_keras import validation


class Curriculum(keras.callbacks.Callback):
    """No curriculum: trains at full difficulty and logs the level.

    Args:
        task: a `tasks.Task`.
    """

    def __init__(self, task):
        super().__init__()
        self.task = task

    def get_state(self):
        """Returns what a resumed run needs, as plain values."""
        return {"difficulty": self.task.difficulty}

    def set_state(self, state):
        self.task.set_difficulty(state["difficulty"])

    def on_epoch_end(self, epoch, logs=None):
        self.update(epoch, logs if logs is not None else {})
        if logs is not None:
            logs["curriculum_level"] = float(self.task.difficulty)

    def update(self, epoch, logs):
        """Raises the difficulty if the logs say so. Subclasses override."""


class DoublingCurriculum(Curriculum):
    """Starts short and doubles the difficulty when the error is low.

    Training begins at `start`; after an epoch whose `monitor` is below
    `threshold`, the difficulty doubles (up to the task's maximum), as in the
    curriculum used by [Collier & Beel 2018](https://arxiv.org/abs/1807.08518)
    for the NTM's algorithmic tasks.

    Args:
        task: a `tasks.Task`.
        start: int. First difficulty. Defaults to the task's lowest, but at
            least 2 so that doubling makes progress.
        threshold: float. Defaults to `1.0` (one bit error per sequence).
        monitor: str. Defaults to `"val_bit_errors_per_sequence"`.
    """

    def __init__(
        self,
        task,
        *,
        start=None,
        threshold=1.0,
        monitor="val_bit_errors_per_sequence",
    ):
        super().__init__(task)
        low, high = task.difficulty_range
        if start is None:
            start = min(high, max(low, 2))
        validation.check_int("start", start, minimum=low, maximum=high)
        self.threshold = validation.check_float("threshold", threshold)
        self.monitor = monitor
        task.set_difficulty(start)

    def update(self, epoch, logs):
        if self.monitor not in logs:
            raise ValueError(
                f"Invalid `monitor`: {self.monitor!r} is not among the epoch "
                f"logs {sorted(logs)}; pass `validation_data` to `fit` or "
                "choose a logged key."
            )
        high = self.task.difficulty_range[1]
        if logs[self.monitor] < self.threshold and self.task.difficulty < high:
            self.task.set_difficulty(min(high, 2 * self.task.difficulty))


CURRICULA = {"none": Curriculum, "doubling": DoublingCurriculum}


def make_curriculum(name, task):
    """Returns the curriculum callback called `name` for `task`."""
    validation.check_choice("curriculum", name, CURRICULA)
    return CURRICULA[name](task)
