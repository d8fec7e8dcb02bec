import keras
import numpy as np
import pytest

from ntm_keras.layers import scaled_dot_product_attention
from testing import tensorflow_only


def _random(shape, seed):
    return np.random.default_rng(seed).standard_normal(shape).astype("float32")


def _numpy_attention(query, key, value, mask=None):
    logits = query @ np.swapaxes(key, -1, -2) / np.sqrt(query.shape[-1])
    if mask is not None:
        logits = np.where(mask, logits, -np.inf)
    logits = logits - logits.max(-1, keepdims=True)
    weights = np.exp(logits)
    weights = weights / weights.sum(-1, keepdims=True)
    return weights @ value, weights


def test_matches_the_paper_formula_in_numpy():
    query, key, value = (
        _random((2, 3, 4, 5), 0),
        _random((2, 3, 6, 5), 1),
        (_random((2, 3, 6, 7), 2)),
    )
    outputs, weights = scaled_dot_product_attention(query, key, value)
    expected_outputs, expected_weights = _numpy_attention(query, key, value)
    np.testing.assert_allclose(outputs, expected_outputs, atol=1e-5)
    np.testing.assert_allclose(weights, expected_weights, atol=1e-6)


def test_masked_keys_get_zero_weight():
    query, key = _random((2, 4, 5), 3), _random((2, 6, 5), 4)
    mask = np.random.default_rng(5).random((2, 4, 6)) > 0.4
    mask[:, :, 0] = True
    outputs, weights = scaled_dot_product_attention(query, key, key, mask)
    weights = keras.ops.convert_to_numpy(weights)
    assert np.all(weights[~mask] == 0.0)
    np.testing.assert_allclose(weights.sum(-1), 1.0, atol=1e-6)
    expected_outputs, _ = _numpy_attention(query, key, key, mask)
    np.testing.assert_allclose(outputs, expected_outputs, atol=1e-5)


def test_a_fully_masked_row_gets_zero_weights_and_zero_output():
    query = _random((1, 2, 4), 6)
    mask = np.array([[[True, True, False], [False, False, False]]])
    outputs, weights = scaled_dot_product_attention(
        query, _random((1, 3, 4), 7), _random((1, 3, 4), 8), mask
    )
    assert np.all(keras.ops.convert_to_numpy(weights)[0, 1] == 0.0)
    assert np.all(keras.ops.convert_to_numpy(outputs)[0, 1] == 0.0)


def test_mask_broadcasts_over_leading_dimensions():
    query = _random((2, 3, 4, 5), 9)
    causal = np.tril(np.ones((4, 4), bool))
    _, weights = scaled_dot_product_attention(query, query, query, causal)
    assert np.all(np.triu(keras.ops.convert_to_numpy(weights), k=1) == 0.0)


def test_dropout_applies_only_in_training():
    query = _random((2, 8, 4), 10)
    seed = keras.random.SeedGenerator(1)
    plain, _ = scaled_dot_product_attention(query, query, query)
    same, _ = scaled_dot_product_attention(
        query, query, query, dropout=0.5, seed=seed, training=False
    )
    dropped, weights = scaled_dot_product_attention(
        query, query, query, dropout=0.5, seed=seed, training=True
    )
    np.testing.assert_allclose(same, plain, atol=0)
    assert not np.allclose(dropped, plain)
    # The returned weights are those before dropout.
    np.testing.assert_allclose(np.sum(weights, -1), 1.0, atol=1e-6)


@tensorflow_only
def test_gradients_are_finite_with_masks():
    query = keras.Variable(_random((1, 3, 4), 11))
    mask = np.array([[[True, False, False], [True, True, False], [False] * 3]])
    import tensorflow as tf

    with tf.GradientTape() as tape:
        outputs, _ = scaled_dot_product_attention(query, query, query, mask)
        total = keras.ops.sum(outputs)
    gradient = tape.gradient(total, query.value)
    assert np.all(np.isfinite(gradient))


def test_mismatched_key_and_value_lengths_raise():
    with pytest.raises(ValueError, match=r"`value`.*5 steps.*`key`.*6"):
        scaled_dot_product_attention(
            _random((2, 3, 4), 0), _random((2, 6, 4), 1), _random((2, 5, 4), 2)
        )


def test_mismatched_query_and_key_widths_raise():
    with pytest.raises(ValueError, match=r"`key`.*width"):
        scaled_dot_product_attention(
            _random((2, 3, 4), 0), _random((2, 6, 5), 1), _random((2, 6, 4), 2)
        )


@pytest.mark.parametrize("shape", [(2, 3, 5), (2, 4, 6), (1, 1, 2, 3, 6)])
def test_masks_of_the_wrong_shape_raise(shape):
    query, key = _random((2, 3, 4), 0), _random((2, 6, 4), 1)
    with pytest.raises(ValueError, match=r"`mask`.*\(2, 3, 6\)"):
        scaled_dot_product_attention(query, key, key, np.ones(shape, bool))


def test_inputs_without_a_step_axis_raise():
    with pytest.raises(ValueError, match="`query`"):
        scaled_dot_product_attention(
            np.ones((4,), "float32"), _random((3, 4), 0), _random((3, 4), 1)
        )


def test_bfloat16_inputs_take_the_softmax_in_float32():
    query, key, value = (
        _random((2, 3, 5, 8), 20),
        _random((2, 3, 5, 8), 21),
        _random((2, 3, 5, 4), 22),
    )
    causal = np.tril(np.ones((5, 5), bool))
    half = [keras.ops.cast(x, "bfloat16") for x in (query, key, value)]
    outputs, weights = scaled_dot_product_attention(*half, causal)
    assert keras.backend.standardize_dtype(weights.dtype) == "float32"
    assert keras.backend.standardize_dtype(outputs.dtype) == "bfloat16"
    weights = keras.ops.convert_to_numpy(weights)
    # Rows sum to 1 within float32 rounding; bfloat16 weights would not
    # (each rounded to 8 significant bits).
    np.testing.assert_allclose(weights.sum(-1), 1.0, atol=1e-6)
    # The weights are those of the rounded inputs computed in float32.
    rounded = [
        keras.ops.convert_to_numpy(keras.ops.cast(x, "float32")) for x in half
    ]
    _, expected_weights = _numpy_attention(*rounded, causal)
    np.testing.assert_allclose(weights, expected_weights, atol=1e-6)
    expected_outputs, _ = _numpy_attention(query, key, value, causal)
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(keras.ops.cast(outputs, "float32")),
        expected_outputs,
        atol=3e-2,
    )


def test_float16_inputs_with_fully_masked_rows_stay_finite():
    query = keras.ops.cast(_random((1, 2, 4), 23), "float16")
    mask = np.array([[[True, False], [False, False]]])
    outputs, weights = scaled_dot_product_attention(query, query, query, mask)
    weights = keras.ops.convert_to_numpy(weights)
    np.testing.assert_array_equal(weights, [[[1.0, 0.0], [0.0, 0.0]]])
    assert np.all(np.isfinite(keras.ops.convert_to_numpy(outputs)))
