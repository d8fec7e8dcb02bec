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


# -- Differentiable Neural Computer -----------------------------------------
#
# Equations of Graves et al. 2016, "Hybrid computing using a neural network
# with dynamic external memory" (Nature 538), Methods, section "Dynamic
# memory allocation" and "Temporal memory linkage"; numbered here as in the
# project's checklist `papers/dnc.md` (2: retention ... 9: directional
# weightings). R = read heads, K = links kept per slot (`sparse_links`).


def memory_retention(free_gates, read_weights):
    """How much of each slot the read heads let the usage keep.

    `psi_t = prod_i (1 - f_t^i w_{t-1}^{r,i})` (Methods, "Dynamic memory
    allocation", retention vector psi_t; checklist equation 2). A free gate
    of 1 on a head that read slot `i` with weight 1 frees slot `i` (psi 0).

    Args:
        free_gates: `(batch_size, num_read_heads)` in [0, 1] (f_t^i).
        read_weights: `(batch_size, num_read_heads, memory_size)`, the
            previous step's read weightings (w_{t-1}^{r,i}).

    Returns:
        `(batch_size, memory_size)` in [0, 1].
    """
    return ops.prod(1.0 - free_gates[:, :, None] * read_weights, axis=1)


def update_usage(usage, write_weights, free_gates, read_weights):
    """The usage of each slot after the previous write and the frees.

    `u_t = (u_{t-1} + w_{t-1}^w - u_{t-1} o w_{t-1}^w) o psi_t`, with
    `psi_t` from `memory_retention` (Methods, "Dynamic memory allocation",
    usage vector u_t; checklist equation 3). Written slots move towards 1,
    slots freed by the read heads towards 0.

    Args:
        usage: `(batch_size, memory_size)` in [0, 1] (u_{t-1}).
        write_weights: `(batch_size, memory_size)`, the previous step's
            write weighting (w_{t-1}^w).
        free_gates: `(batch_size, num_read_heads)` in [0, 1] (f_t^i).
        read_weights: `(batch_size, num_read_heads, memory_size)`, the
            previous step's read weightings (w_{t-1}^{r,i}).

    Returns:
        `(batch_size, memory_size)` in [0, 1] (u_t).
    """
    written = usage + write_weights - usage * write_weights
    return written * memory_retention(free_gates, read_weights)


def allocation_weights(usage):
    """Where to write new data: the least used slots first.

    With `phi_t` the slot indices sorted by ascending usage,
    `a_t[phi_t[j]] = (1 - u_t[phi_t[j]]) prod_{i<j} u_t[phi_t[i]]`
    (Methods, "Dynamic memory allocation", allocation weighting a_t;
    checklist equation 4). The weights sum to at most 1; they are all 0
    when every slot is fully used.

    Gradients: as in the paper, none flows through the sort itself; the
    order `phi_t` is an integer permutation, held fixed by
    `ops.stop_gradient`, and the gradient reaches `u_t` through the sorted
    values it gathers, as if the order were a constant.

    Numerics: the usage is lifted to `EPSILON + (1 - EPSILON) u_t` and the
    exclusive cumulative product computed as `exp(cumsum(log u) - log u)`,
    whose gradient is finite even where a slot is unused (u = 0), where a
    plain cumprod's gradient divides by zero.

    Args:
        usage: `(batch_size, memory_size)` in [0, 1] (u_t).

    Returns:
        `(batch_size, memory_size)` (a_t), non-negative, summing to <= 1.
    """
    usage = EPSILON + (1.0 - EPSILON) * usage
    # Ascending order of usage (phi_t); a permutation, not differentiated.
    order = ops.stop_gradient(ops.argsort(usage, axis=-1))  # (B, N)
    sorted_usage = ops.take_along_axis(usage, order, axis=-1)  # (B, N)
    log_usage = ops.log(sorted_usage)  # finite: sorted_usage >= EPSILON
    # prod_{i<j} u[phi[i]]: the inclusive cumulative product over the
    # sorted slots divided by the current one, in log space.
    exclusive_product = ops.exp(ops.cumsum(log_usage, axis=-1) - log_usage)
    sorted_allocation = (1.0 - sorted_usage) * exclusive_product
    # Back to slot order: position j of the sorted list is slot phi[j].
    inverse = ops.argsort(order, axis=-1)
    return ops.take_along_axis(sorted_allocation, inverse, axis=-1)


