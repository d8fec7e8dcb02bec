"""Fraction of questions with at least one wrong answer word (bAbI).

Legend: B = batch size, T = time steps, V = vocabulary size.
"""

import keras
from keras import ops

from ntm_keras.metrics.sequence_mean import SequenceMean


@keras.saving.register_keras_serializable(package="ntm_keras")
class QuestionErrorRate(SequenceMean):
    """Fraction of sequences with a wrong word on any scored step.

    Each sequence holds one question whose answer words are the scored
    steps (sample weight 1); a question counts as wrong when the most
    likely token differs from the target on any of them, as in the bAbI
    error rate of [Weston et al. 2015](https://arxiv.org/abs/1502.05698).
    Sequences without a scored step count as right.

    Args:
        name: str. Defaults to `"question_error_rate"`.
        dtype: Dtype of the result. Defaults to `None` (float32).

    Call arguments (`update_state`):
        y_true: `(batch_size, time)` target token ids.
        y_pred: `(batch_size, time, vocabulary_size)` logits or
            probabilities.
        sample_weight: `(batch_size, time)`, 1 on the answer steps.

    Example:

    >>> metric = QuestionErrorRate()
    >>> logits = [[[0.0, 1.0], [1.0, 0.0]], [[0.0, 1.0], [0.0, 1.0]]]
    >>> metric.update_state([[1, 1], [1, 1]], logits, [[1, 1], [0, 1]])
    >>> float(metric.result())
    0.5
    """

    def __init__(self, name="question_error_rate", dtype=None):
        super().__init__(name=name, dtype=dtype)

    def update_state(self, y_true, y_pred, sample_weight=None):
        if len(y_true.shape) == 3:  # (B, T, 1) from Keras' shape matching
            y_true = ops.squeeze(y_true, axis=-1)
        super().update_state(y_true, y_pred, sample_weight)

    def sequence_values(self, y_true, y_pred, mask):
        predicted = ops.cast(ops.argmax(y_pred, axis=-1), self.dtype)  # (B, T)
        wrong = ops.cast(ops.not_equal(predicted, y_true), self.dtype)
        return ops.cast(ops.sum(wrong * mask, axis=1) > 0.0, self.dtype)
