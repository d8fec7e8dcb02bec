import numpy as np
import pytest

import tasks
from testing import learn_briefly, task_batches


def _parse(task, inputs_row):
    """Reads the items and the query from one input, with plain NumPy.

    Returns:
        `(items, query)`: a list of `(item_length, num_bits)` arrays and one
        such array.
    """
    bits = task.num_bits
    item_starts = np.flatnonzero(inputs_row[:, bits] == 1.0)
    query_starts = np.flatnonzero(inputs_row[:, bits + 1] == 1.0)
    size = task.item_length
    items = [inputs_row[s + 1 : s + 1 + size, :bits] for s in item_starts]
    query = inputs_row[query_starts[0] + 1 : query_starts[0] + 1 + size, :bits]
    return items, query, item_starts, query_starts


def test_answer_is_the_item_after_the_query_item():
    task = tasks.get("associative_recall", max_items=6)
    for inputs, targets, mask in task_batches(task, "train", 32, 3):
        for row in range(len(mask)):
            items, query, _, query_starts = _parse(task, inputs[row])
            matches = [
                i for i, item in enumerate(items) if np.array_equal(item, query)
            ]
            assert len(matches) == 1  # the query is never ambiguous
            (position,) = matches
            assert position < len(items) - 1  # never the last item
            answer_start = query_starts[1] + 1
            expected_mask = np.zeros(mask.shape[1])
            expected_mask[answer_start : answer_start + 3] = 1.0
            np.testing.assert_array_equal(mask[row], expected_mask)
            np.testing.assert_array_equal(
                targets[row, answer_start : answer_start + 3],
                items[position + 1],
            )


def test_layout_is_delimited_items_then_bracketed_query_then_silence():
    task = tasks.get("associative_recall", num_bits=4, item_length=2)
    inputs, _, mask = task_batches(task, "test", 16, 1)[0]
    for row in range(16):
        items, _, item_starts, query_starts = _parse(task, inputs[row])
        count = len(items)
        np.testing.assert_array_equal(item_starts, 3 * np.arange(count))
        np.testing.assert_array_equal(query_starts, [3 * count, 3 * count + 3])
        answer_start = 3 * count + 4
        assert inputs[row, answer_start:].sum() == 0.0
        assert mask[row].sum() == 2
        # Each delimiter step carries nothing but its delimiter.
        for step in list(item_starts) + list(query_starts):
            assert inputs[row, step].sum() == 1.0


def test_item_counts_and_queried_positions_cover_their_ranges():
    task = tasks.get("associative_recall", min_items=3, max_items=5)
    counts, positions = [], []
    for inputs, _, mask in task_batches(task, "train", 64, 4):
        for row in range(len(mask)):
            items, query, _, _ = _parse(task, inputs[row])
            counts.append(len(items))
            positions.append(
                next(i for i, x in enumerate(items) if np.array_equal(x, query))
            )
    assert (min(counts), max(counts)) == (3, 5)
    assert set(positions) == {0, 1, 2, 3}


def _item_counts(task, split, batches):
    return {
        len(_parse(task, row)[0])
        for inputs, _, _ in task_batches(task, split, 64, batches)
        for row in inputs
    }


def test_train_min_items_raises_the_training_floor_only():
    task = tasks.get("associative_recall", train_min_items=4)
    assert _item_counts(task, "train", 3) == {4, 5, 6}
    assert _item_counts(task, "validation", 3) == {4, 5, 6}
    assert _item_counts(task, "test", 3) == {2, 3, 4, 5, 6}
    assert task.config()["train_min_items"] == 4
    assert tasks.get("associative_recall").train_min_items == 2
    # A curriculum lowers the difficulty no further than the training floor.
    assert task.difficulty_range == (4, 6)
    # A floor: a larger min_items (a trained model tested on 5-6 items)
    # raises it without an error.
    task = tasks.get("associative_recall", min_items=5, train_min_items=3)
    assert _item_counts(task, "train", 2) == {5, 6}
    assert _item_counts(task, "test", 2) == {5, 6}


def test_query_stays_unique_when_items_often_collide():
    # Items of one 2-bit vector: 4 possible values, so duplicates abound.
    task = tasks.get(
        "associative_recall", num_bits=2, item_length=1, max_items=6
    )
    for inputs, targets, mask in task_batches(task, "train", 64, 2):
        for row in range(len(mask)):
            items, query, _, _ = _parse(task, inputs[row])
            assert sum(np.array_equal(x, query) for x in items) == 1


def test_generalisation_splits_have_one_item_count_each():
    task = tasks.get("associative_recall", eval_size=8)
    assert task.generalisation_splits == tuple(
        f"items_{n}" for n in range(7, 16)
    )
    for count in (7, 15):
        (inputs, _, mask), *_ = task_batches(task, f"items_{count}", 8, 1)
        assert mask.shape[1] == 4 * (count + 2)
        for row in range(8):
            assert len(_parse(task, inputs[row])[0]) == count


@pytest.mark.parametrize(
    "options, error, match",
    [
        ({"min_items": 1}, ValueError, "min_items"),
        ({"min_items": 5, "max_items": 3}, ValueError, "min_items"),
        ({"item_length": 0}, ValueError, "item_length"),
        ({"num_bits": -2}, ValueError, "num_bits"),
        ({"generalisation_items": (1,)}, ValueError, "generalisation_items"),
        ({"max_items": 4.0}, TypeError, "max_items"),
        ({"train_min_items": 1}, ValueError, "train_min_items"),
        ({"train_min_items": 7}, ValueError, "train_min_items"),
        ({"train_min_items": 3.0}, TypeError, "train_min_items"),
    ],
)
def test_bad_options_raise_naming_the_argument(options, error, match):
    with pytest.raises(error, match=match):
        tasks.get("associative_recall", **options)


def test_lstm_tiny_learns_a_small_associative_recall():
    task = tasks.get(
        "associative_recall",
        num_bits=3,
        item_length=1,
        max_items=4,
        eval_size=256,
        seed=1,
    )
    result = learn_briefly(task, 800)
    assert result["bit_errors_per_sequence"] <= 0.3
    assert result["sequence_accuracy"] >= 0.85
