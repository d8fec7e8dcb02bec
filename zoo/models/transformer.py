"""The encoder-decoder Transformer of "Attention Is All You Need"."""

import functools

import keras

from ntm_keras import layers, validation
from ntm_keras.modalities import STRUCTURES
from zoo.models import sequence_io
from zoo.models import transformer_parts as parts
from zoo.registry import register

# The paper's optimizer: the warm-up schedule at its own peak
# (model_dim * warmup_steps)^-0.5, and label smoothing 0.1.
_compile_defaults = functools.partial(
    parts.warmup_compile_defaults, label_smoothing=0.1
)


def forward(found, inputs, *, scores=None):
    """The encoder-decoder's forward pass over `{name: layer}`.

    Args:
        found: dict of the model's layers by name.
        inputs: for `"sequence_to_sequence"`, a dict of `encoder_inputs`
            `(batch_size, source_time)` and `decoder_inputs`
            `(batch_size, time)` token ids (0 is padding); for
            `"sequence"`, one `(batch_size, time[, input_dim])` tensor read
            by both the encoder and the decoder.
        scores: optional dict that receives the attention weights.

    Returns:
        `(batch_size, time, output_dim)` logits or probabilities.
    """
    one_sequence = not isinstance(inputs, dict)
    if not one_sequence:
        source, target = inputs["encoder_inputs"], inputs["decoder_inputs"]
        encoder_padding = parts.padding_mask(source)  # (B, S)
        encoded = parts.embed(found, "encoder_embedding", source)
        encoded = parts.run_blocks(
            found,
            "encoder_block",
            encoded,
            scores,
            padding_mask=encoder_padding,
        )  # (B, S, D)
        decoded = parts.embed(found, "decoder_embedding", target)  # (B, T, D)
        output_embedding = "decoder_embedding"
    else:
        # One sequence, one output per step: every attention is causal
        # (encoder, decoder and cross), so the output at step t depends on
        # the inputs up to t only.
        encoder_padding = None
        decoded = parts.embed(found, "embedding", inputs)  # (B, T, D)
        encoded = parts.run_blocks(
            found, "encoder_block", decoded, scores, use_causal_mask=True
        )
        output_embedding = "embedding"
    if "encoder_norm" in found:
        encoded = found["encoder_norm"](encoded)
    decoded = parts.run_blocks(
        found,
        "decoder_block",
        decoded,
        scores,
        encoder_outputs=encoded,
        encoder_padding_mask=encoder_padding,
        causal_cross_attention=one_sequence,
    )  # (B, T, D)
    if "decoder_norm" in found:
        decoded = found["decoder_norm"](decoded)
    return parts.project_outputs(found, decoded, output_embedding)


def attention_scores(model, inputs):
    """Returns the attention weights of every block of `model`.

    Args:
        model: a `transformer*` model.
        inputs: one batch of the model's inputs.

    Returns:
        dict from `"encoder_block_<i>/self_attention"`,
        `"decoder_block_<i>/self_attention"` and
        `"decoder_block_<i>/cross_attention"` to
        `(batch_size, num_heads, query_time, key_time)` NumPy arrays.
    """
    return parts.collect_scores(forward, model, inputs)


