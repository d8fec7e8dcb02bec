"""The memory-augmented Transformer: segments, attention and an NTM memory.

Legend: B = batch size, T = steps, D = model width, H = attention heads,
L = segment length (the attention window), N = memory slots, W = word size.
"""

import keras
import numpy as np
from keras import ops

from ntm_keras import layers, validation
from zoo.models import sequence_io
from zoo.models import transformer_parts as parts
from zoo.registry import register

STACK_NAME = "memory_transformer"
# The `_tiny` sizes of both memory Transformers, for tests and quick runs.
TINY_SIZES = {
    "num_layers": 1,
    "model_dim": 32,
    "num_heads": 2,
    "feed_forward_dim": 64,
    "segment_length": 8,
    "memory_size": 8,
    "word_size": 16,
}


def forward(found, inputs, *, memories=None, return_memories=False):
    """The model's forward pass over `{name: layer}`.

    Args:
        found: dict of the model's layers by name.
        inputs: `(batch_size, time)` ids or `(batch_size, time, input_dim)`.
        memories: optional list of memories, one per block, to start from.
        return_memories: bool. Also return the memories after the input.

    Returns:
        `(batch_size, time, output_dim)` logits or probabilities; with
        `return_memories`, `(outputs, memories)`.
    """
    hidden = found["embedding"](inputs)  # (B, T, D)
    hidden = found["embedding_dropout"](hidden)
    hidden, memories = found[STACK_NAME](
        hidden, memories, return_memories=True
    )  # the stack adds the position within each segment
    hidden = found["final_norm"](hidden)
    outputs = parts.project_outputs(found, hidden, "embedding")
    return (outputs, memories) if return_memories else outputs


def stream(model, inputs, chunk_length, memories=None):
    """Runs a long input through `model` in chunks, carrying the memory.

    The memory is the model's recurrent state: each chunk starts from the
    memories the previous chunk left, so the input can be far longer than
    any training sequence, and only one chunk is in memory at a time. With
    chunks that are whole segments (`chunk_length` a multiple of the
    model's `segment_length`), the outputs equal those of one call on the
    whole input.

    Args:
        model: a model built by `ntm_transformer*` (or its reloaded copy).
        inputs: `(batch_size, time)` ids or `(batch_size, time, input_dim)`.
        chunk_length: int. Steps per chunk.
        memories: optional list of starting memories, one per block.

    Returns:
        `(outputs, memories)`: NumPy `(batch_size, time, output_dim)` and
        the list of memories after the last chunk.
    """
    validation.check_positive_int("chunk_length", chunk_length)
    found = parts.layers_by_name(model)
    inputs = np.asarray(inputs)
    pieces = []
    for start in range(0, inputs.shape[1], chunk_length):
        outputs, memories = forward(
            found,
            inputs[:, start : start + chunk_length],
            memories=memories,
            return_memories=True,
        )
        pieces.append(ops.convert_to_numpy(outputs))
    return np.concatenate(pieces, axis=1), memories


def memory_trace(model, inputs):
    """What every block of `model` read, wrote and attended to.

    Args:
        model: a `ntm_transformer*` model.
        inputs: one batch of inputs.

    Returns:
        dict from block name to NumPy arrays (see
        `ntm_keras.layers.SegmentRecurrentStack.trace`).
    """
    found = parts.layers_by_name(model)
    hidden = found["embedding"](inputs)
    trace = found[STACK_NAME].trace(hidden)
    return {
        block: {key: ops.convert_to_numpy(value) for key, value in t.items()}
        for block, t in trace.items()
    }


def segment_attention_map(per_segment, time):
    """The self-attention over a whole input, from its segments' maps.

    Each segment attends only within itself, so the map over the input is
    block-diagonal: the segments' maps on the diagonal, zero elsewhere.

    Args:
        per_segment: `(batch_size, segments, num_heads, segment_length,
            segment_length)` array, a block's `"self_attention"` trace.
        time: int. Steps of the input; the padding of a last, shorter
            segment is cropped.

    Returns:
        `(batch_size, num_heads, time, time)` NumPy array.
    """
    per_segment = np.asarray(per_segment)
    batch_size, segments, heads, length_l, _ = per_segment.shape
    full = np.zeros(
        (batch_size, heads, segments * length_l, segments * length_l),
        per_segment.dtype,
    )
    for index in range(segments):
        window = slice(index * length_l, (index + 1) * length_l)
        full[:, :, window, window] = per_segment[:, index]
    return full[:, :, :time, :time]


def attention_scores(model, inputs):
    """Self-attention weights of every block over the whole input.

    Block-diagonal over the segments (see `segment_attention_map`).

    Returns:
        dict from `"<block>/self_attention"` to `(batch_size, num_heads,
        time, time)` NumPy arrays.
    """
    time = np.shape(inputs)[1]
    return {
        f"{block}/self_attention": segment_attention_map(
            trace["self_attention"], time
        )
        for block, trace in memory_trace(model, inputs).items()
    }


