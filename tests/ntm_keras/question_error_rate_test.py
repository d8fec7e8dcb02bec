"""QuestionErrorRate against a hand computation, masks included."""

import keras
import numpy as np

from ntm_keras.metrics import QuestionErrorRate


def one_hot_logits(predicted, vocabulary_size=5):
    """Logits whose argmax is `predicted` `(B, T)`."""
    return np.eye(vocabulary_size, dtype="float32")[np.asarray(predicted)] * 3.0


def test_a_question_is_wrong_if_any_scored_word_is_wrong():
    targets = np.array([[0, 0, 3, 4], [0, 2, 2, 0], [1, 1, 1, 1]])
    predicted = np.array(
        [
            [1, 2, 3, 4],  # right on both answer steps (2, 3)
            [4, 2, 1, 4],  # right on step 1, wrong on step 2: wrong
            [0, 0, 0, 1],  # wrong everywhere but unscored, right on step 3
        ]
    )
    mask = np.array([[0, 0, 1, 1], [0, 1, 1, 0], [0, 0, 0, 1]], "float32")
    metric = QuestionErrorRate()
    metric.update_state(targets, one_hot_logits(predicted), mask)
    np.testing.assert_allclose(float(metric.result()), 1 / 3, rtol=1e-6)
    # Accumulates over batches: one more wrong question of one.
    metric.update_state(targets[1:2], one_hot_logits(predicted[1:2]), mask[1:2])
    assert float(metric.result()) == 2 / 4
    metric.reset_state()
    assert float(metric.result()) == 0.0


def test_works_as_a_weighted_metric_in_evaluate():
    keras.utils.set_random_seed(0)
    targets = np.array([[0, 2], [0, 3]])
    mask = np.array([[0, 1], [0, 1]], "float32")
    model = keras.Sequential(
        [keras.Input((2,), dtype="int32"), keras.layers.Embedding(5, 5)]
    )
    # The embedding is the identity: the logits of token t peak at t.
    model.layers[0].set_weights([np.eye(5, dtype="float32")])
    model.compile(
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        weighted_metrics=[QuestionErrorRate()],
    )
    inputs = np.array([[1, 2], [1, 4]])  # right on row 0, wrong on row 1
    result = model.evaluate(
        inputs, targets, sample_weight=mask, return_dict=True, verbose=0
    )
    assert result["question_error_rate"] == 0.5


def test_config_round_trip():
    metric = QuestionErrorRate(name="errors")
    again = QuestionErrorRate.from_config(metric.get_config())
    assert again.get_config() == metric.get_config()
