import math

import keras
import numpy as np
import pytest

from ntm_keras.layers import TokenEmbedding, TransformerDecoderBlock
from testing import run_layer_test


def test_layer_contract():
    run_layer_test(
        TokenEmbedding,
        {"vocabulary_size": 7, "model_dim": 4},
        input_shape=(2, 3),
        expected_output_shape=(2, 3, 4),
        expected_num_trainable_weights=1,
        input_dtype="int32",
    )


def test_embeddings_are_scaled_by_the_square_root_of_model_dim():
    layer = TokenEmbedding(vocabulary_size=5, model_dim=16)
    outputs = keras.ops.convert_to_numpy(layer(np.array([[0, 3]])))
    table = keras.ops.convert_to_numpy(layer.embeddings)
    np.testing.assert_allclose(
        outputs[0, 1], table[3] * math.sqrt(16), atol=1e-6
    )


def test_default_initializer_gives_unit_variance_after_scaling():
    layer = TokenEmbedding(vocabulary_size=2000, model_dim=64)
    outputs = keras.ops.convert_to_numpy(layer(np.arange(2000)[None]))
    assert 0.9 < outputs.std() < 1.1


def test_reverse_uses_the_same_matrix_as_output_projection():
    layer = TokenEmbedding(vocabulary_size=6, model_dim=4)
    layer(np.array([[1]]))
    hidden = np.random.default_rng(0).standard_normal((2, 3, 4)).astype("f4")
    logits = keras.ops.convert_to_numpy(layer(hidden, reverse=True))
    table = keras.ops.convert_to_numpy(layer.embeddings)
    np.testing.assert_allclose(logits, hidden @ table.T, atol=1e-5)


def test_tied_model_has_one_matrix_and_symbolic_shapes():
    inputs = keras.Input((None,), dtype="int32")
    layer = TokenEmbedding(vocabulary_size=9, model_dim=4)
    hidden = layer(inputs)
    logits = layer(hidden, reverse=True)
    assert tuple(hidden.shape) == (None, None, 4)
    assert tuple(logits.shape) == (None, None, 9)
    model = keras.Model(inputs, logits)
    assert len(model.trainable_weights) == 1


@pytest.mark.parametrize(
    "arguments, error",
    [
        ({"vocabulary_size": 0, "model_dim": 4}, ValueError),
        ({"vocabulary_size": 5, "model_dim": -1}, ValueError),
        ({"vocabulary_size": 5.0, "model_dim": 4}, TypeError),
    ],
)
def test_bad_sizes_raise(arguments, error):
    with pytest.raises(error, match="vocabulary_size|model_dim"):
        TokenEmbedding(**arguments)


def test_mixed_bfloat16_gives_float32_logits_from_a_float32_projection():
    layer = TokenEmbedding(
        vocabulary_size=50, model_dim=32, dtype="mixed_bfloat16"
    )
    embedded = layer(np.array([[1, 2, 3]]))
    assert keras.backend.standardize_dtype(embedded.dtype) == "bfloat16"
    assert layer.embeddings.dtype == "float32"
    hidden = np.random.default_rng(1).standard_normal((2, 3, 32)) * 3
    hidden = keras.ops.cast(hidden, "bfloat16")
    logits = layer(hidden, reverse=True)
    assert keras.backend.standardize_dtype(logits.dtype) == "float32"
    table = keras.ops.convert_to_numpy(layer.embeddings).astype("float64")
    exact = (
        keras.ops.convert_to_numpy(keras.ops.cast(hidden, "float32")).astype(
            "float64"
        )
        @ table.T
    )
    logits = keras.ops.convert_to_numpy(logits)
    # Within float32 rounding of the exact product of the bfloat16 hidden
    # states with the float32 matrix; a bfloat16 projection errs ~1e-2.
    np.testing.assert_allclose(logits, exact, atol=1e-5)
    half_logits = keras.ops.convert_to_numpy(
        keras.ops.cast(
            keras.ops.matmul(hidden, keras.ops.cast(table.T, "bfloat16")),
            "float32",
        )
    )
    assert np.abs(half_logits - exact).max() > 1e-3


def test_symbolic_reverse_call_has_float32_logits_under_mixed_bfloat16():
    inputs = keras.Input((None,), dtype="int32")
    layer = TokenEmbedding(
        vocabulary_size=9, model_dim=4, dtype="mixed_bfloat16"
    )
    hidden = layer(inputs)
    logits = layer(hidden, reverse=True)
    assert hidden.dtype == "bfloat16"
    assert logits.dtype == "float32"


def _tied_decoder(policy):
    """Embedding, one decoder block and the tied output projection."""
    inputs = keras.Input((None,), dtype="int32")
    embedding = TokenEmbedding(vocabulary_size=20, model_dim=16, dtype=policy)
    block = TransformerDecoderBlock(
        num_heads=2, feed_forward_dim=32, norm_first=True, dtype=policy
    )
    hidden = block(embedding(inputs))
    logits = embedding(hidden, reverse=True)
    return keras.Model(inputs, logits)


def _probabilities(logits):
    logits = logits - logits.max(-1, keepdims=True)
    return np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)


def test_mixed_bfloat16_decoder_is_close_to_the_float32_one():
    keras.utils.set_random_seed(3)
    full = _tied_decoder("float32")
    mixed = _tied_decoder("mixed_bfloat16")
    mixed.set_weights(full.get_weights())
    ids = np.random.default_rng(4).integers(0, 20, (2, 7))
    expected = keras.ops.convert_to_numpy(full(ids))
    logits = mixed(ids)
    assert keras.backend.standardize_dtype(logits.dtype) == "float32"
    logits = keras.ops.convert_to_numpy(logits)
    assert np.abs(expected).max() > 1.0
    np.testing.assert_allclose(logits, expected, atol=0.1)
    np.testing.assert_allclose(
        _probabilities(logits), _probabilities(expected), atol=0.01
    )
