import keras
import numpy as np
import pytest

from ntm_keras.layers import FeedForward
from testing import run_layer_test


def test_layer_contract():
    run_layer_test(
        FeedForward,
        {"hidden_dim": 16, "dropout": 0.1, "seed": 3},
        input_shape=(2, 5, 8),
        expected_output_shape=(2, 5, 8),
        expected_num_trainable_weights=4,
    )


def test_computes_relu_then_linear_at_every_step():
    layer = FeedForward(hidden_dim=6)
    inputs = np.random.default_rng(0).standard_normal((2, 3, 4)).astype("f4")
    outputs = keras.ops.convert_to_numpy(layer(inputs))
    w1, b1, w2, b2 = layer.get_weights()
    expected = np.maximum(0.0, inputs @ w1 + b1) @ w2 + b2
    np.testing.assert_allclose(outputs, expected, atol=1e-5)


def test_bad_hidden_dim_raises():
    with pytest.raises(ValueError, match="`hidden_dim`"):
        FeedForward(hidden_dim=0)
