"""The values a memory starts from, shared by `NTMCell` and `DNCCell`.

Legend: B = batch size, N = memory slots, W = word size.
"""

import math

import keras
from keras import ops

# Every cell at this small constant, the start Collier & Beel (2018) found
# the most reliable: small enough that content addressing gives an
# unwritten slot a similarity of about 0 with any key.
MEMORY_CONSTANT = 1e-6


def constant_memory(batch_size, memory_size, word_size, dtype):
    """`(B, N * W)`, every cell at `MEMORY_CONSTANT`."""
    return ops.full(
        (batch_size, memory_size * word_size), MEMORY_CONSTANT, dtype=dtype
    )


def random_bound(memory_size, word_size):
    """The bound of `random_memory`'s draws: 1/sqrt(N + W)."""
    return 1.0 / math.sqrt(memory_size + word_size)


def random_memory(batch_size, memory_size, word_size, seed_generator, dtype):
    """`(B, N * W)` drawn uniformly in +-1/sqrt(N + W), anew at every call.

    Large enough that a slot which received a small share of a write does
    not look like the written vector to content addressing (cosine
    similarity ignores a slot's length): a thousandth of a write makes a
    constant slot look like the item, a random one needs about a tenth
    (notes/2026-12-03-associative-recall-random-memory.md).
    """
    limit = random_bound(memory_size, word_size)
    return keras.random.uniform(
        (batch_size, memory_size * word_size),
        -limit,
        limit,
        seed=seed_generator,
        dtype=dtype,
    )
