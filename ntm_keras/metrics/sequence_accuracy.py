"""Fraction of sequences whose every scored bit is right."""

import keras
from keras import ops

from ntm_keras.metrics.sequence_mean import (
    SequenceMean,
    bit_errors,
    scored_sum,
)


@keras.saving.register_keras_serializable(package="ntm_keras")
class SequenceAccuracy(SequenceMean):
    """Fraction of sequences reproduced without a single wrong bit.

    Args:
        name: str. Defaults to `"sequence_accuracy"`.
        dtype: Dtype of the result. Defaults to `None` (float32).

    Call arguments (`update_state`):
        y_true: `(batch_size, time, bits)` targets in {0, 1}.
        y_pred: `(batch_size, time, bits)` probabilities.
        sample_weight: `(batch_size, time)`, 1 where the target is scored.

    Example:

    >>> metric = SequenceAccuracy()
    >>> metric.update_state([[[1.0]], [[0.0]]], [[[0.9]], [[0.8]]])
    >>> float(metric.result())
    0.5
    """

    def __init__(self, name="sequence_accuracy", dtype=None):
        super().__init__(name=name, dtype=dtype)

    def sequence_values(self, y_true, y_pred, mask):
        errors = scored_sum(bit_errors(y_true, y_pred), mask)
        return ops.cast(errors == 0.0, self.dtype)
