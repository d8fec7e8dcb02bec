"""Adam that records the global gradient norm of every step."""

import keras
from keras import ops

from ntm_keras import validation

# The running average of the gradient norm, by which a spike is judged,
# forgets with this factor per step, and judges from this many steps on.
SPIKE_AVERAGE_DECAY = 0.99
SPIKE_WARMUP_STEPS = 100


@keras.saving.register_keras_serializable(package="ntm_keras")
class MonitoredAdam(keras.optimizers.Adam):
    """`keras.optimizers.Adam` that keeps the last step's global gradient norm.

    The norm is taken before clipping, over all gradients, and stored in the
    optimizer variable `gradient_norm`, so a callback can log it on any
    backend without a custom training step. Every `keras.optimizers.Adam`
    argument is accepted (e.g. `learning_rate`, `global_clipnorm`).

    With `spike_factor`, a step whose norm is more than `spike_factor`
    times the running average of the norms of the steps taken before it
    (after the first `SPIKE_WARMUP_STEPS` steps) is a spike: it is taken
    with a zero gradient, so nothing of it enters Adam's moments (their
    momentum carries on), and it is not averaged. `spikes_skipped` counts
    them. A single spike can wreck a trained model: clipping bounds the
    step's norm, not its direction
    (notes/2026-12-05-priority-sort-learned-memory.md).

    Args:
        spike_factor: float > 1, or 0 (the default) to take every step.
        *args, **kwargs: `keras.optimizers.Adam`'s arguments.

    Example:

    >>> optimizer = MonitoredAdam(learning_rate=1e-3, global_clipnorm=50.0)
    """

    def __init__(self, *args, spike_factor=0.0, **kwargs):
        super().__init__(*args, **kwargs)  # Adam's, the rate first
        spike_factor = validation.check_float(
            "spike_factor", spike_factor, minimum=0.0
        )
        if 0 < spike_factor <= 1:
            raise ValueError(
                f"Invalid `spike_factor`: received {spike_factor}; expected "
                "a factor > 1 (a step that many times the average norm is "
                "skipped), or 0 to skip none."
            )
        self.spike_factor = spike_factor

    def build(self, variables):
        if self.built:
            return
        super().build(variables)
        self.gradient_norm = self.add_variable(
            shape=(), initializer="zeros", name="gradient_norm"
        )
        if self.spike_factor:
            self.norm_average = self.add_variable(
                shape=(), initializer="zeros", name="norm_average"
            )
            self.steps_averaged = self.add_variable(
                shape=(), initializer="zeros", name="steps_averaged"
            )
            self.spikes_skipped = self.add_variable(
                shape=(), initializer="zeros", name="spikes_skipped"
            )

    def apply(self, grads, trainable_variables=None):
        squares = [
            ops.sum(ops.square(ops.cast(g, "float32")))
            for g in grads
            if g is not None
        ]
        norm = ops.sqrt(ops.sum(ops.stack(squares))) if squares else 0.0
        if self.spike_factor and squares:
            if not self.built:  # its variables hold the average
                self.build(trainable_variables)
            grads = self._without_spike(grads, norm)
        result = super().apply(grads, trainable_variables)
        self.gradient_norm.assign(ops.cast(norm, self.gradient_norm.dtype))
        return result

    def _without_spike(self, grads, norm):
        """`grads`, or zeros if `norm` is a spike; updates the average."""
        decay = SPIKE_AVERAGE_DECAY
        count = ops.convert_to_tensor(self.steps_averaged)
        total = ops.convert_to_tensor(self.norm_average)
        average = total / (1.0 - ops.power(decay, count) + 1e-12)
        spike = ops.logical_and(
            count >= SPIKE_WARMUP_STEPS,
            ops.logical_not(norm <= self.spike_factor * average),
        )  # a NaN norm counts as a spike
        taken = ops.cast(ops.logical_not(spike), "float32")
        averaged = decay * total + (1.0 - decay) * ops.nan_to_num(norm)
        self.norm_average.assign(ops.where(spike, total, averaged))
        self.steps_averaged.assign(count + taken)
        self.spikes_skipped.assign(self.spikes_skipped + 1.0 - taken)
        return [
            None if g is None else ops.where(spike, ops.zeros_like(g), g)
            for g in grads
        ]

    def get_config(self):
        return {**super().get_config(), "spike_factor": self.spike_factor}