def update_precedence(precedence, write_weights):
    """How much each slot was the last one written.

    `p_t = (1 - sum_i w_t^w[i]) p_{t-1} + w_t^w` (Methods, "Temporal memory
    linkage", precedence weighting p_t; checklist equation 7), `p_0 = 0`.

    Args:
        precedence: `(batch_size, memory_size)` (p_{t-1}).
        write_weights: `(batch_size, memory_size)` (w_t^w).

    Returns:
        `(batch_size, memory_size)` (p_t), summing to <= 1.
    """
    total = ops.sum(write_weights, axis=-1, keepdims=True)  # (B, 1)
    return (1.0 - total) * precedence + write_weights


def update_link(link, precedence, write_weights):
    """The temporal link matrix: slot `i` was written just after slot `j`.

    `L_t[i, j] = (1 - w_t^w[i] - w_t^w[j]) L_{t-1}[i, j] + w_t^w[i]
    p_{t-1}[j]`, and `L_t[i, i] = 0` (Methods, "Temporal memory linkage",
    link matrix L_t; checklist equation 8), `L_0 = 0`. The precedence is
    the previous step's: this step's write follows the previous writes.

    Args:
        link: `(batch_size, memory_size, memory_size)` (L_{t-1}).
        precedence: `(batch_size, memory_size)`, the previous precedence
            (p_{t-1}).
        write_weights: `(batch_size, memory_size)` (w_t^w).

    Returns:
        `(batch_size, memory_size, memory_size)` (L_t), entries in [0, 1].
    """
    rows = write_weights[:, :, None]  # w[i], (B, N, 1)
    columns = write_weights[:, None, :]  # w[j], (B, 1, N)
    link = (1.0 - rows - columns) * link + rows * precedence[:, None, :]
    # A slot is never linked to itself: zero the diagonal.
    size = ops.shape(link)[-1]
    return link * (1.0 - ops.eye(size, dtype=link.dtype))[None]


def directional_weights(link, read_weights):
    """Forward and backward weightings: one step along the links.

    `f_t^i = L_t w_{t-1}^{r,i}` and `b_t^i = L_t^T w_{t-1}^{r,i}` (Methods,
    "Temporal memory linkage", forward and backward weightings; checklist
    equation 9): forward moves each read head to the slots written after
    the ones it read, backward to those written before.

    Args:
        link: `(batch_size, memory_size, memory_size)` (L_t).
        read_weights: `(batch_size, num_read_heads, memory_size)`, the
            previous step's read weightings (w_{t-1}^{r,i}).

    Returns:
        `(forward, backward)`, each `(batch_size, num_read_heads,
        memory_size)`.
    """
    forward = ops.einsum("bij,bhj->bhi", link, read_weights)
    backward = ops.einsum("bij,bhi->bhj", link, read_weights)
    return forward, backward


