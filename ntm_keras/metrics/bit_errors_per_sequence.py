"""Wrong bits per sequence after thresholding the predictions at 0.5."""

import keras

from ntm_keras.metrics.sequence_mean import (
    SequenceMean,
    bit_errors,
    scored_sum,
)


@keras.saving.register_keras_serializable(package="ntm_keras")
class BitErrorsPerSequence(SequenceMean):
    """Number of wrong bits per sequence, averaged over sequences.

    A predicted bit is 1 where the probability is above 0.5. A task counts as
    learned when this is at most 0.1 on 1,024 held-out sequences
    ([Collier & Beel 2018](https://arxiv.org/abs/1807.08518)).

    Args:
        name: str. Defaults to `"bit_errors_per_sequence"`.
        dtype: Dtype of the result. Defaults to `None` (float32).

    Call arguments (`update_state`):
        y_true: `(batch_size, time, bits)` targets in {0, 1}.
        y_pred: `(batch_size, time, bits)` probabilities.
        sample_weight: `(batch_size, time)`, 1 where the target is scored.

    Example:

    >>> metric = BitErrorsPerSequence()
    >>> metric.update_state([[[1.0, 0.0]]], [[[0.2, 0.1]]])
    >>> float(metric.result())
    1.0
    """

    def __init__(self, name="bit_errors_per_sequence", dtype=None):
        super().__init__(name=name, dtype=dtype)

    def sequence_values(self, y_true, y_pred, mask):
        return scored_sum(bit_errors(y_true, y_pred), mask)
