"""Shared pieces of the bit-vector tasks of the NTM paper.

Legend: B = batch size, T = time steps, D = bits per step.
"""

import numpy as np

from ntm_keras import losses, metrics
from tasks.task import Task


class BitTask(Task):
    """A task whose targets are bit vectors scored with the NTM metrics."""

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