def link_step(link, precedence, write_weights, read_weights):
    """`update_link`, then `directional_weights` on the new links.

    The same values as the two calls (equations 8 and 9), but the
    directional weightings are computed from the previous link matrix: with
    `w = w_t^w`, `p = p_{t-1}`, `x` a previous read weighting, `o` the
    elementwise product and `L = L_{t-1}` (zero diagonal),

        L_t x   = L x   - w o (L x)   - L (w o x)   + w (p . x) - w o p o x
        L_t^T x = L^T x - w o (L^T x) - L^T (w o x) + p (w . x) - w o p o x

    (the last term takes out the diagonal `w_i p_i` that equation 8
    zeroes). So the training step reads the large `L_t` only to carry it
    to the next step, not to differentiate a product with it: the backward
    pass keeps one `N x N` matrix per step instead of two. With the NTM's
    sizes (128 x 20, one read head, batches of 32) and at the `dnc`
    defaults this made a whole training step 1.2 to 1.5 times faster
    (`benchmarks/dnc_profile.py`, variant `link_two_calls`; notes/dnc.md,
    "Where a DNC step spends its time").

    Args:
        link: `(batch_size, memory_size, memory_size)` (L_{t-1}), with a
            zero diagonal as every `update_link` result has.
        precedence: `(batch_size, memory_size)` (p_{t-1}).
        write_weights: `(batch_size, memory_size)` (w_t^w).
        read_weights: `(batch_size, num_read_heads, memory_size)`, the
            previous step's read weightings (w_{t-1}^{r,i}).

    Returns:
        `(link, forward, backward)`: L_t as `update_link` returns it, and
        the weightings `directional_weights(L_t, read_weights)` returns.
    """
    heads = ops.shape(read_weights)[1]
    write = write_weights[:, None, :]  # (B, 1, N)
    written_reads = write * read_weights  # w o x, (B, R, N)
    # One product with L and one with L^T for x and w o x together.
    both = ops.concatenate([read_weights, written_reads], axis=1)
    along = ops.einsum("bij,bhj->bhi", link, both)  # L x, L (w o x)
    against = ops.einsum("bij,bhi->bhj", link, both)  # L^T x, L^T (w o x)
    self_links = (write_weights * precedence)[:, None, :] * read_weights
    precedence_dot = ops.sum(
        precedence[:, None, :] * read_weights, axis=-1, keepdims=True
    )  # p . x
    write_dot = ops.sum(written_reads, axis=-1, keepdims=True)  # w . x
    forward = (
        (1.0 - write) * along[:, :heads]
        - along[:, heads:]
        + write * precedence_dot
        - self_links
    )
    backward = (
        (1.0 - write) * against[:, :heads]
        - against[:, heads:]
        + precedence[:, None, :] * write_dot
        - self_links
    )
    # The sums cancel exactly in value, not always in rounding: lift the
    # rounding below 0 (link sharpening takes a logarithm), with the
    # gradient of the exact sums (a plain maximum would halve it under JAX
    # wherever a weighting is exactly 0).
    forward = forward + ops.stop_gradient(ops.relu(-forward))
    backward = backward + ops.stop_gradient(ops.relu(-backward))
    return update_link(link, precedence, write_weights), forward, backward


def sharpen_directional_weights(weights, exponents):
    """Link distribution sharpness control of Csordás & Schmidhuber (2019).

    `S(d, s)_i = d_i^s / sum_j d_j^s`, applied to a forward or backward
    weighting `d` with a learned exponent `s >= 1` ("Improving
    Differentiable Neural Computers Through Memory Masking, De-allocation,
    and Link Distribution Sharpness Control", ICLR 2019, section 3.3).
    Here the sharpened weighting is rescaled to the mass `sum_j d_j` of
    `d` (at most 1), so that a head with no link to follow still gets a
    weighting of 0 instead of a uniform one. Computed in log space with
    `EPSILON`, so values and gradients stay finite where `d` is 0.

    Args:
        weights: `(batch_size, num_read_heads, memory_size)`, non-negative.
        exponents: `(batch_size, num_read_heads)`, >= 1 (s_t).

    Returns:
        `(batch_size, num_read_heads, memory_size)`, with the row sums of
        `weights`.
    """
    mass = ops.sum(weights, axis=-1, keepdims=True)
    return mass * sharpen(weights, exponents)


def top_k_weights(weights, k):
    """Keeps the `k` largest entries of each weighting, zeroing the rest.

    The sparsification of Rae et al. (2016, "Scaling Memory-Augmented Neural
    Networks with Sparse Reads and Writes", section 3.4, sparse temporal
    links): the kept entries keep their values (gradients flow to them),
    the others are 0.

    Args:
        weights: `(batch_size, memory_size)`.
        k: int, 1 <= k <= memory_size.

    Returns:
        `(values, indices, sparse)`: `values` and `indices` `(batch_size,
        k)` in descending order of value, and `sparse` `(batch_size,
        memory_size)` with only those entries non-zero.
    """
    values, indices = ops.top_k(weights, k)
    size = ops.shape(weights)[-1]
    one_hot = ops.one_hot(indices, size, dtype=weights.dtype)  # (B, K, N)
    sparse = ops.einsum("bk,bkn->bn", values, one_hot)
    return values, indices, sparse


