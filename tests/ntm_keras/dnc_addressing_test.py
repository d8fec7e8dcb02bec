"""DNC addressing functions against NumPy loops, and their numerics."""

import numpy as np
import pytest
import tensorflow as tf

from ntm_keras.memory import addressing
from testing import tensorflow_only

EPSILON = addressing.EPSILON
RNG = np.random.default_rng(0)
B, R, N = 2, 3, 6


def _weights(shape, total=1.0):
    raw = RNG.random(shape)
    return total * raw / raw.sum(axis=-1, keepdims=True)


def _numpy(x):
    return np.asarray(x, dtype=np.float64)


# -- NumPy loop references, written from the paper's equations --------------


def _usage_reference(usage, write, free, read):
    result = np.zeros_like(usage)
    for b in range(usage.shape[0]):
        for i in range(usage.shape[1]):
            retention = 1.0
            for head in range(free.shape[1]):
                retention *= 1 - free[b, head] * read[b, head, i]
            written = usage[b, i] + write[b, i] - usage[b, i] * write[b, i]
            result[b, i] = written * retention
    return result


def _allocation_reference(usage):
    result = np.zeros_like(usage)
    for b in range(usage.shape[0]):
        lifted = EPSILON + (1 - EPSILON) * usage[b]
        order = sorted(range(usage.shape[1]), key=lambda i: lifted[i])
        product = 1.0
        for slot in order:
            result[b, slot] = (1 - lifted[slot]) * product
            product *= lifted[slot]
    return result


def _link_reference(link, precedence, write):
    result = np.zeros_like(link)
    for b in range(link.shape[0]):
        for i in range(link.shape[1]):
            for j in range(link.shape[2]):
                if i == j:
                    continue
                result[b, i, j] = (1 - write[b, i] - write[b, j]) * link[
                    b, i, j
                ] + write[b, i] * precedence[b, j]
    return result


def _sparse_link_reference(rows, precedence, write, k):
    """Sparse update on a list of {column: value} dicts per batch row."""
    result = []
    for b, row_dicts in enumerate(rows):
        top_w = np.argsort(-write[b], kind="stable")[:k]
        top_p = np.argsort(-precedence[b], kind="stable")[:k]
        w = np.zeros_like(write[b])
        w[top_w] = write[b, top_w]
        p = np.zeros_like(precedence[b])
        p[top_p] = precedence[b, top_p]
        new_rows = []
        for i, entries in enumerate(row_dicts):
            entries = {j: (1 - w[i] - w[j]) * v for j, v in entries.items()}
            if i in top_w:
                for j in top_p:
                    value = 0.0 if i == j else w[i] * p[j]
                    entries[j] = entries.get(j, 0.0) + value
                kept = sorted(entries.items(), key=lambda e: -e[1])[:k]
                entries = dict(kept)
            new_rows.append(entries)
        result.append(new_rows)
    return result


def _dense_from_rows(rows, size):
    dense = np.zeros((len(rows), size, size))
    for b, row_dicts in enumerate(rows):
        for i, entries in enumerate(row_dicts):
            for j, value in entries.items():
                dense[b, i, j] += value
    return dense


# -- Values ------------------------------------------------------------------


def test_update_usage_matches_a_numpy_loop():
    usage = RNG.random((B, N))
    write = _weights((B, N))
    free = RNG.random((B, R))
    read = _weights((B, R, N))
    result = addressing.update_usage(usage, write, free, read)
    expected = _usage_reference(usage, write, free, read)
    np.testing.assert_allclose(_numpy(result), expected, atol=1e-6)


def test_free_gate_of_one_frees_the_slot_read():
    usage = np.ones((1, N))
    read = np.eye(N)[None, 2:3]  # one head read slot 2
    result = _numpy(
        addressing.update_usage(usage, np.zeros((1, N)), np.ones((1, 1)), read)
    )
    expected = np.ones(N)
    expected[2] = 0.0
    np.testing.assert_allclose(result[0], expected, atol=1e-7)


def test_allocation_weights_match_a_numpy_loop():
    usage = RNG.random((B, N))
    result = addressing.allocation_weights(usage)
    np.testing.assert_allclose(
        _numpy(result), _allocation_reference(usage), atol=1e-6
    )


