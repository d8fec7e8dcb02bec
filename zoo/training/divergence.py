"""Stopping a run at the first loss or gradient that is not finite.

Once the loss or a gradient is NaN or infinite, the weights that the next
update writes are too, and nothing the run does afterwards means anything.
`NonFiniteGuard` checks both after every train step (the loss from the
step's logs, the global gradient norm that `MonitoredAdam` records), stops
`fit` at the first bad one and remembers where it was. Stopping, rather
than raising inside the callback, lets `fit` close its TensorBoard writers,
so the diagnostics logged so far stay readable; `RunCheckpoint` saves no
epoch whose loss is not finite, and the training loop raises
`TrainingDiverged` once `fit` has returned.
"""

import math

import keras


class TrainingDiverged(RuntimeError):
    """Training stopped because a loss or gradient was not finite.

    Attributes:
        report: dict with `epoch` (1-based), `batch` (1-based, within the
            epoch), `tensor` (`"loss"` or `"gradient norm"`) and `value`
            (`"nan"`, `"inf"` or `"-inf"`).
    """

    def __init__(self, message, report):
        super().__init__(message)
        self.report = dict(report)


def non_finite_value(value) -> str | None:
    """How `value` is not finite: `"nan"`, `"inf"` or `"-inf"`, else None.

    Args:
        value: a number or a 0-d array. What `float` refuses (None,
            `"abc"`) counts as finite.

    Returns:
        The string Python gives the float when it is NaN or infinite, None
        when it is finite.

    Example:

    >>> non_finite_value(float("-inf")), non_finite_value(2.0)
    ('-inf', None)
    """
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isfinite(number) else str(number)


class NonFiniteGuard(keras.callbacks.Callback):
    """Stops training at the first non-finite loss or gradient norm.

    After each train step it reads the loss in the step's logs and, when the
    optimizer records one (`ntm_keras.optimizers.MonitoredAdam`), the global
    gradient norm before clipping. The first that is NaN or infinite sets
    `model.stop_training` and `report` (which step, which tensor). With
    `steps_per_execution > 1` Keras reports every that many steps, so the
    step named is the last of the execution that went bad.

    Args:
        None.

    Example:

    >>> guard = NonFiniteGuard()
    >>> guard.report is None
    True
    """

    def __init__(self):
        super().__init__()
        self.report = None
        self._epoch = 0

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if self.report is not None:
            return
        found = None
        value = non_finite_value((logs or {}).get("loss", 0.0))
        if value is not None:
            found = ("loss", value)
        norm = getattr(self.model.optimizer, "gradient_norm", None)
        if norm is not None:
            value = non_finite_value(keras.ops.convert_to_numpy(norm))
            if value is not None and found is None:
                found = ("gradient norm", value)
            elif value is not None:
                found = ("loss and gradient norm", found[1])
        if found is not None:
            self.report = {
                "epoch": self._epoch + 1,
                "batch": batch + 1,
                "tensor": found[0],
                "value": found[1],
            }
            self.model.stop_training = True

    def error(self):
        """Returns the `TrainingDiverged` of the report (None if none)."""
        if self.report is None:
            return None
        report = self.report
        return TrainingDiverged(
            f"training diverged: the {report['tensor']} "
            f"{'were' if ' and ' in report['tensor'] else 'was'} "
            f"{report['value']} at epoch {report['epoch']}, batch "
            f"{report['batch']}; stopped there. No checkpoint of a "
            "non-finite epoch was saved. Try a lower --learning-rate or "
            "--global-clipnorm.",
            report,
        )
