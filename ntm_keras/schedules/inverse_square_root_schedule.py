"""The learning-rate schedule of Vaswani et al. 2017, section 5.3.

lr(step) = scale * d_model^-0.5 * min(step^-0.5, step * warmup^-1.5)
"""

import keras
from keras import ops

from ntm_keras import validation


@keras.saving.register_keras_serializable(package="ntm_keras")
class InverseSquareRootSchedule(
    keras.optimizers.schedules.LearningRateSchedule
):
    """Linear warm-up, then decay with the inverse square root of the step.

    The learning rate rises linearly for `warmup_steps` steps, peaks at
    `scale * (model_dim * warmup_steps)^-0.5`, then falls as step^-0.5:
    `scale * model_dim^-0.5 * min(step^-0.5, step * warmup_steps^-1.5)`.
    The paper uses `warmup_steps=4000` and `scale=1`; see
    [Vaswani et al. 2017](https://arxiv.org/abs/1706.03762), section 5.3.
    Steps are counted from 1 (the optimizer's first update is step 1).

    Args:
        model_dim: int. d_model.
        warmup_steps: int. Steps of linear warm-up. Defaults to `4000`.
        scale: float. Multiplies the whole schedule. Defaults to `1.0`.

    Call arguments:
        step: the optimizer's iteration count (0 for the first update).

    Returns:
        The learning rate, a float32 scalar.

    Example:

    >>> schedule = InverseSquareRootSchedule(model_dim=512, warmup_steps=4000)
    >>> round(float(schedule(3999)), 6)  # the peak, at step 4000
    0.000699
    """

    def __init__(self, model_dim, warmup_steps=4000, scale=1.0):
        self.model_dim = validation.check_positive_int("model_dim", model_dim)
        self.warmup_steps = validation.check_positive_int(
            "warmup_steps", warmup_steps
        )
        self.scale = validation.check_float("scale", scale, minimum=0.0)

    def __call__(self, step):
        step = ops.cast(step, "float32") + 1.0
        warmup = float(self.warmup_steps)
        rate = ops.minimum(ops.power(step, -0.5), step * warmup**-1.5)
        return self.scale * self.model_dim**-0.5 * rate

    def peak_learning_rate(self):
        """Returns the learning rate at the end of the warm-up."""
        return self.scale * (self.model_dim * self.warmup_steps) ** -0.5

    def get_config(self):
        return {
            "model_dim": self.model_dim,
            "warmup_steps": self.warmup_steps,
            "scale": self.scale,
        }