def test_allocation_favours_the_unused_slot():
    usage = np.full((1, N), 0.9)
    usage[0, 4] = 0.0
    result = _numpy(addressing.allocation_weights(usage))[0]
    assert result.argmax() == 4 and result[4] > 0.99
    assert result.sum() <= 1.0 + 1e-6


@pytest.mark.parametrize("value", [0.0, 1.0])
def test_allocation_with_every_slot_free_or_used(value):
    result = _numpy(addressing.allocation_weights(np.full((B, N), value)))
    np.testing.assert_allclose(
        result, _allocation_reference(np.full((B, N), value)), atol=1e-6
    )
    if value == 1.0:
        np.testing.assert_allclose(result, 0.0, atol=1e-5)
    else:  # ties: one slot takes (almost) everything
        np.testing.assert_allclose(result.sum(-1), 1.0, atol=1e-5)


def test_update_precedence_matches_the_formula():
    precedence = _weights((B, N), 0.7)
    write = _weights((B, N), 0.6)
    expected = np.array(
        [
            [
                (1 - write[b].sum()) * precedence[b, i] + write[b, i]
                for i in range(N)
            ]
            for b in range(B)
        ]
    )
    result = addressing.update_precedence(precedence, write)
    np.testing.assert_allclose(_numpy(result), expected, atol=1e-7)


def test_update_link_matches_a_numpy_loop_and_has_a_zero_diagonal():
    link = RNG.random((B, N, N)) * 0.2
    precedence = _weights((B, N), 0.8)
    write = _weights((B, N), 0.9)
    result = _numpy(addressing.update_link(link, precedence, write))
    np.testing.assert_allclose(
        result, _link_reference(link, precedence, write), atol=1e-7
    )
    np.testing.assert_allclose(np.diagonal(result, axis1=1, axis2=2), 0.0)


def test_links_record_the_order_of_one_hot_writes():
    link = np.zeros((1, N, N))
    precedence = np.zeros((1, N))
    for slot in (3, 1, 5):  # write slots 3, then 1, then 5
        write = np.eye(N)[None, slot]
        link = _numpy(addressing.update_link(link, precedence, write))
        precedence = _numpy(addressing.update_precedence(precedence, write))
    assert link[0, 1, 3] == 1.0 and link[0, 5, 1] == 1.0
    assert link.sum() == 2.0
    read = np.eye(N)[None, None, 1]  # a head that read slot 1
    forward, backward = addressing.directional_weights(link, read)
    assert _numpy(forward)[0, 0].argmax() == 5  # written after 1
    assert _numpy(backward)[0, 0].argmax() == 3  # written before 1


def test_directional_weights_match_a_numpy_loop():
    link = RNG.random((B, N, N))
    read = _weights((B, R, N))
    forward, backward = addressing.directional_weights(link, read)
    expected_f = np.zeros((B, R, N))
    expected_b = np.zeros((B, R, N))
    for b in range(B):
        for h in range(R):
            for i in range(N):
                for j in range(N):
                    expected_f[b, h, i] += link[b, i, j] * read[b, h, j]
                    expected_b[b, h, j] += link[b, i, j] * read[b, h, i]
    np.testing.assert_allclose(_numpy(forward), expected_f, atol=1e-6)
    np.testing.assert_allclose(_numpy(backward), expected_b, atol=1e-6)


def _link_step_inputs():
    """A link matrix as the DNC makes it (zero diagonal), and the rest."""
    link = np.zeros((B, N, N))
    precedence = np.zeros((B, N))
    for _ in range(3):
        write = _weights((B, N), 0.9)
        link = _numpy(addressing.update_link(link, precedence, write))
        precedence = _numpy(addressing.update_precedence(precedence, write))
    return link, precedence, _weights((B, N), 0.7), _weights((B, R, N))


def test_link_step_equals_update_link_then_directional_weights():
    link, precedence, write, read = _link_step_inputs()
    new_link, forward, backward = addressing.link_step(
        link, precedence, write, read
    )
    expected_link = addressing.update_link(link, precedence, write)
    expected_f, expected_b = addressing.directional_weights(expected_link, read)
    # In float32 (JAX) the two formulations round differently.
    np.testing.assert_allclose(_numpy(new_link), _numpy(expected_link))
    np.testing.assert_allclose(_numpy(forward), _numpy(expected_f), atol=1e-6)
    np.testing.assert_allclose(_numpy(backward), _numpy(expected_b), atol=1e-6)


