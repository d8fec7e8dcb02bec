import keras
import numpy as np
import pytest

from ntm_keras.layers import (
    SinusoidalPositionEncoding,
    sinusoidal_position_encoding,
)
from testing import run_layer_test


def _paper_formula(length, width, base=10000.0):
    encoding = np.zeros((length, width))
    for position in range(length):
        for i in range(width // 2):
            angle = position / base ** (2 * i / width)
            encoding[position, 2 * i] = np.sin(angle)
            encoding[position, 2 * i + 1] = np.cos(angle)
    return encoding


def test_encoding_matches_the_paper_formula():
    received = keras.ops.convert_to_numpy(sinusoidal_position_encoding(50, 16))
    np.testing.assert_allclose(received, _paper_formula(50, 16), atol=1e-5)


def test_layer_adds_the_encoding_to_its_inputs():
    inputs = np.random.default_rng(0).standard_normal((2, 7, 6)).astype("f4")
    outputs = SinusoidalPositionEncoding(base=100.0)(inputs)
    expected = inputs + _paper_formula(7, 6, base=100.0)[None]
    np.testing.assert_allclose(outputs, expected, atol=1e-5)


def test_layer_contract():
    run_layer_test(
        SinusoidalPositionEncoding,
        {},
        input_shape=(2, 5, 8),
        expected_output_shape=(2, 5, 8),
        expected_num_trainable_weights=0,
    )


def test_works_for_any_length_in_one_model():
    inputs = keras.Input((None, 4))
    model = keras.Model(inputs, SinusoidalPositionEncoding()(inputs))
    for length in (3, 11):
        zeros = np.zeros((1, length, 4), "float32")
        np.testing.assert_allclose(
            model.predict(zeros, verbose=0)[0],
            _paper_formula(length, 4),
            atol=1e-5,
        )


def test_odd_model_dim_raises_naming_it():
    with pytest.raises(ValueError, match=r"model_dim = 7.*even"):
        SinusoidalPositionEncoding()(np.zeros((1, 3, 7), "float32"))
    with pytest.raises(ValueError, match=r"model_dim = 5.*even"):
        SinusoidalPositionEncoding()(keras.Input((None, 5)))


def test_base_below_one_raises():
    with pytest.raises(ValueError, match="`base`"):
        SinusoidalPositionEncoding(base=0.5)
