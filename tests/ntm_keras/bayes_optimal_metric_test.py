import math

import keras
import numpy as np
import pytest

from ntm_keras import metrics
from ntm_keras.metrics import bayes_optimal_bits_per_sequence as bayes

# One sequence of 1-bit contexts: 1, 1, 0, 1, 1.
BITS = np.array([[[1.0], [1.0], [0.0], [1.0], [1.0]]], dtype="float32")


def _hand_cost():
    # Step 0: no context, p = 1/2. Step 1: context 1 unseen, p = 1/2.
    # Step 2: context 1 seen once, followed by 1: p(1) = 1.5 / 2, bit 0.
    # Step 3: context 0 unseen: p = 1/2.
    # Step 4: context 1 seen twice (1, 0): p(1) = 1.5 / 3, bit 1.
    return 1 + 1 - math.log2(1 - 0.75) + 1 - math.log2(0.5)


def test_cost_matches_a_hand_count():
    metric = metrics.BayesOptimalBitsPerSequence(context_length=1)
    metric.update_state(BITS, np.zeros_like(BITS))
    assert float(metric.result()) == pytest.approx(_hand_cost(), rel=1e-6)


def test_predictions_do_not_change_the_optimum():
    first = metrics.BayesOptimalBitsPerSequence(context_length=1)
    second = metrics.BayesOptimalBitsPerSequence(context_length=1)
    first.update_state(BITS, np.zeros_like(BITS))
    second.update_state(BITS, np.ones_like(BITS))
    assert float(first.result()) == float(second.result())


def test_masked_steps_are_not_scored_but_still_count_as_history():
    metric = metrics.BayesOptimalBitsPerSequence(context_length=1)
    mask = np.array([[0, 0, 0, 0, 1]], dtype="float32")
    metric.update_state(BITS, BITS, sample_weight=mask)
    assert float(metric.result()) == pytest.approx(-math.log2(0.5))


def test_optimal_probabilities_fed_to_the_model_metric_give_the_same_cost():
    rng = np.random.default_rng(0)
    bits = (rng.random((4, 60)) < 0.3).astype("float32")
    probabilities = keras.ops.convert_to_numpy(
        bayes.optimal_probabilities(keras.ops.convert_to_tensor(bits), 3)
    )
    model_cost = metrics.BitsPerSequence()
    model_cost.update_state(bits[..., None], probabilities[..., None])
    optimum = metrics.BayesOptimalBitsPerSequence(context_length=3)
    optimum.update_state(bits[..., None], bits[..., None])
    assert float(model_cost.result()) == pytest.approx(
        float(optimum.result()), rel=1e-5
    )


def test_config_round_trip_and_bad_context_length():
    metric = metrics.BayesOptimalBitsPerSequence(context_length=3)
    config = metric.get_config()
    assert config["context_length"] == 3
    restored = keras.metrics.deserialize(keras.metrics.serialize(metric))
    assert isinstance(restored, metrics.BayesOptimalBitsPerSequence)
    assert restored.get_config() == config
    with pytest.raises(ValueError, match="context_length"):
        metrics.BayesOptimalBitsPerSequence(context_length=0)
