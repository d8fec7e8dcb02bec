"""Binary cross-entropy in bits, summed per sequence (Graves et al. 2014)."""

import math

import keras
from keras import ops

from ntm_keras.metrics.sequence_mean import SequenceMean, scored_sum

# Probabilities are clipped to [EPSILON, 1 - EPSILON] before the log, which
# caps the cost of one wrong bit at about 20 bits.
EPSILON = 1e-6


@keras.saving.register_keras_serializable(package="ntm_keras")
class BitsPerSequence(SequenceMean):
    """Cost in bits per sequence: the NTM paper's learning-curve metric.

    For each sequence, sums the binary cross-entropy of every scored target
    bit, in bits (log base 2):
    `-sum_t,d mask_t * (y log2 p + (1 - y) log2 (1 - p))`, then averages over
    sequences. See [Graves et al. 2014](https://arxiv.org/abs/1410.5401),
    section 4.

    Args:
        name: str. Defaults to `"bits_per_sequence"`.
        dtype: Dtype of the result. Defaults to `None` (float32).

    Call arguments (`update_state`):
        y_true: `(batch_size, time, bits)` targets in {0, 1}.
        y_pred: `(batch_size, time, bits)` probabilities.
        sample_weight: `(batch_size, time)`, 1 where the target is scored.

    Example:

    >>> metric = BitsPerSequence()
    >>> metric.update_state([[[1.0]]], [[[0.5]]])
    >>> float(metric.result())
    1.0
    """

    def __init__(self, name="bits_per_sequence", dtype=None):
        super().__init__(name=name, dtype=dtype)

    def sequence_values(self, y_true, y_pred, mask):
        probabilities = ops.clip(y_pred, EPSILON, 1.0 - EPSILON)
        nats = -(
            y_true * ops.log(probabilities)
            + (1.0 - y_true) * ops.log(1.0 - probabilities)
        )
        return scored_sum(nats, mask) / math.log(2.0)
