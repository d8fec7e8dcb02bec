"""Logs the mean global gradient norm of each epoch."""

import keras


class GradientNormLogger(keras.callbacks.Callback):
    """Adds `gradient_norm` (the epoch's mean, before clipping) to the logs.

    With an optimizer that skips gradient spikes (`spike_factor`), adds
    `spikes_skipped` too: how many steps of the run so far were skipped.

    Needs an optimizer with a `gradient_norm` variable, such as
    `ntm_keras.optimizers.MonitoredAdam`; with another optimizer it does
    nothing.
    """

    def on_epoch_begin(self, epoch, logs=None):
        self._total = 0.0
        self._count = 0

    def on_train_batch_end(self, batch, logs=None):
        optimizer = self.model.optimizer
        # Under mixed_float16 Keras wraps the optimizer for loss scaling.
        optimizer = getattr(optimizer, "inner_optimizer", optimizer)
        norm = getattr(optimizer, "gradient_norm", None)
        if norm is not None:
            self._total += float(keras.ops.convert_to_numpy(norm))
            self._count += 1

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None and self._count:
            logs["gradient_norm"] = self._total / self._count
        optimizer = self.model.optimizer
        optimizer = getattr(optimizer, "inner_optimizer", optimizer)
        skipped = getattr(optimizer, "spikes_skipped", None)
        if logs is not None and skipped is not None:
            logs["spikes_skipped"] = float(keras.ops.convert_to_numpy(skipped))
