"""The decoder-only Transformer language model."""

import functools

import keras

from ntm_keras import layers
from zoo.models import sequence_io
from zoo.models import transformer_parts as parts
from zoo.registry import register


def forward(found, inputs, *, scores=None):
    """The language model's forward pass over `{name: layer}`.

    Args:
        found: dict of the model's layers by name.
        inputs: `(batch_size, time)` ids or `(batch_size, time, input_dim)`.
        scores: optional dict that receives the attention weights.

    Returns:
        `(batch_size, time, output_dim)` logits or probabilities.
    """
    hidden = parts.embed(found, "embedding", inputs)  # (B, T, D)
    hidden = parts.run_blocks(found, "decoder_block", hidden, scores)
    if "final_norm" in found:
        hidden = found["final_norm"](hidden)
    return parts.project_outputs(found, hidden, "embedding")


def attention_scores(model, inputs):
    """Returns the self-attention weights of every block of `model`.

    Args:
        model: a `transformer_lm*` model.
        inputs: one batch of inputs, `(batch_size, time)` ids.

    Returns:
        dict from `"decoder_block_<i>/self_attention"` to
        `(batch_size, num_heads, time, time)` NumPy arrays.
    """
    return parts.collect_scores(forward, model, inputs)


# XLA by default: on a quiet 2-core CPU at nanoGPT's configuration (batch
# 12, context 64) the XLA train step was 1.40 times as fast as without it
# at dropout 0 and 1.22 times at dropout 0.1, and 1.33 times at batch 32
# (`benchmarks/throughput.py --preset nanogpt`;
# notes/2026-12-02-tiny-shakespeare-speed.md). Under heavy load (four
# other jobs on the two cores) XLA had measured 0.89-0.92 times; the tiny
# size stays without XLA, whose compilation would dominate its short runs.
lm_compile_defaults = functools.partial(
    parts.decoder_compile_defaults, jit_compile=True
)


@register(
    "transformer_lm",
    description="Decoder-only Transformer language model (4 x 128, 0.8M).",
    tags=("transformer", "language_model"),
    compile_defaults=lm_compile_defaults,
    attention_scores=attention_scores,
)
@register(
    "transformer_lm_tiny",
    description="One small decoder-only block, for tests and quick runs.",
    tags=("transformer", "language_model", "tiny"),
    defaults={
        "num_layers": 1,
        "model_dim": 32,
        "num_heads": 2,
        "feed_forward_dim": 64,
    },
    compile_defaults=parts.tiny_decoder_compile_defaults,
    attention_scores=attention_scores,
)
def transformer_lm(
    *,
    input_dim: int = 65,
    output_dim: int = 65,
    modality: str = "tokens",
    num_layers: int = 4,
    model_dim: int = 128,
    num_heads: int = 4,
    feed_forward_dim: int = 512,
    dropout: float = 0.1,
    norm_first: bool = True,
    tie_embeddings: bool = True,
    name: str = "transformer_lm",
) -> keras.Model:
    """Builds a decoder-only Transformer (a stack of masked self-attention).

    Each step is embedded (token ids: `TokenEmbedding`, scaled by
    sqrt(model_dim); bits: a `Dense` projection), the sinusoidal position
    encoding is added, and `num_layers` `TransformerDecoderBlock`s without
    cross-attention let each step attend to itself and the steps before it.
    The output at step t depends only on inputs 0..t, so the model predicts
    the next token (language modelling) or any per-step target (the copy
    task). Pre-norm by default, with a final `LayerNormalization`, as in
    GPT-2 ([Radford et al. 2019](https://openai.com/research/better-language-models));
    the blocks are those of
    [Vaswani et al. 2017](https://arxiv.org/abs/1706.03762).

    Args:
        input_dim: int. Input vocabulary size, or bits per input step.
        output_dim: int. Output vocabulary size, or bits per output step.
        modality: str. `"tokens"` or `"bits"`.
        num_layers: int. Decoder blocks.
        model_dim: int. Model width d_model; even, divisible by `num_heads`.
        num_heads: int. Attention heads per block.
        feed_forward_dim: int. Inner width of the feed-forward layers.
        dropout: float. Dropout on embeddings, residuals and attention.
        norm_first: bool. Pre-norm blocks (and a final norm).
        tie_embeddings: bool. Use the embedding matrix as the output
            projection (tokens with `input_dim == output_dim` only; bit
            tasks have no embedding matrix and ignore it).
        name: str. The model's name.

    Returns:
        An uncompiled Functional `keras.Model` with input `"inputs"` and
        logits (tokens) or probabilities (bits) `(batch_size, time,
        output_dim)`.
    """
    tied = parts.check_arguments(
        input_dim=input_dim,
        output_dim=output_dim,
        modality=modality,
        model_dim=model_dim,
        num_heads=num_heads,
        feed_forward_dim=feed_forward_dim,
        layer_counts={"num_layers": num_layers},
        tie_embeddings=tie_embeddings,
    )
    found = {
        "embedding": parts.embedding(
            modality, input_dim, model_dim, "embedding"
        ),
        **parts.position_layers(dropout),
        **parts.blocks(
            layers.TransformerDecoderBlock,
            "decoder_block",
            num_layers,
            num_heads=num_heads,
            feed_forward_dim=feed_forward_dim,
            dropout=dropout,
            norm_first=norm_first,
        ),
    }
    if norm_first:
        found["final_norm"] = keras.layers.LayerNormalization(
            epsilon=1e-6, name="final_norm"
        )
    if not tied:
        found["outputs"] = sequence_io.output_layer(modality, output_dim)
    inputs = sequence_io.sequence_input(modality, input_dim, "inputs")
    return keras.Model(inputs, forward(found, inputs), name=name)
