"""Predicting with a zoo model, with the input checked first.

Keras' own `model.predict` on an empty batch, shape `(0, time, features)`,
fails inside its loop with `UnboundLocalError` (no batch ever ran), and a
sequence of zero steps, `(batch, 0, features)`, fails inside the recurrent
layer's TensorFlow code. `predict` says what is wrong instead.
"""

import numpy as np

from ntm_keras import validation


def check_sequence_batch(inputs, argument="inputs"):
    """Raises `ValueError` unless every input has sequences and steps.

    Args:
        inputs: an array `(batch_size, time, ...)`, or a list, tuple or dict
            of them (one per model input).
        argument: str. The name in the message.

    Returns:
        `inputs`, unchanged.
    """
    parts = inputs.values() if isinstance(inputs, dict) else inputs
    if not isinstance(inputs, (list, tuple, dict)):
        parts = [inputs]
    for part in parts:
        shape = np.shape(part)
        if len(shape) < 2:
            raise ValueError(
                f"Invalid `{argument}`: received shape {shape}; expected "
                "(batch_size, time, ...) with a batch and a time axis."
            )
        if shape[0] == 0:
            raise ValueError(
                f"Invalid `{argument}`: received an empty batch of shape "
                f"{shape}; expected at least one sequence."
            )
        if shape[1] == 0:
            raise ValueError(
                f"Invalid `{argument}`: received sequences of zero steps, "
                f"shape {shape}; expected at least one time step."
            )
    return inputs


def predict(model, inputs, *, batch_size=32, verbose=0):
    """Returns `model.predict(inputs)` after `check_sequence_batch`.

    Args:
        model: a zoo model (or any sequence model).
        inputs: `(batch_size, time, ...)` array(s), as `model.predict`
            takes them.
        batch_size: int. Sequences per step. Defaults to `32`.
        verbose: Keras verbosity. Defaults to `0`.

    Returns:
        The model's outputs, as NumPy arrays.

    Example:

    >>> import numpy as np, zoo
    >>> model = zoo.get("lstm_tiny")
    >>> predict(model, np.zeros((2, 3, 9), "float32")).shape
    (2, 3, 8)
    """
    check_sequence_batch(inputs)
    batch_size = validation.check_positive_int("batch_size", batch_size)
    return model.predict(inputs, batch_size=batch_size, verbose=verbose)
