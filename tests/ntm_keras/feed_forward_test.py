import keras
import numpy as np
import pytest

from ntm_keras.layers import FeedForward
from testing import run_layer_test, save_with_old_config_key


def test_layer_contract():
    run_layer_test(
        FeedForward,
        {"feed_forward_dim": 16, "dropout": 0.1, "seed": 3},
        input_shape=(2, 5, 8),
        expected_output_shape=(2, 5, 8),
        expected_num_trainable_weights=4,
    )


def test_computes_relu_then_linear_at_every_step():
    layer = FeedForward(feed_forward_dim=6)
    inputs = np.random.default_rng(0).standard_normal((2, 3, 4)).astype("f4")
    outputs = keras.ops.convert_to_numpy(layer(inputs))
    w1, b1, w2, b2 = layer.get_weights()
    expected = np.maximum(0.0, inputs @ w1 + b1) @ w2 + b2
    np.testing.assert_allclose(outputs, expected, atol=1e-5)


def test_bad_feed_forward_dim_raises():
    with pytest.raises(ValueError, match="`feed_forward_dim`"):
        FeedForward(feed_forward_dim=0)


def test_keras_file_saved_with_the_old_hidden_dim_key_loads(tmp_path):
    inputs = keras.Input((None, 4))
    model = keras.Model(inputs, FeedForward(feed_forward_dim=6)(inputs))
    path = save_with_old_config_key(
        model, tmp_path / "old.keras", "feed_forward_dim", "hidden_dim"
    )
    restored = keras.models.load_model(path)
    assert restored.layers[-1].feed_forward_dim == 6
    data = np.random.default_rng(1).normal(size=(2, 3, 4)).astype("float32")
    np.testing.assert_allclose(
        restored.predict(data, verbose=0), model.predict(data, verbose=0)
    )
