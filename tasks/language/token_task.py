"""Shared pieces of the token-level language tasks.

Legend: B = batch size, T = steps, N = vocabulary size.
"""

import keras
import keras_hub
import tensorflow as tf

from ntm_keras import losses, validation
from tasks.task import Task


class TokenTask(Task):
    """A task whose targets are token ids scored with cross-entropy.

    The loss is the mean cross-entropy in nats over the scored steps (the
    sample weight is 1 on real tokens, 0 on padding), with optional label
    smoothing; the metric is keras-hub's perplexity, exp(loss) without
    smoothing. The training split is endless and made by `make_batch`; the
    held-out splits are fixed arrays from `held_out(split)`.
    """

    def loss(self, label_smoothing=0.0):
        """Returns a fresh loss; label smoothing spreads some target mass.

        Args:
            label_smoothing: float. 0 gives Keras'
                `SparseCategoricalCrossentropy`; more gives
                `ntm_keras.losses.LabelSmoothedCrossEntropy`.
        """
        if label_smoothing:
            return losses.LabelSmoothedCrossEntropy(
                label_smoothing=label_smoothing
            )
        return keras.losses.SparseCategoricalCrossentropy(
            from_logits=True, reduction="mean_with_sample_weight"
        )

    def metrics(self):
        return [keras_hub.metrics.Perplexity(from_logits=True)]

    def held_out(self, split):
        """Returns `(inputs, targets, sample_weight)` arrays of a split."""
        raise NotImplementedError

    def dataset(self, split="train", batch_size=32, *, seed=None, start=0):
        if split == "train":
            return super().dataset(split, batch_size, seed=seed, start=start)
        validation.check_choice("split", split, self.splits)
        batch_size = validation.check_positive_int("batch_size", batch_size)
        return (
            tf.data.Dataset.from_tensor_slices(self.held_out(split))
            .batch(batch_size)
            .prefetch(tf.data.AUTOTUNE)
        )