def initial_sparse_link(batch_size, memory_size, num_links, dtype="float32"):
    """An empty sparse link matrix: every row holds `num_links` zeros.

    The sparse link matrix of `update_sparse_link` is two arrays of shape
    `(batch_size, memory_size, num_links)`: the values of the kept entries
    of each row and their column indices (stored as floats, exact below
    2^24 slots, because an RNN state is one float tensor). Columns start
    distinct within each row (0, 1, ..., K - 1), an invariant every update
    keeps.

    Returns:
        `(values, columns)`, each `(batch_size, memory_size, num_links)`.
    """
    values = ops.zeros((batch_size, memory_size, num_links), dtype=dtype)
    columns = ops.arange(num_links, dtype=dtype)[None, None, :]
    columns = ops.broadcast_to(columns, (batch_size, memory_size, num_links))
    return values, columns


def _gather_slots(vectors, columns):
    """`vectors[b, ..., columns[b, i, k]]`.

    Maps `(B, ..., N)` and `(B, N, K)` to `(B, ..., N, K)`. Every size but
    the batch's is read statically, so that the batch size may be unknown
    (e.g. evaluation batches, whose last one may be smaller).
    """
    lead = tuple(vectors.shape[1:-1])
    size, k = columns.shape[1], columns.shape[2]
    flat = ops.reshape(columns, (-1, *(1 for _ in lead), size * k))
    flat = ops.broadcast_to(flat, (*ops.shape(vectors)[:-1], size * k))
    gathered = ops.take_along_axis(vectors, flat, axis=-1)
    return ops.reshape(gathered, (-1, *lead, size, k))


def update_sparse_link(values, columns, precedence, write_weights):
    """The temporal link matrix with `K` links per slot (Rae et al. 2016).

    The sparse temporal links of Rae et al. (2016, "Scaling Memory-Augmented
    Neural Networks with Sparse Reads and Writes", section 3.4 and appendix
    on the sparse DNC): equation 8 of the DNC (`update_link`) computed with
    only the K largest entries of `w_t^w` and of `p_{t-1}`, on a matrix
    that keeps at most K entries per row, so that the memory and the work
    of a step grow with `N K` (and `N K^2` for the merge), not `N^2`.

    With `w~` and `p~` the top-K sparsifications:
    1. every kept entry decays: `L[i, j] *= 1 - w~[i] - w~[j]`;
    2. the K rows written most (`w~[i] > 0`) receive the K x K new entries
       `w~[i] p~[j]` (0 on the diagonal `i = j`), added to the entry of the
       same column where the row holds one;
    3. each of those rows keeps its K largest entries.
    Rows never hold a column twice (see `initial_sparse_link`).

    Args:
        values: `(batch_size, memory_size, num_links)`, the kept entries.
        columns: `(batch_size, memory_size, num_links)`, their column
            indices as floats.
        precedence: `(batch_size, memory_size)` (p_{t-1}).
        write_weights: `(batch_size, memory_size)` (w_t^w).

    Returns:
        The new `(values, columns)`, same shapes.
    """
    size, k = values.shape[1], values.shape[2]
    int_columns = ops.cast(columns, "int32")
    write_values, write_rows, write_sparse = top_k_weights(write_weights, k)
    prec_values, prec_columns, _ = top_k_weights(precedence, k)
    # 1. Decay: (1 - w~[i] - w~[j]) L[i, j] over the kept entries only.
    column_writes = _gather_slots(write_sparse, int_columns)  # (B, N, K)
    values = (1.0 - write_sparse[:, :, None] - column_writes) * values
    # 2. The written rows, (B, K rows, K entries), and their new entries.
    row_index = ops.broadcast_to(
        write_rows[:, :, None], ops.shape(values)[:1] + (k, k)
    )
    old_values = ops.take_along_axis(values, row_index, axis=1)
    old_columns = ops.take_along_axis(int_columns, row_index, axis=1)
    new_values = write_values[:, :, None] * prec_values[:, None, :]
    new_columns = ops.broadcast_to(
        prec_columns[:, None, :], ops.shape(new_values)
    )
    # No self-links: zero w~[i] p~[i].
    new_values = ops.where(
        ops.equal(new_columns, write_rows[:, :, None]), 0.0, new_values
    )
    # A new entry whose column the row already holds is added to it.
    match = ops.cast(
        ops.equal(old_columns[:, :, :, None], new_columns[:, :, None, :]),
        values.dtype,
    )  # (B, K rows, K old, K new)
    old_values = old_values + ops.einsum("brom,brm->bro", match, new_values)
    matched = ops.max(match, axis=2)  # (B, K rows, K new): 1 if merged
    # 3. Keep the K largest of the 2K candidates; merged new entries score
    # -1 so they are never kept beside their twin (columns stay distinct).
    candidates = ops.concatenate([old_values, new_values * (1.0 - matched)], -1)
    candidate_columns = ops.concatenate([old_columns, new_columns], axis=-1)
    scores = ops.concatenate(
        [old_values, ops.where(matched > 0, -1.0, new_values)], axis=-1
    )
    _, keep = ops.top_k(ops.stop_gradient(scores), k)  # (B, K rows, K)
    kept_values = ops.take_along_axis(candidates, keep, axis=-1)
    kept_columns = ops.take_along_axis(candidate_columns, keep, axis=-1)
    # Scatter the K rows back (one-hot over the N rows: O(N K^2)).
    rows_one_hot = ops.one_hot(write_rows, size, dtype=values.dtype)  # (B,K,N)
    untouched = 1.0 - ops.sum(rows_one_hot, axis=1)[:, :, None]  # (B, N, 1)
    values = untouched * values + ops.einsum(
        "brn,brk->bnk", rows_one_hot, kept_values
    )
    columns = untouched * columns + ops.einsum(
        "brn,brk->bnk", rows_one_hot, ops.cast(kept_columns, values.dtype)
    )
    return values, columns


