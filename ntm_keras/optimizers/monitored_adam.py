"""Adam that records the global gradient norm of every step."""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="ntm_keras")
class MonitoredAdam(keras.optimizers.Adam):
    """`keras.optimizers.Adam` that keeps the last step's global gradient norm.

    The norm is taken before clipping, over all gradients, and stored in the
    optimizer variable `gradient_norm`, so a callback can log it on any
    backend without a custom training step. Every `keras.optimizers.Adam`
    argument is accepted (e.g. `learning_rate`, `global_clipnorm`).

    Example:

    >>> optimizer = MonitoredAdam(learning_rate=1e-3, global_clipnorm=50.0)
    """

    def build(self, variables):
        if self.built:
            return
        super().build(variables)
        self.gradient_norm = self.add_variable(
            shape=(), initializer="zeros", name="gradient_norm"
        )

    def apply(self, grads, trainable_variables=None):
        squares = [
            ops.sum(ops.square(ops.cast(g, "float32")))
            for g in grads
            if g is not None
        ]
        norm = ops.sqrt(ops.sum(ops.stack(squares))) if squares else 0.0
        result = super().apply(grads, trainable_variables)
        self.gradient_norm.assign(ops.cast(norm, self.gradient_norm.dtype))
        return result