@tensorflow_only
def test_link_step_has_the_gradients_of_the_two_calls():
    inputs = [tf.constant(x) for x in _link_step_inputs()]
    # A different weight for each output: with one for both directions a
    # forward and backward swapped would give the same gradients.
    weights = [RNG.normal(size=s) for s in ((B, N, N), (B, R, N), (B, R, N))]

    def gradients(step):
        with tf.GradientTape() as tape:
            tape.watch(inputs)
            outputs = step(*inputs)
            total = sum(tf.reduce_sum(o * w) for o, w in zip(outputs, weights))
        return tape.gradient(total, inputs)

    def two_calls(link, precedence, write, read):
        link = addressing.update_link(link, precedence, write)
        return (link, *addressing.directional_weights(link, read))

    result, expected = gradients(addressing.link_step), gradients(two_calls)
    # The link's diagonal is zero in every matrix the DNC makes, and the
    # gradient update_link passes back to it is masked there: only the
    # two calls' own mask sees it, so compare the rest.
    off_diagonal = 1.0 - np.eye(N)
    np.testing.assert_allclose(
        result[0].numpy() * off_diagonal,
        expected[0].numpy() * off_diagonal,
        atol=1e-12,
    )
    for r, e in zip(result[1:], expected[1:]):
        np.testing.assert_allclose(r.numpy(), e.numpy(), atol=1e-12)


def test_sharpened_directional_weights_keep_their_mass():
    weights = _weights((B, R, N), 0.5)
    exponents = 1 + RNG.random((B, R)) * 3
    result = _numpy(addressing.sharpen_directional_weights(weights, exponents))
    for b in range(B):
        for h in range(R):
            powered = (weights[b, h] + EPSILON) ** exponents[b, h]
            expected = 0.5 * powered / powered.sum()
            np.testing.assert_allclose(result[b, h], expected, atol=1e-6)
    zero = addressing.sharpen_directional_weights(
        np.zeros((1, 1, N)), np.full((1, 1), 3.0)
    )
    np.testing.assert_allclose(_numpy(zero), 0.0)


def test_top_k_weights_keep_the_largest_entries():
    weights = np.array([[0.1, 0.5, 0.05, 0.3, 0.05]])
    values, indices, sparse = addressing.top_k_weights(weights, 2)
    np.testing.assert_allclose(_numpy(values), [[0.5, 0.3]])
    assert list(np.asarray(indices)[0]) == [1, 3]
    np.testing.assert_allclose(_numpy(sparse), [[0, 0.5, 0, 0.3, 0]])


def _sparse_steps(k, steps=5, size=N):
    """Runs the sparse update and its loop reference on the same writes.

    Returns:
        `(values, columns, rows, dense)`: the sparse link, the reference's
        rows, and the dense link of equation 8 after the same writes.
    """
    values, columns = addressing.initial_sparse_link(B, size, k, "float64")
    rows = [[{} for _ in range(size)] for _ in range(B)]
    dense = np.zeros((B, size, size))
    precedence = np.zeros((B, size))
    for _ in range(steps):
        write = _weights((B, size), 0.9)
        values, columns = addressing.update_sparse_link(
            values, columns, precedence, write
        )
        rows = _sparse_link_reference(rows, precedence, write, k)
        dense = _numpy(addressing.update_link(dense, precedence, write))
        precedence = _numpy(addressing.update_precedence(precedence, write))
    return values, columns, rows, dense


def test_sparse_links_with_k_equal_to_n_are_the_dense_links():
    values, columns, _, dense = _sparse_steps(k=N)
    result = _numpy(addressing.dense_link(values, columns))
    np.testing.assert_allclose(result, dense, atol=1e-6)


def test_sparse_links_with_small_k_differ_from_the_dense_links():
    values, columns, _, dense = _sparse_steps(k=2)
    result = _numpy(addressing.dense_link(values, columns))
    assert np.max(np.abs(result - dense)) > 1e-3
    assert np.all(np.sum(result > 0, axis=-1) <= 2)


@pytest.mark.parametrize("k", [2, 3, N])
def test_sparse_links_match_a_numpy_loop(k):
    values, columns, rows, _ = _sparse_steps(k)
    dense = _numpy(addressing.dense_link(values, columns))
    np.testing.assert_allclose(dense, _dense_from_rows(rows, N), atol=1e-6)
    for b in range(B):  # no row ever holds a column twice
        for i in range(N):
            assert len(set(np.asarray(columns)[b, i])) == k


