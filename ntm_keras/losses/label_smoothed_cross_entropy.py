"""Cross-entropy against smoothed labels (Szegedy et al. 2016).

Legend: B = batch size, T = steps, N = number of classes.
"""

import keras
from keras import ops

from ntm_keras import validation


@keras.saving.register_keras_serializable(package="ntm_keras")
class LabelSmoothedCrossEntropy(keras.losses.Loss):
    """Sparse categorical cross-entropy with label smoothing.

    The target distribution puts `1 - label_smoothing` on the true class and
    spreads `label_smoothing` evenly over all `N` classes, so the loss is
    `(1 - e) * -log p(y) + e * mean_k(-log p(k))`, the same as
    `keras.losses.CategoricalCrossentropy(label_smoothing=e)` on one-hot
    targets but with integer targets, which `SparseCategoricalCrossentropy`
    does not smooth. The Transformer is trained with `e = 0.1`: "this hurts
    perplexity, as the model learns to be more unsure, but improves accuracy
    and BLEU score" ([Vaswani et al. 2017](https://arxiv.org/abs/1706.03762),
    section 5.4; [Szegedy et al. 2016](https://arxiv.org/abs/1512.00567)).

    Args:
        label_smoothing: float in [0, 1). Defaults to `0.1`.
        from_logits: bool. Whether predictions are logits. Defaults to
            `True`.
        reduction: Keras reduction. Defaults to `"mean_with_sample_weight"`,
            the mean over the steps whose sample weight is set.
        name: str. Defaults to `"label_smoothed_cross_entropy"`.

    Call arguments:
        y_true: `(batch_size, time)` int class ids.
        y_pred: `(batch_size, time, num_classes)` logits or probabilities.
        sample_weight: optional `(batch_size, time)`.

    Returns:
        The reduced loss in nats.

    Example:

    >>> loss = LabelSmoothedCrossEntropy(label_smoothing=0.0)
    >>> round(float(loss([[0]], [[[0.0, 0.0]]])), 4)  # log 2
    0.6931
    """

    def __init__(
        self,
        label_smoothing=0.1,
        from_logits=True,
        reduction="mean_with_sample_weight",
        name="label_smoothed_cross_entropy",
        dtype=None,
    ):
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        self.label_smoothing = validation.check_float(
            "label_smoothing", label_smoothing, minimum=0.0, maximum=0.999
        )
        self.from_logits = bool(from_logits)

    def call(self, y_true, y_pred):
        if self.from_logits:
            log_probabilities = ops.log_softmax(y_pred, axis=-1)
        else:
            log_probabilities = ops.log(
                ops.clip(y_pred, keras.config.epsilon(), 1.0)
            )  # (B, T, N)
        labels = ops.expand_dims(ops.cast(y_true, "int32"), axis=-1)
        true_class = -ops.take_along_axis(log_probabilities, labels, axis=-1)
        true_class = ops.squeeze(true_class, axis=-1)  # (B, T)
        uniform = -ops.mean(log_probabilities, axis=-1)  # (B, T)
        smoothing = self.label_smoothing
        return (1.0 - smoothing) * true_class + smoothing * uniform

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "label_smoothing": self.label_smoothing,
                "from_logits": self.from_logits,
            }
        )
        return config
