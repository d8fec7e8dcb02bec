import json
import math
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf

import tasks
import zoo
from ntm_keras import metrics
from testing import clean_environment, learn_briefly, task_batches


def _bayes_cost_loop(bits, context_length):
    """The Bayes-optimal cost of one sequence, counted step by step."""
    ones, seen = {}, {}
    total = 0.0
    for t, bit in enumerate(bits):
        if t < context_length:
            probability = 0.5
        else:
            context = tuple(bits[t - context_length : t])
            n1, n = ones.get(context, 0), seen.get(context, 0)
            probability = (n1 + 0.5) / (n + 1.0)
            ones[context] = n1 + bit
            seen[context] = n + 1
        total -= math.log2(probability if bit else 1.0 - probability)
    return total


def _tables_and_bits(task, tables, time, seed=0):
    bits = task.sample_bits(
        tf.constant(tables, tf.float32), time, tf.constant([seed, 1]), time
    )
    return bits.numpy()


def test_input_is_the_previous_bit_and_target_the_current_one():
    task = tasks.get("ngrams", min_length=20, max_length=40)
    for inputs, targets, mask in task_batches(task, "train", 16, 2):
        for row in range(len(mask)):
            length = int(mask[row].sum())
            np.testing.assert_array_equal(mask[row, :length], 1.0)
            bits = targets[row, :length, 0]
            assert inputs[row, 0, 0] == 0.0
            np.testing.assert_array_equal(inputs[row, 1:length, 0], bits[:-1])


@pytest.mark.parametrize("context_length", [2, 5])
def test_bayes_optimal_metric_matches_a_numpy_loop(context_length):
    task = tasks.get(
        "ngrams", context_length=context_length, min_length=30, max_length=90
    )
    (_, targets, mask), *_ = task_batches(task, "train", 12, 1)
    expected = np.mean(
        [
            _bayes_cost_loop(
                targets[row, : int(mask[row].sum()), 0].astype(int).tolist(),
                context_length,
            )
            for row in range(len(mask))
        ]
    )
    (metric,) = [
        m
        for m in task.metrics()
        if isinstance(m, metrics.BayesOptimalBitsPerSequence)
    ]
    assert metric.context_length == context_length
    metric.update_state(targets, np.full_like(targets, 0.5), mask)
    assert float(metric.result()) == pytest.approx(expected, rel=1e-5)


def test_tables_follow_beta_half_half():
    task = tasks.get("ngrams", context_length=5)
    tables = task.sample_tables(tf.constant(1000), tf.constant([3, 4]))
    values = np.sort(tables.numpy().ravel())  # 32,000 draws
    assert values.min() >= 0.0 and values.max() <= 1.0
    assert values.mean() == pytest.approx(0.5, abs=0.01)
    assert values.var() == pytest.approx(1 / 8, abs=0.005)  # ab/(a+b)^2(a+b+1)
    # Kolmogorov-Smirnov distance to the arcsine CDF (2/pi) asin(sqrt(p)).
    empirical = np.arange(1, len(values) + 1) / len(values)
    arcsine = 2 / np.pi * np.arcsin(np.sqrt(values))
    assert np.max(np.abs(empirical - arcsine)) < 0.01


def test_bits_follow_the_table_entry_of_their_context():
    task = tasks.get("ngrams", context_length=2)
    # Contexts are 2 * bit[t - 2] + bit[t - 1]: digit 1 is bit t - 2.
    copy_two_back = [[0.0, 0.0, 1.0, 1.0]] * 64
    bits = _tables_and_bits(task, copy_two_back, 30)
    np.testing.assert_array_equal(bits[:, 2:], bits[:, :-2])
    always_one = [[1.0] * 4] * 64
    bits = _tables_and_bits(task, always_one, 30)
    np.testing.assert_array_equal(bits[:, 2:], 1.0)
    # The first k bits are fair coins whatever the table says.
    assert bits[:, :2].mean() == pytest.approx(0.5, abs=0.15)
    assert 0 < bits[:, :2].sum() < bits[:, :2].size


@pytest.mark.parametrize(
    "context_length, time, max_time",
    [(1, 1, 1), (2, 7, 7), (5, 200, 200), (3, 130, 400), (8, 33, 64)],
)
def test_parallel_and_sequential_walks_draw_the_same_bits(
    context_length, time, max_time
):
    task = tasks.get("ngrams", context_length=context_length)
    tables = task.sample_tables(5, tf.constant([1, 2]))
    arguments = (tables, tf.constant(time), tf.constant([3, 4]), max_time)
    sequential = task.sample_bits(*arguments).numpy()
    parallel = task.sample_bits(*arguments, parallel=True).numpy()
    assert sequential.shape == (5, time)
    np.testing.assert_array_equal(parallel, sequential)


def test_bit_frequencies_after_each_context_match_the_table():
    task = tasks.get("ngrams", context_length=2)
    tables = [[0.1, 0.9, 0.3, 0.6]] * 8
    bits = _tables_and_bits(task, tables, 4000, seed=7).astype(int)
    contexts = 2 * bits[:, :-2] + bits[:, 1:-1]  # context of bits[:, 2:]
    for context, probability in enumerate(tables[0]):
        following = bits[:, 2:][contexts == context]
        assert following.mean() == pytest.approx(probability, abs=0.03)