@register(
    "ntm_transformer",
    description=(
        "Transformer with an NTM memory carried across 32-step segments "
        "(4 x 128)."
    ),
    tags=("transformer", "memory", "language_model"),
    compile_defaults=parts.decoder_compile_defaults,
    attention_scores=attention_scores,
)
@register(
    "ntm_transformer_tiny",
    description="One small memory-augmented block, for tests and quick runs.",
    tags=("transformer", "memory", "language_model", "tiny"),
    defaults=TINY_SIZES,
    compile_defaults=parts.tiny_decoder_compile_defaults,
    attention_scores=attention_scores,
)
@register(
    "dnc_transformer",
    description=(
        "Transformer with a DNC-allocated memory carried across 32-step "
        "segments (4 x 128)."
    ),
    tags=("transformer", "memory", "language_model"),
    defaults={"addressing": "dnc"},
    compile_defaults=parts.decoder_compile_defaults,
    attention_scores=attention_scores,
)
@register(
    "dnc_transformer_tiny",
    description="One small DNC-allocated memory block, for tests and quick "
    "runs.",
    tags=("transformer", "memory", "language_model", "tiny"),
    defaults={**TINY_SIZES, "addressing": "dnc"},
    compile_defaults=parts.tiny_decoder_compile_defaults,
    attention_scores=attention_scores,
)
def memory_transformer(
    *,
    input_dim: int = 65,
    output_dim: int = 65,
    modality: str = "tokens",
    num_layers: int = 4,
    model_dim: int = 128,
    num_heads: int = 4,
    feed_forward_dim: int = 512,
    segment_length: int = 32,
    memory_size: int = 32,
    word_size: int = 32,
    num_read_heads: int = 1,
    num_write_heads: int = 1,
    addressing: str = "ntm",
    zero_init_read: bool = False,
    dropout: float = 0.1,
    tie_embeddings: bool = True,
    name: str = "ntm_transformer",
) -> keras.Model:
    """Builds a decoder-only Transformer that reads and writes a memory.

    The factory behind `ntm_transformer` (`addressing="ntm"`) and
    `dnc_transformer` (`addressing="dnc"`) and their `_tiny` sizes.

    Each step is embedded (token ids: `TokenEmbedding`; bits: a `Dense`
    projection), then the input is cut into segments of `segment_length`
    steps and run through a `SegmentRecurrentStack` of `num_layers`
    `MemoryAugmentedTransformerBlock`s: causal self-attention within the
    segment, a read from the block's memory, the feed-forward layer, and a
    write of every step into the memory, which the block carries to the
    next segment. A step thus sees its own segment through attention and
    everything before it through the memory, further back than the
    window. The output at step t depends only on inputs 0..t. Pre-norm
    blocks with a final `LayerNormalization`.

    With `addressing="ntm"` reads and writes find slots by content. With
    `"dnc"` each write head mixes its content weighting with the DNC's
    usage-based allocation (an allocation gate and a write gate per head,
    a free gate per read head), so that successive steps and segments
    write to free slots instead of finding them by content; each block's
    state is then `(memory, usage)`, which `stream` carries like a memory.
    Temporal links and read modes are left out (see the block's
    docstring); the DNC blocks add `D (3 V + R)` weights and biases each.

    A last segment shorter than `segment_length` is padded inside the
    model and the outputs cropped (padding steps do not write). To run an
    input longer than memory allows, or as a stream, use
    `zoo.models.ntm_transformer.stream(model, inputs, chunk_length)`.

    Args:
        input_dim: int. Input vocabulary size, or bits per input step.
        output_dim: int. Output vocabulary size, or bits per output step.
        modality: str. `"tokens"` or `"bits"`.
        num_layers: int. Memory-augmented blocks, each with its own memory.
        model_dim: int. Model width d_model; even, divisible by `num_heads`.
        num_heads: int. Attention heads per block.
        feed_forward_dim: int. Inner width of the feed-forward layers.
        segment_length: int. Steps per segment: the attention window.
        memory_size: int. Memory slots N per block.
        word_size: int. Width W of each memory slot.
        num_read_heads: int. Read heads per step and block.
        num_write_heads: int. Write heads per step and block.
        addressing: str. `"ntm"` (content) or `"dnc"` (content and
            allocation), as `MemoryAugmentedTransformerBlock` takes it.
        zero_init_read: bool. Start each block's read output projection
            at zero (a fresh model adds nothing from its memories), as
            `MemoryAugmentedTransformerBlock` takes it.
        dropout: float. Dropout on embeddings, residuals and attention.
        tie_embeddings: bool. Use the embedding matrix as the output
            projection (tokens with `input_dim == output_dim` only).
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
    blocks = [
        layers.MemoryAugmentedTransformerBlock(
            num_heads=num_heads,
            feed_forward_dim=feed_forward_dim,
            memory_size=memory_size,
            word_size=word_size,
            num_read_heads=num_read_heads,
            num_write_heads=num_write_heads,
            addressing=addressing,
            zero_init_read=zero_init_read,
            dropout=dropout,
            name=f"memory_block_{index}",
        )
        for index in range(num_layers)
    ]
    found = {
        "embedding": parts.embedding(
            modality, input_dim, model_dim, "embedding"
        ),
        "embedding_dropout": keras.layers.Dropout(
            dropout, name="embedding_dropout"
        ),
        STACK_NAME: layers.SegmentRecurrentStack(
            blocks, segment_length=segment_length, name=STACK_NAME
        ),
        "final_norm": keras.layers.LayerNormalization(
            epsilon=1e-6, name="final_norm"
        ),
    }
    if not tied:
        found["outputs"] = sequence_io.output_layer(modality, output_dim)
    inputs = sequence_io.sequence_input(modality, input_dim, "inputs")
    return keras.Model(inputs, forward(found, inputs), name=name)
