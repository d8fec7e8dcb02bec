import numpy as np
import pytest

import tasks
from testing import learn_briefly, task_batches

OPTIONS = {"num_bits": 5, "num_inputs": 8, "num_outputs": 6, "min_inputs": 3}


def _parse(task, inputs_row):
    """Reads the vectors and priorities back from one input."""
    count = int(np.argmax(inputs_row[:, task.num_bits + 1]))
    vectors = inputs_row[:count, : task.num_bits]
    priorities = inputs_row[:count, task.num_bits]
    return vectors, priorities


def test_targets_are_the_highest_priority_vectors_highest_first():
    task = tasks.get("priority_sort", **OPTIONS)
    for inputs, targets, mask in task_batches(task, "train", 32, 3):
        for row in range(len(mask)):
            vectors, priorities = _parse(task, inputs[row])
            count = len(vectors)
            kept = -(-count * 6 // 8)  # ceil(count * 6 / 8)
            order = np.argsort(-priorities, kind="stable")[:kept]
            expected_mask = np.zeros(mask.shape[1])
            expected_mask[count + 1 : count + 1 + kept] = 1.0
            np.testing.assert_array_equal(mask[row], expected_mask)
            np.testing.assert_array_equal(
                targets[row, count + 1 : count + 1 + kept], vectors[order]
            )


def test_inputs_carry_priorities_in_range_then_a_lone_delimiter():
    task = tasks.get("priority_sort", **OPTIONS)
    inputs, _, _ = task_batches(task, "train", 32, 1)[0]
    for row in range(32):
        vectors, priorities = _parse(task, inputs[row])
        count = len(vectors)
        assert np.all((priorities >= -1.0) & (priorities < 1.0))
        assert len(np.unique(priorities)) == count
        assert inputs[row, :count, task.num_bits + 1].sum() == 0.0
        np.testing.assert_array_equal(
            inputs[row, count], [0.0] * (task.num_bits + 1) + [1.0]
        )
        assert inputs[row, count + 1 :].sum() == 0.0


def test_input_counts_stay_within_bounds_and_cover_them():
    task = tasks.get("priority_sort", **OPTIONS)
    counts = [
        len(_parse(task, inputs[row])[0])
        for inputs, _, mask in task_batches(task, "train", 64, 3)
        for row in range(len(mask))
    ]
    assert (min(counts), max(counts)) == (3, 8)


def test_outputs_keep_the_papers_share_at_every_size():
    task = tasks.get("priority_sort")
    assert task.difficulty_range == (20, 20)
    assert [task.num_sorted(n) for n in (1, 2, 5, 20, 30, 40)] == [
        1,
        2,
        4,
        16,
        24,
        32,
    ]
    (inputs, _, mask), *_ = task_batches(task, "train", 4, 1)
    assert inputs.shape == (4, 37, 10)
    np.testing.assert_array_equal(mask.sum(axis=1), 16)


def test_generalisation_splits_have_more_inputs():
    task = tasks.get("priority_sort", eval_size=8)
    assert task.generalisation_splits == ("inputs_30", "inputs_40")
    (inputs, _, mask), *_ = task_batches(task, "inputs_40", 8, 1)
    assert mask.shape == (8, 40 + 1 + 32)
    np.testing.assert_array_equal(mask.sum(axis=1), 32)
    for row in range(8):
        assert len(_parse(task, inputs[row])[0]) == 40


@pytest.mark.parametrize(
    "options, error, match",
    [
        ({"num_outputs": 21}, ValueError, "num_outputs"),
        ({"num_outputs": 0}, ValueError, "num_outputs"),
        ({"min_inputs": 21}, ValueError, "min_inputs"),
        ({"min_inputs": 0}, ValueError, "min_inputs"),
        ({"num_inputs": 0}, ValueError, "num_inputs"),
        ({"generalisation_inputs": (0,)}, ValueError, "generalisation_in"),
        ({"num_bits": 8.5}, TypeError, "num_bits"),
    ],
)
def test_bad_options_raise_naming_the_argument(options, error, match):
    with pytest.raises(error, match=match):
        tasks.get("priority_sort", **options)


def test_render_draws_priorities_as_digits_before_the_delimiter():
    task = tasks.get("priority_sort", **OPTIONS)
    inputs, targets, mask = task_batches(task, "train", 1, 1)[0]
    _, priorities = _parse(task, inputs[0])
    lines = task.render((inputs[0], targets[0], mask[0])).splitlines()
    row = lines[task.num_bits].split()[-1]
    expected = [str(min(9, int((p + 1) * 5))) for p in priorities]
    assert row[: len(priorities)] == "".join(expected)
    assert set(row[len(priorities) :]) == {"."}


def test_lstm_tiny_learns_a_small_priority_sort():
    task = tasks.get(
        "priority_sort",
        num_bits=2,
        num_inputs=3,
        num_outputs=2,
        min_inputs=3,
        eval_size=256,
        seed=1,
    )
    result = learn_briefly(task, 600)
    # Chance is 2 errors per sequence (4 bits); sorting 3 is not trivial.
    assert result["bit_errors_per_sequence"] <= 0.6
    assert result["sequence_accuracy"] >= 0.6
