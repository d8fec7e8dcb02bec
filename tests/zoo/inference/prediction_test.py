"""Predicting with an empty batch or empty sequences says what is wrong."""

import numpy as np
import pytest

import zoo
from zoo.inference import prediction


@pytest.fixture(scope="module")
def model():
    return zoo.get("lstm_tiny", units=4)


def test_predict_equals_keras_predict(model):
    inputs = np.random.default_rng(0).random((3, 4, 9)).astype("float32")
    np.testing.assert_allclose(
        prediction.predict(model, inputs), model.predict(inputs, verbose=0)
    )


@pytest.mark.parametrize(
    ("shape", "expected"),
    [
        ((0, 5, 9), "an empty batch of shape \\(0, 5, 9\\)"),
        ((2, 0, 9), "sequences of zero steps, shape \\(2, 0, 9\\)"),
        ((9,), "expected \\(batch_size, time, ...\\)"),
    ],
)
def test_empty_inputs_are_refused(model, shape, expected):
    with pytest.raises(ValueError, match=expected):
        prediction.predict(model, np.zeros(shape, "float32"))


def test_every_input_of_a_structure_is_checked():
    with pytest.raises(ValueError, match="`encoder`"):
        prediction.check_sequence_batch(
            {"a": np.zeros((2, 3)), "b": np.zeros((2, 0))}, "encoder"
        )


def test_raw_keras_predict_on_an_empty_batch_still_fails_in_keras(model):
    # What `prediction.predict` is for: Keras' loop never runs a batch.
    with pytest.raises(UnboundLocalError):
        model.predict(np.zeros((0, 5, 9), "float32"), verbose=0)
