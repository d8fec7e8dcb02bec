"""Curricula: callbacks that raise a task's difficulty during `fit`.

A task's difficulty (the copy task's current maximum length) is a
`tf.Variable` that its pipelines read for every batch, so raising it needs no
new dataset. Every curriculum also writes the current level to the logs as
`curriculum_level`, which TensorBoard then plots.

`CURRICULA` maps the names that `ntm-keras train --curriculum NAME` takes to
the classes: `none`, `doubling` and `combined`.
"""

from typing import TYPE_CHECKING

import keras

from ntm_keras import validation

if TYPE_CHECKING:  # annotations only; zoo imports tasks just for sizing
    from tasks import Task


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


class CombinedCurriculum(DoublingCurriculum):
    """Doubles the difficulty, but trains on some of the whole range too.

    The "combined" strategy of
    [Zaremba & Sutskever 2014](https://arxiv.org/abs/1410.4615), section 4:
    every training sequence comes either from the current stage of a
    step-by-step curriculum or from the "mix" strategy, which draws its
    difficulty uniformly from the whole range, so the network meets hard
    examples from the start and keeps seeing easy ones. Collier & Beel
    compare it with other syllabuses on the NTM's tasks under the name "Look
    Back and Forward" ([Collier & Beel 2018](https://arxiv.org/abs/1809.10789)),
    and find it the best hand-crafted syllabus they tried.

    Here the stepwise part is `DoublingCurriculum` (the current level doubles
    after an epoch whose `monitor` is below `threshold`), and each train
    sequence independently comes from the whole range with probability
    `mix_probability` (see `tasks.Task.set_mix_probability`). The validation
    split never mixes, so `monitor` measures the current level. The default
    share, 0.2, is the one in the code published with Collier & Beel's
    comparison; Zaremba & Sutskever do not state theirs.

    Args:
        task: a `tasks.Task`.
        start: int. First difficulty. Defaults as in `DoublingCurriculum`.
        threshold: float. Defaults to `1.0`.
        monitor: str. Defaults to `"val_bit_errors_per_sequence"`.
        mix_probability: float in [0, 1]. Share of train sequences drawn
            from the whole range. Defaults to `0.2`.

    Example:

    >>> import tasks
    >>> task = tasks.get("copy", max_length=20)
    >>> schedule = CombinedCurriculum(task)
    >>> task.difficulty, task.mix_probability
    (2, 0.2)
    """

    def __init__(
        self,
        task: "Task",
        *,
        start: int | None = None,
        threshold: float = 1.0,
        monitor: str = "val_bit_errors_per_sequence",
        mix_probability: float = 0.2,
    ):
        super().__init__(
            task, start=start, threshold=threshold, monitor=monitor
        )
        task.set_mix_probability(mix_probability)

    def get_state(self) -> dict:
        return {
            **super().get_state(),
            "mix_probability": self.task.mix_probability,
        }

    def set_state(self, state: dict) -> None:
        super().set_state(state)
        self.task.set_mix_probability(state["mix_probability"])


CURRICULA = {
    "none": Curriculum,
    "doubling": DoublingCurriculum,
    "combined": CombinedCurriculum,
}


def make_curriculum(name, task):
    """Returns the curriculum callback called `name` for `task`."""
    validation.check_choice("curriculum", name, CURRICULA)
    return CURRICULA[name](task)
