"""Resetting a stateful RNN to its cell's initial state."""

from keras import ops


def reset_state(layer):
    """Sets the states of a stateful `keras.layers.RNN` to the cell's start.

    `keras.layers.RNN.reset_state()` sets every state to zeros, which for a
    memory cell is not a valid start (a weighting of zeros is not a
    distribution, and a learned initial read vector is lost). Call this
    instead, e.g. between independent sequences or after `set_weights`.

    Args:
        layer: a built `keras.layers.RNN` with `stateful=True` whose cell has
            `get_initial_state(batch_size)`.

    Raises:
        ValueError: if `layer` is not a built stateful RNN.
    """
    if not getattr(layer, "stateful", False) or layer.states is None:
        raise ValueError(
            f"Invalid `layer`: received {layer!r}; expected a built "
            "`keras.layers.RNN` with `stateful=True`."
        )
    batch_size = ops.shape(layer.states[0])[0]
    for variable, value in zip(
        layer.states, layer.cell.get_initial_state(batch_size=batch_size)
    ):
        variable.assign(value)
