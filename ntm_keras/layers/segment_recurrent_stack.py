"""Segment-level recurrence over a stack of memory-augmented blocks.

Legend: B = batch size, T = steps of the whole sequence, S = segments,
L = `segment_length`, D = model width, H = attention heads, N = memory slots,
W = word size, R = read heads, V = write heads.
"""

import keras
from keras import ops

from ntm_keras import validation
from ntm_keras.layers.memory_augmented_transformer_block import (
    MemoryAugmentedTransformerBlock,
)
from ntm_keras.layers.sinusoidal_position_encoding import (
    sinusoidal_position_encoding,
)

# Sequences of at most this many segments, when their length is known at
# tracing time, run as an unrolled Python loop; longer or unknown lengths run
# with `keras.ops.scan`.
MAX_UNROLLED_SEGMENTS = 16

# Per-step entries of a block's trace, concatenated over segments.
_STEP_TRACES = (
    "read_weights",
    "write_weights",
    "erase",
    "add",
    "allocation_weights",
    "allocation_gates",
    "write_gates",
    "free_gates",
)


@keras.saving.register_keras_serializable(package="ntm_keras")
class SegmentRecurrentStack(keras.layers.Layer):
    """Runs memory-augmented blocks over a long sequence, segment by segment.

    The sequence is cut into segments of `segment_length` steps (the
    attention window). Each segment goes through every block in turn; each
    block reads and writes its own memory, which it carries to the next
    segment (the segment-level recurrence of
    [Transformer-XL](https://arxiv.org/abs/1901.02860) and the
    [Recurrent Memory Transformer](https://arxiv.org/abs/2207.06881), with
    an NTM memory as the recurrent state). A step therefore sees the steps
    of its own segment through attention and every earlier segment through
    the memory. Segments run one after the other (an unrolled loop when
    the length is known at tracing time and gives at most
    `MAX_UNROLLED_SEGMENTS` segments, `keras.ops.scan` otherwise; both
    compute the same); the steps inside a segment run in parallel.

    The sinusoidal position encoding of the positions within the segment
    (0 .. segment_length - 1) is added to each segment, so every segment is
    processed by the same function of (segment, memories): a model can
    stream a sequence of any length in pieces (`call` with `memories` and
    `return_memories=True`) and get the same outputs as in one call, as
    long as each piece is a whole number of segments.

    A last segment shorter than `segment_length` is padded with zeros;
    padding steps do not write to memory, and the outputs are cropped back
    to the input's length.

    Args:
        blocks: list of `MemoryAugmentedTransformerBlock`, in order.
        segment_length: int. Steps per segment (the attention window).
            Defaults to `32`.
        pad_last_segment: bool. Pad a sequence whose length is not a
            multiple of `segment_length`; False raises `ValueError` for
            such a sequence (checked where the length is known when the
            model is traced). Defaults to `True`.
        position_encoding: bool. Add the sinusoidal encoding of the position
            within the segment to each segment. Defaults to `True`.

    Call arguments:
        inputs: `(batch_size, time, model_dim)`.
        memories: optional list of `(batch_size, memory_size, word_size)`,
            one per block (`(memory, usage)` pairs for blocks with
            `addressing="dnc"`); None starts from the blocks' initial
            memories.
        training: bool. Apply dropout.
        return_memories: bool. Also return the memories after the last
            segment.

    Returns:
        `(batch_size, time, model_dim)`; with `return_memories`,
        `(outputs, memories)`, the list of memories after the last segment.

    `trace(inputs)` runs the same computation eagerly, segment by segment,
    and returns what every block read, wrote and attended to.

    Example:

    >>> import numpy as np
    >>> from ntm_keras.layers import MemoryAugmentedTransformerBlock
    >>> stack = SegmentRecurrentStack(
    ...     [MemoryAugmentedTransformerBlock(2, 16, memory_size=4,
    ...                                      word_size=3)],
    ...     segment_length=4)
    >>> tuple(stack(np.ones((2, 10, 8), "float32")).shape)
    (2, 10, 8)
    """

    def __init__(
        self,
        blocks,
        segment_length=32,
        pad_last_segment=True,
        position_encoding=True,
        **kwargs,
    ):
        super().__init__(**kwargs)
        blocks = list(blocks) if isinstance(blocks, (list, tuple)) else None
        if not blocks or not all(
            isinstance(block, MemoryAugmentedTransformerBlock)
            for block in blocks
        ):
            raise ValueError(
                f"Invalid `blocks`: received {blocks!r}; expected a non-empty "
                "list of MemoryAugmentedTransformerBlock."
            )
        self.blocks = blocks
        self.segment_length = validation.check_positive_int(
            "segment_length", segment_length
        )
        for argument, value in (
            ("pad_last_segment", pad_last_segment),
            ("position_encoding", position_encoding),
        ):
            validation.check_bool(argument, value)
        self.pad_last_segment = pad_last_segment
        self.position_encoding = position_encoding

    def build(self, inputs_shape):
        if len(inputs_shape) != 3:
            raise ValueError(
                f"Invalid `inputs` for {self.name!r}: received shape "
                f"{tuple(inputs_shape)}; expected (batch_size, time, "
                "model_dim)."
            )
        segment_shape = (inputs_shape[0], self.segment_length, inputs_shape[2])
        for block in self.blocks:
            if block.built:  # e.g. rebuilt from its config by `from_config`
                continue
            # A memory, or (memory, usage) for addressing="dnc".
            block.build(
                segment_shape, block.compute_output_shape(segment_shape)[1]
            )

    def get_initial_memories(self, batch_size):
        """The blocks' initial memories, one `(B, N, W)` each.

        A block with `addressing="dnc"` gives `(memory, usage)` instead
        (see `MemoryAugmentedTransformerBlock.get_initial_memory`).
        """
        return [block.get_initial_memory(batch_size) for block in self.blocks]

    def _check_length(self, inputs):
        length = inputs.shape[1]
        if (
            not self.pad_last_segment
            and length is not None
            and length % self.segment_length
        ):
            raise ValueError(
                f"Invalid `segment_length`: received {self.segment_length}, "
                f"which does not divide the sequence length {length}, and "
                "pad_last_segment=False; expected a divisor of the length, "
                "or pad_last_segment=True to pad the last segment."
            )

    def call(
        self,
        inputs,
        memories=None,
        training=None,
        return_memories=False,
    ):
        self._check_length(inputs)
        length_l = self.segment_length
        batch_size, length = ops.shape(inputs)[0], ops.shape(inputs)[1]
        model_dim = inputs.shape[-1]
        num_segments = (length + length_l - 1) // length_l  # S
        padded_length = num_segments * length_l
        padding = ops.zeros(
            (batch_size, padded_length - length, model_dim), inputs.dtype
        )
        padded = ops.concatenate([inputs, padding], axis=1)  # (B, S * L, D)
        segments = ops.reshape(
            padded, (batch_size, num_segments, length_l, model_dim)
        )
        if self.position_encoding:
            segments = segments + sinusoidal_position_encoding(
                length_l, model_dim, dtype=inputs.dtype
            )
        segments = ops.transpose(segments, (1, 0, 2, 3))  # (S, B, L, D)
        if memories is None:
            memories = self.get_initial_memories(batch_size)
        if len(memories) != len(self.blocks):
            raise ValueError(
                f"Invalid `memories`: received {len(memories)} memories; "
                f"expected one per block ({len(self.blocks)})."
            )

        def step(carry, index):
            # `ops.scan` on TensorFlow stacks outputs shaped like the carry,
            # so the carry holds the segment's outputs beside the memories.
            segment = ops.take(segments, index, axis=0)  # (B, L, D)
            positions = index * length_l + ops.arange(length_l)
            mask = ops.broadcast_to(
                (positions < length)[None], (batch_size, length_l)
            )  # (B, L): False at padding
            new_memories = []
            for block, memory in zip(self.blocks, carry[1:]):
                segment, memory = block(
                    segment, memory, padding_mask=mask, training=training
                )
                new_memories.append(memory)
            new_carry = (segment, *new_memories)
            return new_carry, new_carry

        initial = (ops.zeros_like(segments[0]), *memories)
        static_segments = None
        # An int when known; None, or a symbolic dimension while JAX infers
        # shapes, when not.
        if isinstance(inputs.shape[1], int):
            static_segments = -(-inputs.shape[1] // length_l)
        if static_segments is not None and (
            static_segments <= MAX_UNROLLED_SEGMENTS
        ):
            # A length known when tracing: unrolled, no loop construct (and
            # XLA can compile it).
            final, pieces = initial, []
            for index in range(static_segments):
                final, _ = step(final, index)
                pieces.append(final[0])
            outputs = ops.concatenate(pieces, axis=1)[:, :length]
        else:
            final, per_segment = ops.scan(
                step, initial, ops.arange(num_segments)
            )
            outputs = self._join(per_segment[0], model_dim)[:, :length]
        if return_memories:
            return outputs, list(final[1:])
        return outputs

    def trace(self, inputs, memories=None):
        """Runs `inputs` eagerly and records every block, segment by segment.

        The same computation as `call` (without dropout), for inspection.

        Args:
            inputs: `(batch_size, time, model_dim)`.
            memories: optional list of starting memories, one per block.

        Returns:
            dict from block name to a dict of tensors: `"read_weights"`
            `(batch_size, time, num_read_heads, memory_size)`;
            `"write_weights"` `(batch_size, time, num_write_heads,
            memory_size)`; `"erase"` and `"add"` `(batch_size, time,
            num_write_heads, word_size)`; `"self_attention"`
            `(batch_size, segments, num_heads, segment_length,
            segment_length)`; `"memory"` `(batch_size, segments,
            memory_size, word_size)`, the memory after each segment. Blocks
            with `addressing="dnc"` add the per-step `"allocation_weights"`
            (as `"write_weights"`), `"allocation_gates"`, `"write_gates"`
            `(batch_size, time, num_write_heads)`, `"free_gates"`
            `(batch_size, time, num_read_heads)`, and `"usage"`
            `(batch_size, segments, memory_size)` after each segment.
        """
        inputs = ops.convert_to_tensor(inputs)
        self._check_length(inputs)
        length_l, length = self.segment_length, inputs.shape[1]
        batch_size, model_dim = inputs.shape[0], inputs.shape[2]
        num_segments = -(-length // length_l)
        padded = ops.pad(
            inputs, ((0, 0), (0, num_segments * length_l - length), (0, 0))
        )
        if memories is None:
            memories = self.get_initial_memories(batch_size)
        memories = list(memories)
        steps = {block.name: [] for block in self.blocks}
        for index in range(num_segments):
            segment = padded[:, index * length_l : (index + 1) * length_l]
            if self.position_encoding:
                segment = segment + sinusoidal_position_encoding(
                    length_l, model_dim, dtype=inputs.dtype
                )
            positions = index * length_l + ops.arange(length_l)
            mask = ops.broadcast_to(
                (positions < length)[None], (batch_size, length_l)
            )
            for position, block in enumerate(self.blocks):
                segment, memory, trace = block(
                    segment,
                    memories[position],
                    padding_mask=mask,
                    return_trace=True,
                )
                memories[position] = memory
                if isinstance(memory, (tuple, list)):  # (memory, usage)
                    memory = memory[0]
                steps[block.name].append(dict(trace, memory=memory))
        result = {}
        for name, per_segment in steps.items():
            result[name] = {
                key: (
                    ops.concatenate([s[key] for s in per_segment], axis=1)[
                        :, :length
                    ]
                    if key in _STEP_TRACES
                    else ops.stack([s[key] for s in per_segment], axis=1)
                )
                for key in per_segment[0]
            }
        return result

    def _join(self, per_segment, *step_shape):
        """`(S, B, L, ...)` -> `(B, S * L, ...)`."""
        joined = ops.moveaxis(per_segment, 0, 1)  # (B, S, L, ...)
        shape = ops.shape(joined)
        return ops.reshape(joined, (shape[0], shape[1] * shape[2], *step_shape))

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "blocks": [
                    keras.saving.serialize_keras_object(block)
                    for block in self.blocks
                ],
                "segment_length": self.segment_length,
                "pad_last_segment": self.pad_last_segment,
                "position_encoding": self.position_encoding,
            }
        )
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["blocks"] = [
            keras.saving.deserialize_keras_object(block)
            for block in config["blocks"]
        ]
        return cls(**config)
