"""Addressing functions against plain NumPy loops, and their numerics."""

import hypothesis
import numpy as np
import pytest
import tensorflow as tf
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from ntm_keras.memory import addressing
from testing import tensorflow_only

EPSILON = addressing.EPSILON
RNG = np.random.default_rng(0)
B, H, N, W = 2, 3, 7, 5


def _softmax(x):
    e = np.exp(x - x.max())
    return e / e.sum()


def _random_weights(shape):
    raw = RNG.random(shape)
    return raw / raw.sum(axis=-1, keepdims=True)


def _numpy(x):
    return np.asarray(x, dtype=np.float64)


def test_content_weights_match_a_numpy_loop():
    memory = RNG.standard_normal((B, N, W))
    keys = RNG.standard_normal((B, H, W))
    strengths = RNG.random((B, H)) * 5
    expected = np.zeros((B, H, N))
    for b in range(B):
        for h in range(H):
            similarity = np.zeros(N)
            for i in range(N):
                u, v = keys[b, h], memory[b, i]
                similarity[i] = (
                    u
                    @ v
                    / (np.sqrt(u @ u + EPSILON) * np.sqrt(v @ v + EPSILON))
                )
            expected[b, h] = _softmax(strengths[b, h] * similarity)
    result = addressing.content_weights(memory, keys, strengths)
    np.testing.assert_allclose(_numpy(result), expected, atol=1e-6)


def test_content_weights_favour_the_matching_row():
    memory = np.eye(N, W)[None]  # row i is the unit vector e_i (i < W)
    keys = memory[:, 2:3, :]
    weights = _numpy(
        addressing.content_weights(memory, keys, np.full((1, 1), 50.0))
    )
    assert weights[0, 0].argmax() == 2 and weights[0, 0, 2] > 0.99


def test_interpolate_matches_formula():
    content, previous = _random_weights((B, H, N)), _random_weights((B, H, N))
    gates = RNG.random((B, H))
    expected = gates[..., None] * content + (1 - gates[..., None]) * previous
    result = addressing.interpolate(content, previous, gates)
    np.testing.assert_allclose(_numpy(result), expected, atol=1e-6)


@pytest.mark.parametrize("shift_range", [1, 3, 5])
def test_circular_shift_matches_a_numpy_convolution(shift_range):
    weights = _random_weights((B, H, N))
    shifts = _random_weights((B, H, shift_range))
    radius = (shift_range - 1) // 2
    expected = np.zeros((B, H, N))
    for b in range(B):
        for h in range(H):
            for i in range(N):
                for s in range(shift_range):
                    offset = s - radius
                    expected[b, h, i] += (
                        weights[b, h, (i - offset) % N] * shifts[b, h, s]
                    )
    result = addressing.circular_shift(weights, shifts)
    np.testing.assert_allclose(_numpy(result), expected, atol=1e-6)


def test_shift_of_plus_one_moves_slot_i_to_i_plus_one():
    weights = np.zeros((1, 1, N))
    weights[0, 0, N - 1] = 1.0
    shifted = addressing.circular_shift(weights, np.array([[[0.0, 0.0, 1.0]]]))
    np.testing.assert_allclose(_numpy(shifted)[0, 0], np.eye(N)[0], atol=1e-7)


def test_sharpen_matches_formula_and_sums_to_one():
    weights = _random_weights((B, H, N))
    gamma = 1 + RNG.random((B, H)) * 4
    powered = (weights + EPSILON) ** gamma[..., None]
    expected = powered / powered.sum(-1, keepdims=True)
    result = _numpy(addressing.sharpen(weights, gamma))
    np.testing.assert_allclose(result, expected, atol=1e-6)
    np.testing.assert_allclose(result.sum(-1), 1.0, atol=1e-5)


def test_sharpen_sums_to_one_where_powers_underflow():
    weights = np.full((1, 1, 128), 1.0 / 128)
    result = _numpy(addressing.sharpen(weights, np.full((1, 1), 21.0)))
    np.testing.assert_allclose(result, 1.0 / 128, rtol=1e-5)


def test_read_matches_a_numpy_loop():
    memory = RNG.standard_normal((B, N, W))
    weights = _random_weights((B, H, N))
    expected = np.zeros((B, H, W))
    for b in range(B):
        for h in range(H):
            for i in range(N):
                expected[b, h] += weights[b, h, i] * memory[b, i]
    result = addressing.read(memory, weights)
    np.testing.assert_allclose(_numpy(result), expected, atol=1e-6)


