"""The learning rate's fall over a run (`ntm-keras train --decay cosine`).

A run trains at its learning rate (the peak) until the fraction
`decay_start` of its epochs, then lowers the rate along a half cosine to
`decay_floor` times the peak, which its last epoch uses. The rate is set
at the start of each epoch from the epoch's number alone, so a resumed run
follows the same rates as an uninterrupted one; a resume that raises the
number of epochs stretches the fall over the new total. `ntm` falls from
60% of the run on priority sort by default (`zoo/models/ntm.py` says why).
"""

import math

import keras

from ntm_keras import validation

DECAYS = ("none", "cosine")


def check_decay(decay, start, floor):
    """Raises `ValueError` for an unknown decay or a fraction outside [0, 1].

    Returns:
        `(decay, start, floor)`, the fractions as floats.
    """
    validation.check_choice("decay", decay, DECAYS)
    start = validation.check_float(
        "decay_start", start, minimum=0.0, maximum=1.0
    )
    floor = validation.check_float(
        "decay_floor", floor, minimum=0.0, maximum=1.0
    )
    return decay, float(start), float(floor)


def cosine_decay(peak, epochs, floor, start=0.0):
    """A callback that lowers the learning rate along a half cosine.

    The epochs before the fraction `start` of the run train at `peak`; from
    there the rate falls to `floor` times `peak`, which the last epoch uses.
    Keras logs the rate as `learning_rate` (TensorBoard plots it).

    Args:
        peak: float. The rate before the fall.
        epochs: int. The run's number of epochs.
        floor: float in [0, 1]. The last epoch's rate as a fraction of
            `peak`.
        start: float in [0, 1]. The fraction of the epochs at `peak`.

    Returns:
        A `keras.callbacks.LearningRateScheduler`.

    Example:

    >>> fall = cosine_decay(4e-3, epochs=11, floor=0.1, start=0.6)
    >>> [round(fall.schedule(epoch, None), 4) for epoch in (0, 6, 8, 10)]
    [0.004, 0.004, 0.0022, 0.0004]
    """
    first = round(start * (epochs - 1))

    def rate(epoch, current):
        progress = (epoch - first) / max(1, epochs - 1 - first)
        progress = min(1.0, max(0.0, progress))
        cosine = 0.5 * (1.0 + math.cos(math.pi * progress))
        return peak * (floor + (1.0 - floor) * cosine)

    return keras.callbacks.LearningRateScheduler(rate)


def make_decay(decay, peak, epochs, *, start, floor):
    """The callback of a run's `decay` option, or None for `"none"`."""
    decay, start, floor = check_decay(decay, start, floor)
    if decay == "none":
        return None
    return cosine_decay(peak, epochs, floor, start)