def test_lengths_stay_within_bounds_and_generalisation_is_exact():
    task = tasks.get(
        "ngrams", min_length=10, max_length=20, generalisation_lengths=(50,)
    )
    lengths = np.concatenate(
        [m.sum(axis=1) for _, _, m in task_batches(task, "train", 64, 3)]
    )
    assert (lengths.min(), lengths.max()) == (10, 20)
    assert task.splits[-1] == "length_50"
    (_, _, mask), *_ = task_batches(task, "length_50", 8, 1)
    np.testing.assert_array_equal(mask, 1.0)
    assert mask.shape == (8, 50)


def test_default_is_the_papers_six_grams_of_two_hundred_bits():
    task = tasks.get("ngrams")
    assert task.context_length == 5
    assert task.difficulty_range == (200, 200)
    assert task.generalisation_splits == ("length_400", "length_1000")
    (inputs, _, mask), *_ = task_batches(task, "train", 4, 1)
    assert inputs.shape == (4, 200, 1)
    names = [m.name for m in task.metrics()]
    assert names == ["bits_per_sequence", "bayes_optimal_bits_per_sequence"]


def test_optimal_cost_per_bit_falls_towards_the_tables_entropy():
    task = tasks.get("ngrams", eval_size=64, generalisation_lengths=(1000,))
    per_bit = {}
    for split, length in (("test", 200), ("length_1000", 1000)):
        (_, targets, mask), *_ = task_batches(task, split, 64, 1)
        metric = metrics.BayesOptimalBitsPerSequence()
        metric.update_state(targets, targets, mask)
        per_bit[length] = float(metric.result()) / length
    # A coin drawn from Beta(1/2, 1/2) has an entropy of 2 - 1/ln 2 ~ 0.557
    # bits on average; the learner pays more while its counts are small (and
    # the chain visits some contexts more than others, hence the tolerance).
    assert per_bit[1000] < per_bit[200] < 1.0
    assert per_bit[1000] == pytest.approx(2 - 1 / math.log(2), abs=0.06)


@pytest.mark.parametrize(
    "options, error, match",
    [
        ({"context_length": 0}, ValueError, "context_length"),
        ({"context_length": 11}, ValueError, "context_length"),
        ({"min_length": 300}, ValueError, "min_length"),
        ({"max_length": 0}, ValueError, "max_length"),
        ({"generalisation_lengths": (-5,)}, ValueError, "generalisation_len"),
        ({"context_length": 2.0}, TypeError, "context_length"),
    ],
)
def test_bad_options_raise_naming_the_argument(options, error, match):
    with pytest.raises(error, match=match):
        tasks.get("ngrams", **options)


def test_lstm_tiny_gets_close_to_the_bayes_optimum_on_bigrams():
    task = tasks.get(
        "ngrams",
        context_length=1,
        min_length=40,
        max_length=40,
        eval_size=256,
        seed=1,
    )
    result = learn_briefly(task, 600)
    optimum = result["bayes_optimal_bits_per_sequence"]
    assert optimum < 0.8 * 40  # far below a fair coin's 1 bit per step
    assert result["bits_per_sequence"] - optimum < 1.5


_EVALUATE_SAVED = """
import json, sys
import keras, numpy as np
import ntm_keras
model = keras.models.load_model(sys.argv[1])
data = np.load(sys.argv[2])
result = model.evaluate(
    data["inputs"], data["targets"], sample_weight=data["mask"],
    return_dict=True, verbose=0,
)
print("RESULT=" + json.dumps(result))
"""


def test_saved_model_keeps_the_bayes_metric_with_only_ntm_keras(tmp_path):
    task = tasks.get("ngrams", context_length=3, min_length=12, max_length=12)
    model = zoo.get("lstm_tiny", task=task)
    # Eagerly: tracing the step costs more than the step checks.
    model.run_eagerly = True
    model.fit(task.dataset("train", 4), steps_per_epoch=1, verbose=0)
    inputs, targets, mask = task_batches(task, "validation", 8, 1)[0]
    expected = model.evaluate(
        inputs, targets, sample_weight=mask, return_dict=True, verbose=0
    )
    model.save(tmp_path / "ngrams.keras")
    np.savez(tmp_path / "batch.npz", inputs=inputs, targets=targets, mask=mask)
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            _EVALUATE_SAVED,
            str(tmp_path / "ngrams.keras"),
            str(tmp_path / "batch.npz"),
        ],
        capture_output=True,
        text=True,
        env=clean_environment(),
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    line = [x for x in result.stdout.splitlines() if x.startswith("RESULT=")]
    loaded = json.loads(line[-1].removeprefix("RESULT="))
    assert loaded["bayes_optimal_bits_per_sequence"] == pytest.approx(
        expected["bayes_optimal_bits_per_sequence"]
    )
    assert loaded["bits_per_sequence"] == pytest.approx(
        expected["bits_per_sequence"]
    )