@register(
    "transformer",
    description="Encoder-decoder Transformer, the paper's base model.",
    tags=("transformer", "sequence_to_sequence"),
    compile_defaults=functools.partial(_compile_defaults, warmup_steps=4000),
    attention_scores=attention_scores,
)
@register(
    "transformer_tiny",
    description="One small encoder and decoder block, for tests.",
    tags=("transformer", "sequence_to_sequence", "tiny"),
    defaults={
        "num_encoder_layers": 1,
        "num_decoder_layers": 1,
        "model_dim": 32,
        "num_heads": 2,
        "feed_forward_dim": 64,
    },
    compile_defaults=functools.partial(_compile_defaults, warmup_steps=100),
    attention_scores=attention_scores,
)
def transformer(
    *,
    input_dim: int = 8000,
    output_dim: int = 8000,
    modality: str = "tokens",
    structure: str = "sequence_to_sequence",
    num_encoder_layers: int = 6,
    num_decoder_layers: int = 6,
    model_dim: int = 512,
    num_heads: int = 8,
    feed_forward_dim: int = 2048,
    dropout: float = 0.1,
    norm_first: bool = False,
    tie_embeddings: bool = True,
    name: str = "transformer",
) -> keras.Model:
    """Builds the encoder-decoder Transformer (base sizes by default).

    The encoder embeds the source (sqrt(model_dim)-scaled embedding plus
    sinusoidal position encoding) and runs `num_encoder_layers`
    `TransformerEncoderBlock`s; the decoder embeds the target shifted right
    and runs `num_decoder_layers` `TransformerDecoderBlock`s, each with
    masked self-attention and cross-attention to the encoder's output; a
    final projection gives logits over the target vocabulary. See
    [Vaswani et al. 2017](https://arxiv.org/abs/1706.03762), figure 1 and
    table 3 (base: d_model 512, 8 heads, 6 + 6 layers, d_ff 2048,
    dropout 0.1). Post-norm by default, as in the paper.

    Structures (set by the task):

    - `"sequence_to_sequence"` (translation): inputs `encoder_inputs`
      `(batch_size, source_time)` and `decoder_inputs`
      `(batch_size, time)`, token ids with 0 as padding, which is masked
      in every attention over the source. The decoder's embedding is tied
      to the output projection with `tie_embeddings`.
    - `"sequence"` (one output per input step, e.g. the copy task or
      character language modelling): one input `inputs`, read by both
      stacks. The encoder and the cross-attention are causal too, so the
      output at step t depends only on inputs 0..t, like every other
      per-step model in the zoo.

    Args:
        input_dim: int. Source vocabulary size, or bits per input step.
        output_dim: int. Target vocabulary size, or bits per output step.
        modality: str. `"tokens"` or `"bits"` (bits only with
            `"sequence"`).
        structure: str. `"sequence_to_sequence"` or `"sequence"`.
        num_encoder_layers: int. Encoder blocks.
        num_decoder_layers: int. Decoder blocks.
        model_dim: int. Model width d_model; even, divisible by `num_heads`.
        num_heads: int. Attention heads per attention layer.
        feed_forward_dim: int. Inner width d_ff of the feed-forward layers.
        dropout: float. Dropout on embeddings, residuals and attention.
        norm_first: bool. Pre-norm blocks (and final norms) instead of the
            paper's post-norm.
        tie_embeddings: bool. Share the decoder's embedding with the output
            projection (token tasks whose decoder reads the output
            vocabulary).
        name: str. The model's name.

    Returns:
        An uncompiled Functional `keras.Model`.
    """
    validation.check_choice("structure", structure, STRUCTURES)
    pairs = structure == "sequence_to_sequence"
    if pairs and modality == "bits":
        raise ValueError(
            "Invalid `modality`: received 'bits' with structure="
            "'sequence_to_sequence'; expected 'tokens' (sequence-to-sequence "
            "tasks give token ids)."
        )
    # One-sequence models tie their one embedding; translation models tie
    # the decoder's, which always reads the output vocabulary.
    tied = parts.check_arguments(
        input_dim=input_dim,
        output_dim=output_dim,
        modality=modality,
        model_dim=model_dim,
        num_heads=num_heads,
        feed_forward_dim=feed_forward_dim,
        layer_counts={
            "num_encoder_layers": num_encoder_layers,
            "num_decoder_layers": num_decoder_layers,
        },
        tie_embeddings=tie_embeddings,
        embedding_input_dim=output_dim if pairs else input_dim,
    )
    if pairs:
        found = {
            "encoder_embedding": parts.embedding(
                modality, input_dim, model_dim, "encoder_embedding"
            ),
            "decoder_embedding": parts.embedding(
                modality, output_dim, model_dim, "decoder_embedding"
            ),
        }
    else:
        found = {
            "embedding": parts.embedding(
                modality, input_dim, model_dim, "embedding"
            )
        }
    found.update(parts.position_layers(dropout))
    options = {
        "num_heads": num_heads,
        "feed_forward_dim": feed_forward_dim,
        "dropout": dropout,
        "norm_first": norm_first,
    }
    found.update(
        parts.blocks(
            layers.TransformerEncoderBlock,
            "encoder_block",
            num_encoder_layers,
            **options,
        )
    )
    found.update(
        parts.blocks(
            layers.TransformerDecoderBlock,
            "decoder_block",
            num_decoder_layers,
            **options,
        )
    )
    if norm_first:
        for norm in ("encoder_norm", "decoder_norm"):
            found[norm] = keras.layers.LayerNormalization(
                epsilon=1e-6, name=norm
            )
    if not tied:
        found["outputs"] = sequence_io.output_layer(modality, output_dim)
    if pairs:
        inputs = {
            "encoder_inputs": sequence_io.sequence_input(
                modality, input_dim, "encoder_inputs"
            ),
            "decoder_inputs": sequence_io.sequence_input(
                modality, output_dim, "decoder_inputs"
            ),
        }
    else:
        inputs = sequence_io.sequence_input(modality, input_dim, "inputs")
    return keras.Model(inputs, forward(found, inputs), name=name)
