"""Shared pieces of the bit-vector tasks of the NTM paper.

Legend: B = batch size, T = time steps, D = bits per step.
"""

import numpy as np
import tensorflow as tf

from ntm_keras import losses, metrics, validation
from tasks.task import Task


class BitTask(Task):
    """A task whose targets are bit vectors scored with the NTM metrics."""

    def check_size_range(self, low_name, low, high_name, high, minimum=1):
        """Checks a `[low, high]` training range; returns `(low, high)`."""
        low = validation.check_int(low_name, low, minimum=minimum)
        high = validation.check_int(high_name, high, minimum=minimum)
        if low > high:
            raise ValueError(
                f"Invalid `{low_name}`: received {low}, which is greater "
                f"than `{high_name}` ({high}); expected {low_name} <= "
                f"{high_name}."
            )
        return low, high

    def set_generalisation_sizes(self, option, sizes, prefix, minimum=1):
        """Checks the held-out sizes of `option`; names a split per size.

        Sets the attribute `option` to the sizes and
        `generalisation_splits` to `"<prefix>_<size>"` for each.
        """
        sizes = tuple(
            validation.check_int(option, size, minimum=minimum)
            for size in sizes
        )
        setattr(self, option, sizes)
        self.generalisation_splits = tuple(f"{prefix}_{n}" for n in sizes)

    def split_size_range(self, split, low, high, prefix):
        """The `(low, high)` sizes of `split`, as tensors.

        Train and validation go from `low` to the current difficulty, test
        from `low` to `high`, and a generalisation split `"<prefix>_<n>"`
        has exactly `n`.
        """
        if split in ("train", "validation"):
            return tf.constant(low), self._difficulty.read_value()
        if split == "test":
            return tf.constant(low), tf.constant(high)
        size = int(split.removeprefix(f"{prefix}_"))
        return tf.constant(size), tf.constant(size)

    def loss(self):
        # Nats per sequence, summed over the scored bits (Collier & Beel).
        return losses.SequenceBinaryCrossentropy()

    def metrics(self):
        return [
            metrics.BitsPerSequence(),
            metrics.BitErrorsPerSequence(),
            metrics.SequenceAccuracy(),
        ]

    def render(self, example):
        """Draws one example as rows of channels over time.

        Args:
            example: `(inputs, targets, mask)` of one sequence, shaped
                `(time, input_dim)`, `(time, output_dim)` and `(time,)`;
                tensors or arrays.

        Returns:
            str. `#` marks a 1, `.` a 0, `-` a step that is not scored.
        """
        inputs, targets, mask = (np.asarray(part) for part in example)
        lines = []
        for channel in range(inputs.shape[-1]):
            row = self.input_row(channel, inputs)
            lines.append(f"input  {channel:>2} {row}")
        for channel in range(targets.shape[-1]):
            row = "".join(
                ("#" if v > 0.5 else ".") if m else "-"
                for v, m in zip(targets[:, channel], mask)
            )
            lines.append(f"target {channel:>2} {row}")
        lines.append("mask      " + "".join("1" if m else "0" for m in mask))
        return "\n".join(lines)

    def input_row(self, channel, inputs):
        """Draws one input channel of `render`, one character per step.

        Tasks with a channel that is not a bit (a count, a priority)
        override this for that channel.

        Args:
            channel: int. The channel to draw.
            inputs: `(time, input_dim)` array of one sequence.

        Returns:
            str. `#` where the channel is above 0.5, `.` elsewhere.
        """
        return "".join("#" if v > 0.5 else "." for v in inputs[:, channel])
