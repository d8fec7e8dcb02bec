"""Inputs and outputs of the zoo's per-step models, for bits or tokens.

Every family reads `(batch_size, time, input_dim)` floats for bit tasks or
`(batch_size, time)` token ids for token tasks, and gives one output per
step: sigmoid probabilities per bit, or logits over the output tokens.
"""

import keras

from ntm_keras import validation
from ntm_keras.modalities import MODALITIES


def check_sizes(*, input_dim, output_dim, modality):
    """Validates the arguments every factory takes."""
    validation.check_positive_int("input_dim", input_dim)
    validation.check_positive_int("output_dim", output_dim)
    validation.check_choice("modality", modality, MODALITIES)


def sequence_input(modality, input_dim, name="inputs"):
    """`(B, T)` int ids for token tasks, `(B, T, input_dim)` for bits."""
    if modality == "tokens":
        return keras.Input((None,), dtype="int32", name=name)
    return keras.Input((None, input_dim), name=name)


def embed_tokens(modality, inputs, input_dim, width, name="embedding"):
    """Token ids through a `width`-wide `Embedding`; bits pass unchanged."""
    if modality == "tokens":
        return keras.layers.Embedding(input_dim, width, name=name)(inputs)
    return inputs


def output_layer(modality, output_dim, name="outputs", **dense_arguments):
    """Per-step logits over tokens, or sigmoid probabilities per bit."""
    activation = "sigmoid" if modality == "bits" else None
    return keras.layers.Dense(
        output_dim, activation=activation, name=name, **dense_arguments
    )


def per_step_model(
    recurrent_layers,
    *,
    modality,
    input_dim,
    output_dim,
    width,
    name,
    output_arguments=None,
):
    """The zoo's recurrent model: input, embedding, layers, output layer.

    Token ids are embedded in `width` dimensions (bits pass unchanged), run
    through `recurrent_layers` in order (each returning sequences), and
    each step's output goes through `output_layer`.

    Args:
        recurrent_layers: list of Keras layers, e.g. LSTMs or an RNN cell
            wrapped in `keras.layers.RNN(..., return_sequences=True)`.
        modality, input_dim, output_dim: as every factory takes them.
        width: int. Embedding width for token inputs.
        name: str. The model's name.
        output_arguments: optional dict of `Dense` arguments for the output
            layer (initializers).

    Returns:
        An uncompiled Functional `keras.Model`.
    """
    check_sizes(input_dim=input_dim, output_dim=output_dim, modality=modality)
    inputs = sequence_input(modality, input_dim)
    hidden = embed_tokens(modality, inputs, input_dim, width)
    for layer in recurrent_layers:
        hidden = layer(hidden)
    outputs = output_layer(modality, output_dim, **(output_arguments or {}))
    return keras.Model(inputs, outputs(hidden), name=name)
