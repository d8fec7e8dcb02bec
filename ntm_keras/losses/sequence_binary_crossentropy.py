"""Binary cross-entropy summed over each sequence, averaged over sequences."""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="ntm_keras")
class SequenceBinaryCrossentropy(keras.losses.Loss):
    """Cross-entropy in nats per sequence: the NTM papers' training loss.

    Sums the binary cross-entropy of every scored target bit of a sequence
    (weighted by `sample_weight`, 1 where scored) and averages over the
    sequences of the batch. This is the loss of
    [Collier & Beel 2018](https://arxiv.org/abs/1807.08518) and of the NTM
    paper's learning curves (which report it in bits: divide by ln 2). Its
    scale, unlike a per-bit mean, makes a gradient-norm clip of 50 act on
    the rare large gradients that otherwise throw a converged NTM off.

    Args:
        name: str. Defaults to `"sequence_binary_crossentropy"`.
        dtype: loss dtype. Defaults to `None`.

    Call arguments:
        y_true: `(batch_size, time, bits)` targets in {0, 1}.
        y_pred: `(batch_size, time, bits)` probabilities.
        sample_weight: `(batch_size, time)`, 1 where the target is scored.

    Returns:
        A scalar: nats per sequence.

    Example:

    >>> loss = SequenceBinaryCrossentropy()
    >>> round(float(loss([[[1.0, 0.0]]], [[[0.5, 0.5]]])), 4)
    1.3863
    """

    def __init__(self, name="sequence_binary_crossentropy", dtype=None):
        # "sum_over_batch_size" divides the sum by batch_size * time (after
        # weighting) and, under a `tf.distribute` strategy, by the number
        # of replicas, whose gradients are then summed; `call` multiplies
        # by time, so the result is the sum per sequence, averaged over the
        # sequences of the global batch.
        super().__init__(
            name=name, reduction="sum_over_batch_size", dtype=dtype
        )

    def call(self, y_true, y_pred):
        y_pred = ops.convert_to_tensor(y_pred)
        y_true = ops.cast(y_true, y_pred.dtype)
        per_step = ops.sum(ops.binary_crossentropy(y_true, y_pred), axis=-1)
        time = ops.cast(ops.shape(y_true)[1], per_step.dtype)
        return per_step * time  # (batch_size, time)

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}
