import math

import keras
import numpy as np
import pytest

from ntm_keras.layers import TokenEmbedding
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
