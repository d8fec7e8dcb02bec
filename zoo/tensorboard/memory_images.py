"""TensorBoard pictures of a memory model's reads and writes each epoch."""

import pathlib

import numpy as np

from ntm_keras import inspect
from zoo.tensorboard.writer import InspectionLogger


def probe_example(task, split="test", candidates=32):
    """Returns the longest of the first `candidates` sequences of a split.

    Returns:
        `(inputs, targets, mask)` arrays of one sequence, batch axis kept.
    """
    inputs, targets, mask = next(iter(task.dataset(split, candidates)))
    row = int(np.argmax(np.sum(mask.numpy(), axis=1)))
    length = (
        int(
            np.max(
                np.nonzero(
                    np.any(inputs.numpy()[row] != 0, axis=-1)
                    | (mask.numpy()[row] != 0)
                )[0]
            )
        )
        + 1
    )
    return (
        inputs.numpy()[row : row + 1, :length],
        targets.numpy()[row : row + 1, :length],
        mask.numpy()[row : row + 1, :length],
    )


class MemoryImages(InspectionLogger):
    """Writes a picture of the memory at work, and scalars about it.

    Each epoch, a fixed probe sequence runs through the model with
    `ntm_keras.inspect.memory_trace`. The picture (inputs, read and write
    weightings per head over time, the memory before and after, outputs and
    targets) goes to TensorBoard's Images tab as `memory/probe`; the mean
    interpolation gate, mean sharpening, weighting entropies and the count
    of non-finite values go into the epoch logs (so place this callback
    before `keras.callbacks.TensorBoard`).

    Args:
        log_dir: path. TensorBoard directory of the run (its `train/` run
            receives the images).
        probe: `(inputs, targets, mask)` of one sequence with a batch axis.
        every: int. Epochs between pictures. Defaults to `1`.
    """

    def __init__(self, log_dir, probe, every=1):
        super().__init__(pathlib.Path(log_dir) / "train")
        self.probe = probe
        self.every = every

    def on_epoch_end(self, epoch, logs=None):
        inputs, targets, _ = self.probe
        trace = inspect.memory_trace(self.model, inputs)
        if logs is not None:
            logs.update(inspect.trace_summary(trace))
        if epoch % self.every:
            return
        figure = inspect.plot_memory_trace(
            trace, inputs[0], targets[0], title=f"epoch {epoch + 1}"
        )
        with self.writer(epoch):
            self.write_figure("memory/probe", figure)
