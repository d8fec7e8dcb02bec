"""TensorBoard pictures of a memory model's reads and writes each epoch."""

import pathlib

import numpy as np

from ntm_keras import inspect
from zoo.tensorboard.writer import InspectionLogger


def probe_example(task, split="test", candidates=32):
    """Returns the longest of the first `candidates` sequences of a split.

    Its length runs to the last step with an input or a scored target, so
    the padding of its batch is cut off. Bit tasks give `(1, time,
    input_dim)` inputs, token tasks `(1, time)` ids.

    Returns:
        `(inputs, targets, mask)` arrays of one sequence, batch axis kept.
    """
    inputs, targets, mask = (
        np.asarray(part) for part in next(iter(task.dataset(split, candidates)))
    )
    row = int(np.argmax(np.sum(mask, axis=1)))
    present = inspect.input_steps(inputs[row : row + 1])[0]
    length = int(np.max(np.nonzero(present | (mask[row] != 0))[0])) + 1
    return (
        inputs[row : row + 1, :length],
        targets[row : row + 1, :length],
        mask[row : row + 1, :length],
    )


class MemoryImages(InspectionLogger):
    """Writes a picture of the memory at work, and scalars about it.

    A fixed probe sequence runs through the model with
    `ntm_keras.inspect.memory_trace`. The picture (inputs, read and write
    weightings per head over time, for a DNC usage, allocation and read
    modes, the memory before and after, outputs and targets) goes to
    TensorBoard's Images tab as `memory/probe`; the scalars of
    `ntm_keras.inspect.trace_summary` (an NTM's mean interpolation gate and
    sharpening, a DNC's mean usage, allocation and write gates, weighting
    entropies, the count of non-finite values) go into the epoch logs, so
    place this callback before `keras.callbacks.TensorBoard`.

    On a bit task the probe is short and the trace runs every epoch. A
    token probe (a bAbI story, a window of text) is drawn with one row per
    word it uses (`ntm_keras.inspect.words_view`), and is stepped eagerly
    one token at a time, which can cost as much as an epoch of training;
    give it a `schedule` and it runs, scalars and picture together, only
    at the epochs the schedule chooses.

    Args:
        log_dir: path. TensorBoard directory of the run (its `train/` run
            receives the images).
        probe: `(inputs, targets, mask)` of one sequence with a batch axis.
        every: int. Epochs between pictures. Defaults to `1`.
        schedule: optional `InspectionSchedule`: the epochs at which it
            traces at all. Defaults to every epoch.
        pictures: bool. False logs the scalars only. Defaults to True.
    """

    def __init__(self, log_dir, probe, every=1, schedule=None, pictures=True):
        super().__init__(pathlib.Path(log_dir) / "train", schedule=schedule)
        self.probe = probe
        self.every = every
        self.pictures = pictures

    def inspect(self, epoch, logs=None):
        inputs, targets, mask = self.probe
        trace = inspect.memory_trace(self.model, inputs)
        if logs is not None:
            logs.update(inspect.trace_summary(trace))
        if not self.pictures or epoch % self.every:
            return
        inputs, targets = inputs[0], targets[0]
        if np.asarray(inputs).ndim == 1:  # token ids
            trace, inputs, targets, _ = inspect.words_view(
                trace, inputs, targets, mask[0]
            )
        figure = inspect.plot_memory_trace(
            trace, inputs, targets, title=f"epoch {epoch + 1}"
        )
        with self.writer(epoch):
            self.write_figure("memory/probe", figure)