def sparse_directional_weights(values, columns, read_weights):
    """`directional_weights` for the sparse link matrix of `update_sparse_link`.

    Forward `f[i] = sum_k values[i, k] w[columns[i, k]]` (a gather) and
    backward `b[j] = sum_{i, k : columns[i, k] = j} values[i, k] w[i]` (a
    segment sum), both O(R N K).

    Args:
        values: `(batch_size, memory_size, num_links)`.
        columns: `(batch_size, memory_size, num_links)`, as floats.
        read_weights: `(batch_size, num_read_heads, memory_size)`
            (w_{t-1}^{r,i}).

    Returns:
        `(forward, backward)`, each `(batch_size, num_read_heads,
        memory_size)`.
    """
    int_columns = ops.cast(columns, "int32")
    batch = ops.shape(values)[0]
    size = values.shape[1]
    heads = read_weights.shape[1]
    gathered = _gather_slots(read_weights, int_columns)  # (B, R, N, K)
    forward = ops.sum(values[:, None] * gathered, axis=-1)
    # Backward: each entry (i, j) sends values[i, k] w[i] to slot j.
    sent = values[:, None] * read_weights[:, :, :, None]  # (B, R, N, K)
    sent = ops.reshape(ops.transpose(sent, (0, 2, 3, 1)), (-1, heads))
    offsets = ops.arange(batch, dtype="int32")[:, None, None] * size
    segments = ops.reshape(int_columns + offsets, (-1,))
    backward = ops.segment_sum(sent, segments, num_segments=batch * size)
    backward = ops.transpose(
        ops.reshape(backward, (-1, size, heads)), (0, 2, 1)
    )
    return forward, backward


def dense_link(values, columns):
    """The dense `(batch_size, N, N)` matrix of a sparse link, for traces."""
    size = values.shape[1]
    one_hot = ops.one_hot(ops.cast(columns, "int32"), size, dtype=values.dtype)
    return ops.einsum("bnk,bnkm->bnm", values, one_hot)