@pytest.mark.parametrize("num_heads", [1, 2])
def test_erase_and_add_matches_the_paper(num_heads):
    memory = RNG.standard_normal((B, N, W))
    weights = _random_weights((B, num_heads, N))
    erase = RNG.random((B, num_heads, W))
    add = RNG.standard_normal((B, num_heads, W))
    expected = memory.copy()
    for b in range(B):
        for i in range(N):
            for h in range(num_heads):  # erase with every head, then add
                expected[b, i] *= 1 - weights[b, h, i] * erase[b, h]
            for h in range(num_heads):
                expected[b, i] += weights[b, h, i] * add[b, h]
    result = addressing.erase_and_add(memory, weights, erase, add)
    np.testing.assert_allclose(_numpy(result), expected, atol=1e-6)


def _address(memory, keys, strengths, gates, shifts, gamma, previous):
    weights = addressing.content_weights(memory, keys, strengths)
    weights = addressing.interpolate(weights, previous, gates)
    weights = addressing.circular_shift(weights, shifts)
    weights = addressing.sharpen(weights, gamma)
    read = addressing.read(memory, weights)
    erase = tf.sigmoid(keys)
    written = addressing.erase_and_add(memory, weights, erase, keys)
    return tf.reduce_sum(read) + tf.reduce_sum(written * written)


def _finite_everything(memory, keys, strengths, gamma, previous):
    variables = [
        tf.Variable(np.asarray(x, np.float32))
        for x in (memory, keys, strengths, gamma, previous)
    ]
    memory_v, keys_v, strengths_v, gamma_v, previous_v = variables
    gates = tf.fill(strengths_v.shape, 0.5)
    shifts = tf.fill(list(strengths_v.shape) + [3], 1.0 / 3.0)
    with tf.GradientTape() as tape:
        value = _address(
            memory_v, keys_v, strengths_v, gates, shifts, gamma_v, previous_v
        )
    gradients = tape.gradient(value, variables)
    assert np.isfinite(value.numpy())
    for gradient in gradients:
        assert np.all(np.isfinite(gradient.numpy()))


@tensorflow_only
def test_zero_memory_and_zero_keys_give_finite_values_and_gradients():
    _finite_everything(
        memory=np.zeros((1, N, W)),
        keys=np.zeros((1, 1, W)),
        strengths=np.ones((1, 1)),
        gamma=np.ones((1, 1)),
        previous=np.zeros((1, 1, N)),
    )


@tensorflow_only
def test_huge_strengths_and_one_hot_weights_stay_finite():
    previous = np.zeros((1, 1, N))
    previous[0, 0, 3] = 1.0
    _finite_everything(
        memory=RNG.standard_normal((1, N, W)) * 1e3,
        keys=RNG.standard_normal((1, 1, W)),
        strengths=np.full((1, 1), 1e4),
        gamma=np.full((1, 1), 50.0),
        previous=previous,
    )


_values = st.floats(-1e3, 1e3, allow_nan=False, width=32)


@tensorflow_only
@hypothesis.settings(max_examples=40, deadline=None)
@hypothesis.given(
    memory=hnp.arrays(np.float32, (1, 4, 3), elements=_values),
    keys=hnp.arrays(np.float32, (1, 2, 3), elements=_values),
    strengths=hnp.arrays(
        np.float32, (1, 2), elements=st.floats(0, 1e4, width=32)
    ),
    gamma=hnp.arrays(np.float32, (1, 2), elements=st.floats(1, 100, width=32)),
    previous=hnp.arrays(
        np.float32, (1, 2, 4), elements=st.floats(0, 1, width=32)
    ),
)
def test_addressing_is_finite_for_any_input(
    memory, keys, strengths, gamma, previous
):
    _finite_everything(memory, keys, strengths, gamma, previous)


@tensorflow_only
def test_gradients_match_finite_differences():
    memory = RNG.standard_normal((1, 5, 4))
    keys = RNG.standard_normal((1, 2, 4))
    strengths = RNG.random((1, 2)) * 3
    gamma = 1 + RNG.random((1, 2))
    previous = _random_weights((1, 2, 5))
    gates = RNG.random((1, 2))
    shifts = _random_weights((1, 2, 3))

    def value(keys_value):
        return float(
            _address(
                tf.constant(memory),
                tf.constant(keys_value),
                tf.constant(strengths),
                tf.constant(gates),
                tf.constant(shifts),
                tf.constant(gamma),
                tf.constant(previous),
            )
        )

    keys_variable = tf.Variable(keys)
    with tf.GradientTape() as tape:
        result = _address(
            tf.constant(memory),
            keys_variable,
            tf.constant(strengths),
            tf.constant(gates),
            tf.constant(shifts),
            tf.constant(gamma),
            tf.constant(previous),
        )
    analytic = tape.gradient(result, keys_variable).numpy()
    numeric = np.zeros_like(keys)
    step = 1e-6
    for index in np.ndindex(keys.shape):
        plus, minus = keys.copy(), keys.copy()
        plus[index] += step
        minus[index] -= step
        numeric[index] = (value(plus) - value(minus)) / (2 * step)
    np.testing.assert_allclose(analytic, numeric, rtol=1e-4, atol=1e-6)
