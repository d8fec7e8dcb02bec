"""Base class for metrics that average a per-sequence value.

Legend: B = batch size, T = time steps, D = bits per step.
"""

import keras
from keras import ops


class SequenceMean(keras.metrics.Metric):
    """Mean over sequences of a value summed over each sequence's scored steps.

    Subclasses implement `sequence_values(y_true, y_pred, mask)`, which maps
    `(batch_size, time, bits)`, `(batch_size, time, bits)` and
    `(batch_size, time)` to `(batch_size,)`. The mask is the sample weight the
    task's dataset yields (1 where the target is scored), so pass these
    metrics to `compile(weighted_metrics=...)`.

    Args:
        name: str. Name of the metric.
        dtype: Dtype of the metric's result.
    """

    def __init__(self, name, dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.total = self.add_variable(
            shape=(), initializer="zeros", name="total"
        )
        self.count = self.add_variable(
            shape=(), initializer="zeros", name="count"
        )

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true = ops.cast(y_true, self.dtype)
        y_pred = ops.cast(y_pred, self.dtype)
        if sample_weight is None:
            mask = ops.ones(ops.shape(y_true)[:2], dtype=self.dtype)
        else:
            mask = ops.cast(sample_weight, self.dtype)
            if len(mask.shape) == 3:
                mask = ops.squeeze(mask, axis=-1)
        values = self.sequence_values(y_true, y_pred, mask)  # (B,)
        self.total.assign_add(ops.sum(values))
        self.count.assign_add(ops.cast(ops.shape(values)[0], self.dtype))

    def sequence_values(self, y_true, y_pred, mask):
        raise NotImplementedError

    def result(self):
        return ops.divide_no_nan(self.total, self.count)

    def reset_state(self):
        self.total.assign(0.0)
        self.count.assign(0.0)


def scored_sum(values, mask):
    """Sums `(B, T, D)` values over the steps where `mask` `(B, T)` is set."""
    return ops.sum(values * mask[:, :, None], axis=(1, 2))


def bit_errors(y_true, y_pred):
    """Returns 1.0 where the thresholded prediction differs from the target."""
    predicted_bits = ops.cast(y_pred > 0.5, y_true.dtype)
    return ops.abs(predicted_bits - y_true)
