"""Numeric precision of a run: a Keras dtype policy for the model's build.

`--precision` takes three names (`PRECISIONS`), Keras dtype policies:

    float32          everything in 32 bits (the default)
    mixed_float16    variables in float32, computation in float16; the loss
                     is scaled (Keras wraps the optimizer in
                     `keras.optimizers.LossScaleOptimizer`) so that small
                     gradients do not vanish in float16
    mixed_bfloat16   variables in float32, computation in bfloat16 (float32's
                     range, no loss scaling)

What stays float32 under a mixed policy, and why:

- The NTM and DNC cells as a whole (`NTMCell`, `DNCCell` take float32 when
  the global policy is mixed): the addressing raises weightings to the
  sharpening exponent, multiplies usages in cumulative products and takes
  softmaxes over the memory slots, all of which lose the small weights that
  16 bits round to zero; the memory is written by many small erase-and-add
  steps that 16 bits would round away.
- The losses and metrics: Keras computes them in float32.
- The variables and optimizer state: the mixed policies keep them float32.

The policy is set only while the model is built (`precision_scope`); each
layer records its own policy, so a saved `.keras` file loads back with it.
"""

import contextlib

import keras

from ntm_keras import validation

PRECISIONS = ("float32", "mixed_float16", "mixed_bfloat16")


def check_precision(precision):
    """Returns `precision` if it is a name from `PRECISIONS`."""
    return validation.check_choice("precision", precision, PRECISIONS)


@contextlib.contextmanager
def precision_scope(precision):
    """Sets the global dtype policy to `precision` while the block runs.

    Layers built inside the block take the policy; the previous global
    policy comes back afterwards.

    Example:

    >>> with precision_scope("mixed_bfloat16"):
    ...     layer = keras.layers.Dense(4)
    >>> layer.dtype_policy.name
    'mixed_bfloat16'
    """
    check_precision(precision)
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy(precision)
    try:
        yield
    finally:
        keras.config.set_dtype_policy(previous)