def test_sparse_directional_weights_match_the_dense_ones():
    values, columns, _, _ = _sparse_steps(k=3)
    read = _weights((B, R, N))
    dense = addressing.dense_link(values, columns)
    expected = addressing.directional_weights(dense, read)
    result = addressing.sparse_directional_weights(values, columns, read)
    for got, want in zip(result, expected):
        np.testing.assert_allclose(_numpy(got), _numpy(want), atol=1e-6)


# -- Numerics on the edges -------------------------------------------------


def _one_step(usage, write, free, read, precedence, link, sparse):
    """Every DNC addressing function in one differentiable chain."""
    usage = addressing.update_usage(usage, write, free, read)
    allocation = addressing.allocation_weights(usage)
    new_write = 0.5 * allocation + 0.5 * write
    if sparse:
        values, columns = addressing.initial_sparse_link(1, N, 2, "float64")
        values = values + link[:, :, :2]
        values, columns = addressing.update_sparse_link(
            values, columns, precedence, new_write
        )
        forward, backward = addressing.sparse_directional_weights(
            values, columns, read
        )
    else:
        link, forward, backward = addressing.link_step(
            link, precedence, new_write, read
        )
    forward = addressing.sharpen_directional_weights(
        forward, tf.fill((1, 1), tf.constant(3.0, tf.float64))
    )
    precedence = addressing.update_precedence(precedence, new_write)
    return [usage, allocation, precedence, forward, backward]


EDGES = {
    "every slot used": dict(usage=np.ones((1, N))),
    "no slot used": dict(usage=np.zeros((1, N))),
    "one-hot weightings": dict(
        write=np.eye(N)[None, 0],
        read=np.eye(N)[None, None, 1],
        precedence=np.eye(N)[None, 2],
    ),
    "saturated free gate": dict(
        free=np.ones((1, 1)), read=np.eye(N)[None, None, 3]
    ),
    "everything zero": dict(
        usage=np.zeros((1, N)),
        write=np.zeros((1, N)),
        read=np.zeros((1, 1, N)),
        precedence=np.zeros((1, N)),
        link=np.zeros((1, N, N)),
    ),
}


@tensorflow_only
@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("edge", sorted(EDGES))
def test_values_and_gradients_are_finite_on_the_edges(edge, sparse):
    arguments = dict(
        usage=RNG.random((1, N)),
        write=_weights((1, N), 0.9),
        free=RNG.random((1, 1)),
        read=_weights((1, 1, N)),
        precedence=_weights((1, N), 0.5),
        link=RNG.random((1, N, N)) * 0.1 * (1.0 - np.eye(N)),
    )
    arguments.update(EDGES[edge])
    tensors = {k: tf.constant(v, tf.float64) for k, v in arguments.items()}
    with tf.GradientTape() as tape:
        tape.watch(list(tensors.values()))
        outputs = _one_step(**tensors, sparse=sparse)
        total = sum(
            tf.reduce_sum(o * (1.0 + 0.1 * i)) for i, o in enumerate(outputs)
        )
    gradients = tape.gradient(total, list(tensors.values()))
    for output in outputs:
        assert np.all(np.isfinite(output.numpy())), edge
    for name, gradient in zip(tensors, gradients):
        if gradient is not None:
            assert np.all(np.isfinite(gradient.numpy())), (edge, name)


@tensorflow_only
def test_allocation_gradient_matches_finite_differences_with_the_order_fixed():
    usage = tf.constant([[0.2, 0.7, 0.05, 0.5, 0.9, 0.3]], tf.float64)
    with tf.GradientTape() as tape:
        tape.watch(usage)
        allocation = addressing.allocation_weights(usage)
        total = tf.reduce_sum(
            allocation * tf.range(1.0, N + 1, dtype=tf.float64)
        )
    gradient = tape.gradient(total, usage).numpy()[0]
    step = 1e-6  # small enough that the sort order does not change
    numeric = np.zeros(N)
    for i in range(N):
        delta = np.zeros((1, N))
        delta[0, i] = step
        up = _allocation_reference(usage.numpy() + delta)
        down = _allocation_reference(usage.numpy() - delta)
        numeric[i] = ((up - down) @ np.arange(1.0, N + 1))[0] / (2 * step)
    np.testing.assert_allclose(gradient, numeric, rtol=1e-4, atol=1e-6)
