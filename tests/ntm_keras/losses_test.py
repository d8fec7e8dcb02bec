import keras
import numpy as np
import pytest

from ntm_keras.losses import LabelSmoothedCrossEntropy


def _data(seed=0):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 7, size=(3, 5))
    logits = rng.standard_normal((3, 5, 7)).astype("float32")
    weights = (rng.random((3, 5)) > 0.3).astype("float32")
    return labels, logits, weights


def test_equals_keras_categorical_cross_entropy_with_smoothing():
    labels, logits, weights = _data()
    expected = keras.losses.CategoricalCrossentropy(
        from_logits=True,
        label_smoothing=0.1,
        reduction="mean_with_sample_weight",
    )(np.eye(7)[labels], logits, sample_weight=weights)
    received = LabelSmoothedCrossEntropy(0.1)(labels, logits, weights)
    assert float(received) == pytest.approx(float(expected), rel=1e-5)


def test_without_smoothing_equals_sparse_cross_entropy():
    labels, logits, weights = _data(1)
    expected = keras.losses.SparseCategoricalCrossentropy(
        from_logits=True, reduction="mean_with_sample_weight"
    )(labels, logits, sample_weight=weights)
    received = LabelSmoothedCrossEntropy(0.0)(labels, logits, weights)
    assert float(received) == pytest.approx(float(expected), rel=1e-5)


def test_probabilities_give_the_same_loss_as_logits():
    labels, logits, _ = _data(2)
    probabilities = keras.ops.softmax(logits)
    a = LabelSmoothedCrossEntropy(0.2)(labels, logits)
    b = LabelSmoothedCrossEntropy(0.2, from_logits=False)(labels, probabilities)
    assert float(a) == pytest.approx(float(b), rel=1e-4)


def test_config_round_trip():
    loss = LabelSmoothedCrossEntropy(0.3, name="smoothed")
    restored = LabelSmoothedCrossEntropy.from_config(loss.get_config())
    assert restored.get_config() == loss.get_config()


def test_bad_label_smoothing_raises():
    with pytest.raises(ValueError, match="`label_smoothing`"):
        LabelSmoothedCrossEntropy(1.0)
