"""Pieces the Transformer families share: inputs, embeddings, outputs.

Both `zoo/models/transformer.py` (encoder-decoder) and
`zoo/models/transformer_lm.py`
(decoder-only) build their layers with these helpers and write their forward
pass once, as a function of a `{name: layer}` dict. The factory runs it on
`keras.Input`s to make the Functional model; `attention_scores` runs it
eagerly on the trained model's own layers and collects every attention
layer's weights.

Legend: B = batch size, T = steps, D = model width.
"""

import functools

import keras
from keras import ops

from ntm_keras import layers, validation
from zoo.models import sequence_io

# Token id 0 is padding in every token task; padded steps are masked.
PADDING_ID = 0


def warmup_compile_defaults(
    config,
    *,
    warmup_steps,
    learning_rate=None,
    label_smoothing=None,
    jit_compile=None,
):
    """A Transformer family's compile defaults for its model arguments.

    The warm-up schedule needs the model width, so the family registers
    `functools.partial(warmup_compile_defaults, warmup_steps=...)` and the
    registry calls it with the resolved model arguments. `jit_compile`
    (None: the training default, off) is set by the families that XLA
    makes faster.
    """
    options = {
        # None: the paper's peak, (model_dim * warmup_steps)^-0.5.
        "learning_rate": learning_rate,
        "warmup_steps": warmup_steps,
        "model_dim": config["model_dim"],
    }
    if label_smoothing is not None:
        options["label_smoothing"] = label_smoothing
    if jit_compile is not None:
        options["jit_compile"] = jit_compile
    return options


# The decoder-only families' optimizer (`transformer_lm` and the memory
# Transformers share it, so that they compare at equal settings): warm-up
# to a peak of 2e-3 over 400 steps, and a faster one for the tiny sizes.
decoder_compile_defaults = functools.partial(
    warmup_compile_defaults, warmup_steps=400, learning_rate=2e-3
)
tiny_decoder_compile_defaults = functools.partial(
    warmup_compile_defaults, warmup_steps=100, learning_rate=3e-3
)


def check_arguments(
    *,
    input_dim,
    output_dim,
    modality,
    model_dim,
    num_heads,
    feed_forward_dim,
    layer_counts,
    tie_embeddings,
    embedding_input_dim=None,
):
    """Validates the arguments every Transformer factory takes.

    Checks the sizes, the block counts and the tying, in that order, and
    raises `ValueError` naming the first bad argument.

    Args:
        input_dim, output_dim, modality: as `sequence_io.check_sizes`.
        model_dim: int. Even and divisible by `num_heads`.
        num_heads: int. Positive.
        feed_forward_dim: int. Positive.
        layer_counts: dict from argument name (`"num_layers"`, ...) to its
            value; each must be a positive int.
        tie_embeddings: bool. Whether the family asks to tie.
        embedding_input_dim: int. Input size of the embedding the output
            projection would share (the encoder-decoder ties the decoder's,
            which reads `output_dim`). Defaults to `input_dim`.

    Returns:
        Whether the output projection is the embedding: only token models
        tie, and one embedding serves as input and output only if the two
        vocabularies are the same size.
    """
    sequence_io.check_sizes(
        input_dim=input_dim, output_dim=output_dim, modality=modality
    )
    validation.check_positive_int("model_dim", model_dim)
    validation.check_positive_int("num_heads", num_heads)
    validation.check_positive_int("feed_forward_dim", feed_forward_dim)
    if model_dim % 2:
        raise ValueError(
            f"Invalid `model_dim`: received {model_dim}; expected an even "
            "number (the sinusoidal position encoding pairs sines and "
            "cosines)."
        )
    if model_dim % num_heads:
        raise ValueError(
            f"Invalid `num_heads`: received {num_heads}, which does not "
            f"divide model_dim={model_dim}; expected a divisor of model_dim."
        )
    for argument, count in layer_counts.items():
        validation.check_positive_int(argument, count)
    if embedding_input_dim is None:
        embedding_input_dim = input_dim
    tied = tie_embeddings and modality == "tokens"
    if tied and embedding_input_dim != output_dim:
        raise ValueError(
            f"Invalid `tie_embeddings`: received True with input_dim="
            f"{embedding_input_dim} and output_dim={output_dim}; expected "
            "equal vocabularies to share one matrix. Set "
            "tie_embeddings=False."
        )
    return tied


def embedding(modality, input_dim, model_dim, name):
    """The layer that maps inputs to `(B, T, model_dim)`.

    Tokens: a `TokenEmbedding` (scaled by sqrt(model_dim)). Bits: a `Dense`
    projection of each step's bit vector.
    """
    if modality == "tokens":
        return layers.TokenEmbedding(input_dim, model_dim, name=name)
    return keras.layers.Dense(model_dim, name=name)


def position_layers(dropout):
    """The position encoding and the dropout after it, by name."""
    return {
        "position_encoding": layers.SinusoidalPositionEncoding(
            name="position_encoding"
        ),
        "embedding_dropout": keras.layers.Dropout(
            dropout, name="embedding_dropout"
        ),
    }


def blocks(
    cls, prefix, count, *, num_heads, feed_forward_dim, dropout, norm_first
):
    """`count` blocks of class `cls`, named `prefix_0`, `prefix_1`, ..."""
    return {
        f"{prefix}_{index}": cls(
            num_heads=num_heads,
            feed_forward_dim=feed_forward_dim,
            dropout=dropout,
            norm_first=norm_first,
            name=f"{prefix}_{index}",
        )
        for index in range(count)
    }


def embed(found, embedding_name, inputs):
    """Embedding, position encoding and dropout: `(B, T, D)`."""
    hidden = found[embedding_name](inputs)
    hidden = found["position_encoding"](hidden)
    return found["embedding_dropout"](hidden)


def project_outputs(found, hidden, tied_embedding_name):
    """The final layer: tied to an embedding when there is no `outputs`."""
    if "outputs" in found:
        return found["outputs"](hidden)
    return found[tied_embedding_name](hidden, reverse=True)


def run_blocks(found, prefix, hidden, scores, **block_arguments):
    """Runs the blocks `prefix_0`, `prefix_1`, ... in order.

    With `scores` (a dict), also records each block's attention weights as
    `scores["<block>/<attention>"]`, shaped `(B, heads, T, S)`.
    """
    index = 0
    while f"{prefix}_{index}" in found:
        block = found[f"{prefix}_{index}"]
        if scores is None:
            hidden = block(hidden, **block_arguments)
        else:
            hidden, block_scores = block(
                hidden, return_attention_scores=True, **block_arguments
            )
            for key, value in block_scores.items():
                scores[f"{block.name}/{key}"] = value
        index += 1
    return hidden


def padding_mask(token_ids):
    """`(B, T)` bool, False at padding ids."""
    return ops.not_equal(token_ids, PADDING_ID)


def layers_by_name(model):
    """Returns `{name: layer}` for the layers of a Functional model."""
    return {layer.name: layer for layer in model.layers}


def collect_scores(forward, model, inputs):
    """Runs `forward(found, inputs, scores)` eagerly; returns NumPy scores.

    Args:
        forward: the family's forward function.
        model: a model the family's factory built (or its reloaded copy).
        inputs: one batch of model inputs.

    Returns:
        dict from `"<block>/<attention>"` to `(B, heads, T, S)` arrays, in
        the order of the layers.
    """
    scores = {}
    forward(layers_by_name(model), inputs, scores=scores)
    return {key: ops.convert_to_numpy(value) for key, value in scores.items()}
