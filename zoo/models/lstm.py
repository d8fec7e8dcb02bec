"""The LSTM baseline of the NTM paper."""

import keras

from ntm_keras import validation
from zoo.models import sequence_io
from zoo.registry import register


@register(
    "lstm",
    description="Stacked LSTM, the NTM paper's baseline (3 x 256).",
    tags=("baseline", "rnn"),
)
@register(
    "lstm_tiny",
    description="One small LSTM layer, for tests and quick runs.",
    tags=("baseline", "rnn", "tiny"),
    defaults={"num_layers": 1, "units": 32},
)
def lstm(
    *,
    input_dim: int = 9,
    output_dim: int = 8,
    modality: str = "bits",
    num_layers: int = 3,
    units: int = 256,
    name: str = "lstm",
) -> keras.Model:
    """Builds a stack of LSTM layers with a per-step output layer.

    For bit tasks the inputs are `(batch_size, time, input_dim)` floats and
    the outputs `(batch_size, time, output_dim)` sigmoid probabilities. For
    token tasks the inputs are `(batch_size, time)` ids below `input_dim`,
    embedded in `units` dimensions, and the outputs are logits over
    `output_dim` tokens. See [Graves et al. 2014](https://arxiv.org/abs/1410.5401),
    section 4, for the baseline's sizes.

    Args:
        input_dim: int. Input features, or the input vocabulary size.
        output_dim: int. Output bits, or the output vocabulary size.
        modality: str. `"bits"` or `"tokens"`.
        num_layers: int. Stacked LSTM layers.
        units: int. Units per layer.
        name: str. The model's name.

    Returns:
        An uncompiled Functional `keras.Model`.
    """
    validation.check_positive_int("num_layers", num_layers)
    validation.check_positive_int("units", units)
    return sequence_io.per_step_model(
        [
            keras.layers.LSTM(
                units, return_sequences=True, name=f"lstm_{index}"
            )
            for index in range(num_layers)
        ],
        modality=modality,
        input_dim=input_dim,
        output_dim=output_dim,
        width=units,
        name=name,
    )
