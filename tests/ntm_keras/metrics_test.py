import math

import keras
import numpy as np
import pytest

from ntm_keras import metrics

TARGETS = np.array(
    [[[1, 0], [0, 1], [1, 1]], [[0, 0], [1, 1], [0, 1]]], dtype="float32"
)
PREDICTIONS = np.array(
    [
        [[0.9, 0.2], [0.4, 0.6], [0.3, 0.7]],
        [[0.1, 0.1], [0.8, 0.9], [0.6, 0.5]],
    ],
    dtype="float32",
)
MASK = np.array([[0, 1, 1], [0, 1, 1]], dtype="float32")


def _expected_bits():
    # Hand computation: sequence 1 scores steps 1 and 2, sequence 2 likewise.
    first = -(math.log2(0.6) + math.log2(0.6) + math.log2(0.3) + math.log2(0.7))
    second = -(
        math.log2(0.8) + math.log2(0.9) + math.log2(0.4) + math.log2(0.5)
    )
    return (first + second) / 2


def test_bits_per_sequence_matches_hand_computation():
    metric = metrics.BitsPerSequence()
    metric.update_state(TARGETS, PREDICTIONS, sample_weight=MASK)
    assert float(metric.result()) == pytest.approx(_expected_bits(), rel=1e-5)


def test_bit_errors_and_sequence_accuracy_match_hand_counts():
    # Sequence 1: step 2 predicts (0, 1) for (1, 1): one error.
    # Sequence 2: step 2 predicts (1, 0) for (0, 1): two errors.
    errors = metrics.BitErrorsPerSequence()
    errors.update_state(TARGETS, PREDICTIONS, sample_weight=MASK)
    assert float(errors.result()) == pytest.approx(1.5)
    accuracy = metrics.SequenceAccuracy()
    accuracy.update_state(TARGETS, PREDICTIONS, sample_weight=MASK)
    assert float(accuracy.result()) == 0.0
    accuracy.reset_state()
    accuracy.update_state(TARGETS[:, :2], PREDICTIONS[:, :2], MASK[:, :2])
    assert float(accuracy.result()) == 1.0


def test_unscored_steps_do_not_count():
    metric = metrics.BitErrorsPerSequence()
    wrong = 1.0 - TARGETS
    metric.update_state(TARGETS, wrong, sample_weight=np.zeros_like(MASK))
    assert float(metric.result()) == 0.0


def test_metrics_average_over_sequences_across_updates():
    metric = metrics.BitErrorsPerSequence()
    metric.update_state(TARGETS[:1], PREDICTIONS[:1], MASK[:1])  # 1 error
    metric.update_state(TARGETS[1:], PREDICTIONS[1:], MASK[1:])  # 2 errors
    assert float(metric.result()) == pytest.approx(1.5)


@pytest.mark.parametrize(
    "cls",
    [
        metrics.BitsPerSequence,
        metrics.BitErrorsPerSequence,
        metrics.SequenceAccuracy,
    ],
)
def test_metric_config_round_trip(cls):
    metric = cls(name="custom")
    restored = keras.saving.deserialize_keras_object(
        keras.saving.serialize_keras_object(metric)
    )
    assert type(restored) is cls
    assert restored.get_config() == metric.get_config()
