"""Memory addressing of the Neural Turing Machine, one function per equation.

Pure functions with no weights, written with `keras.ops` so they run on every
backend. The NTM (`NTMCell`) and the memory-augmented Transformer use these
functions; none of them writes its own copy. Equation numbers refer to
[Graves et al. 2014](https://arxiv.org/abs/1410.5401), section 3.

Legend: B = batch size, H = heads, N = memory slots (`memory_size`),
W = word size (`word_size`), S = shift offsets (`shift_range`).
"""

from keras import ops

# Added inside every division, square root, logarithm and power whose
# argument can reach zero, so that values and gradients stay finite on an
# all-zero memory, zero keys and one-hot weightings.
EPSILON = 1e-6


def cosine_similarity(memory, keys):
    """Cosine similarity of each key with each memory row.

    `K[u, v] = u . v / (|u| |v|)`, equation (6), with `|x|` computed as
    `sqrt(sum x^2 + EPSILON)` so that zero rows have similarity 0 and a
    finite gradient.

    Args:
        memory: `(batch_size, memory_size, word_size)`.
        keys: `(batch_size, num_heads, word_size)`.

    Returns:
        `(batch_size, num_heads, memory_size)` in [-1, 1].
    """
    dots = ops.einsum("bhw,bnw->bhn", keys, memory)  # (B, H, N)
    key_norms = ops.sqrt(ops.sum(ops.square(keys), axis=-1) + EPSILON)
    memory_norms = ops.sqrt(ops.sum(ops.square(memory), axis=-1) + EPSILON)
    return dots / (key_norms[:, :, None] * memory_norms[:, None, :])


def content_weights(memory, keys, strengths):
    """Focus by content: a softmax over slots of strength times similarity.

    `w_t^c(i) = exp(beta_t K[k_t, M_t(i)]) / sum_j exp(beta_t K[k_t, M_t(j)])`,
    equation (5).

    Args:
        memory: `(batch_size, memory_size, word_size)`.
        keys: `(batch_size, num_heads, word_size)`.
        strengths: `(batch_size, num_heads)`, already positive (beta_t).

    Returns:
        `(batch_size, num_heads, memory_size)`, each row summing to 1.
    """
    similarity = cosine_similarity(memory, keys)  # (B, H, N)
    return ops.softmax(strengths[:, :, None] * similarity, axis=-1)


def interpolate(content_weighting, previous_weighting, gates):
    """Blends the content weighting with the previous weighting.

    `w_t^g = g_t w_t^c + (1 - g_t) w_{t-1}`, equation (7).

    Args:
        content_weighting: `(batch_size, num_heads, memory_size)`.
        previous_weighting: `(batch_size, num_heads, memory_size)`.
        gates: `(batch_size, num_heads)` in [0, 1] (g_t).

    Returns:
        `(batch_size, num_heads, memory_size)`.
    """
    gates = gates[:, :, None]
    return gates * content_weighting + (1.0 - gates) * previous_weighting


def circular_shift(weights, shift_weights):
    """Rotates a weighting by a distribution over integer offsets.

    `w~_t(i) = sum_j w_t^g(j) s_t(i - j)`, equation (8), a circular
    convolution over the slots. Offset `o` runs from `-(S - 1) / 2` to
    `(S - 1) / 2`; a shift weight of 1 on offset +1 moves the weight of slot
    `i` to slot `i + 1` (modulo `memory_size`).

    Args:
        weights: `(batch_size, num_heads, memory_size)`.
        shift_weights: `(batch_size, num_heads, shift_range)`, rows summing
            to 1 (s_t). `shift_range` is odd.

    Returns:
        `(batch_size, num_heads, memory_size)`.
    """
    shift_range = shift_weights.shape[-1]
    radius = (shift_range - 1) // 2
    shifted = [
        # roll by +o: slot i takes the weight of slot i - o.
        shift_weights[:, :, index : index + 1]
        * ops.roll(weights, index - radius, axis=-1)
        for index in range(shift_range)
    ]
    return ops.sum(ops.stack(shifted, axis=0), axis=0)


def sharpen(weights, sharpening):
    """Sharpens a weighting by raising it to a power and renormalising.

    `w_t(i) = w~_t(i)^gamma_t / sum_j w~_t(j)^gamma_t`, equation (9), computed
    as `softmax(gamma_t * log(w~_t + EPSILON))`: the same value, but it sums to
    exactly 1 even where every `w^gamma` underflows (128 slots at gamma 21),
    and its gradients stay finite where a weight is exactly zero.

    Args:
        weights: `(batch_size, num_heads, memory_size)`, non-negative.
        sharpening: `(batch_size, num_heads)`, >= 1 (gamma_t).

    Returns:
        `(batch_size, num_heads, memory_size)`, each row summing to 1.
    """
    logits = sharpening[:, :, None] * ops.log(weights + EPSILON)
    return ops.softmax(logits, axis=-1)


def read(memory, weights):
    """Reads one vector per head: the weighted sum of the memory rows.

    `r_t = sum_i w_t(i) M_t(i)`, equation (2).

    Args:
        memory: `(batch_size, memory_size, word_size)`.
        weights: `(batch_size, num_heads, memory_size)`.

    Returns:
        `(batch_size, num_heads, word_size)`.
    """
    return ops.einsum("bhn,bnw->bhw", weights, memory)


def erase_and_add(memory, weights, erase, add):
    """Writes to memory: erase, then add, for every write head at once.

    `M~_t(i) = M_{t-1}(i) prod_h [1 - w_t^h(i) e_t^h]` (equation 3, with the
    product over heads as the paper prescribes for several write heads), then
    `M_t(i) = M~_t(i) + sum_h w_t^h(i) a_t^h` (equation 4).

    Args:
        memory: `(batch_size, memory_size, word_size)`.
        weights: `(batch_size, num_heads, memory_size)`.
        erase: `(batch_size, num_heads, word_size)` in [0, 1] (e_t).
        add: `(batch_size, num_heads, word_size)` (a_t).

    Returns:
        The new memory, `(batch_size, memory_size, word_size)`.
    """
    if weights.shape[1] == 1:  # one head: skip the product over heads
        keep = 1.0 - weights[:, 0, :, None] * erase[:, 0, None, :]  # (B,N,W)
        added = weights[:, 0, :, None] * add[:, 0, None, :]
        return memory * keep + added
    keep = 1.0 - weights[:, :, :, None] * erase[:, :, None, :]  # (B,H,N,W)
    added = ops.einsum("bhn,bhw->bnw", weights, add)
    return memory * ops.prod(keep, axis=1) + added
