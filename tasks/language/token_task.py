"""Shared pieces of the token-level language tasks.

Legend: B = batch size, T = steps, N = vocabulary size.
"""

import keras
import keras_hub

from ntm_keras import losses
from tasks.task import Task


class TokenTask(Task):
    """A task whose targets are token ids scored with cross-entropy.

    The loss is the mean cross-entropy in nats over the scored steps (the
    sample weight is 1 on real tokens, 0 on padding), with optional label
    smoothing; the metric is keras-hub's perplexity, exp(loss) without
    smoothing.
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
