import numpy as np
import pytest
import tensorflow as tf

import tasks


def _batches(task, split, batch_size, count, **kwargs):
    dataset = task.dataset(split, batch_size, **kwargs).take(count)
    return [tuple(part.numpy() for part in batch) for batch in dataset]


def _lengths(mask):
    return mask.sum(axis=1).astype(int)


def test_shapes_and_dtypes():
    task = tasks.get("copy", num_bits=8, max_length=6)
    inputs, targets, mask = _batches(task, "train", 4, 1)[0]
    time = inputs.shape[1]
    assert inputs.shape == (4, time, 9)
    assert targets.shape == (4, time, 8)
    assert mask.shape == (4, time)
    assert inputs.dtype == targets.dtype == mask.dtype == np.float32
    assert time == 2 * _lengths(mask).max() + 1


def test_same_seed_same_batches_and_other_seed_other_batches():
    first = _batches(tasks.get("copy", seed=5), "train", 8, 3)
    again = _batches(tasks.get("copy", seed=5), "train", 8, 3)
    other = _batches(tasks.get("copy", seed=6), "train", 8, 3)
    for a, b in zip(first, again):
        for x, y in zip(a, b):
            np.testing.assert_array_equal(x, y)
    assert not np.array_equal(first[0][0], other[0][0])


def test_splits_differ_from_each_other():
    task = tasks.get("copy")
    train = _batches(task, "train", 32, 1)[0][0]
    test = _batches(task, "test", 32, 1)[0][0]
    assert train.shape != test.shape or not np.array_equal(train, test)


def test_recall_replays_the_input_and_mask_is_zero_elsewhere():
    task = tasks.get("copy", max_length=7)
    inputs, targets, mask = _batches(task, "train", 16, 1)[0]
    for row in range(16):
        length = _lengths(mask[row : row + 1])[0]
        np.testing.assert_array_equal(
            targets[row, length + 1 : 2 * length + 1], inputs[row, :length, :8]
        )
        assert inputs[row, length, 8] == 1.0  # the delimiter
        assert inputs[row, :length, 8].sum() == 0.0
        assert inputs[row, length + 1 :].sum() == 0.0  # no input in recall
        expected_mask = np.zeros(inputs.shape[1])
        expected_mask[length + 1 : 2 * length + 1] = 1.0
        np.testing.assert_array_equal(mask[row], expected_mask)
        assert targets[row][expected_mask == 0].sum() == 0.0


def test_lengths_stay_within_bounds_and_cover_them():
    task = tasks.get("copy", min_length=3, max_length=6)
    seen = np.concatenate(
        [_lengths(m) for _, _, m in _batches(task, "train", 64, 4)]
    )
    assert seen.min() == 3 and seen.max() == 6


def test_generalisation_splits_have_exact_length():
    task = tasks.get("copy", generalisation_lengths=(12,), eval_size=40)
    batches = _batches(task, "length_12", 16, 10)
    assert sum(b[0].shape[0] for b in batches) == 40
    for _, _, mask in batches:
        assert set(_lengths(mask)) == {12}


def test_held_out_sequences_do_not_depend_on_batch_size():
    task = tasks.get("copy", eval_size=64)

    def recall_bits(batch_size):
        rows = []
        for _, targets, mask in _batches(task, "test", batch_size, 100):
            for row in range(len(mask)):
                rows.append(targets[row][mask[row] == 1])
        return rows

    for a, b in zip(recall_bits(32), recall_bits(7)):
        np.testing.assert_array_equal(a, b)


def test_difficulty_change_applies_without_rebuilding_the_pipeline():
    task = tasks.get("copy", max_length=20)
    iterator = iter(task.dataset("train", 64))
    next(iterator)
    task.set_difficulty(2)
    _, _, mask = next(iterator)
    assert _lengths(mask.numpy()).max() <= 2
    with pytest.raises(ValueError, match="max_length"):
        task.set_difficulty(21)


def test_resumed_train_stream_continues_where_it_stopped():
    task = tasks.get("copy")
    whole = _batches(task, "train", 4, 5)
    tail = _batches(task, "train", 4, 2, start=3)
    np.testing.assert_array_equal(whole[3][0], tail[0][0])
    np.testing.assert_array_equal(whole[4][1], tail[1][1])


@pytest.mark.parametrize(
    "options, match",
    [
        ({"min_length": 5, "max_length": 3}, "min_length"),
        ({"num_bits": 0}, "num_bits"),
        ({"max_length": -1}, "max_length"),
    ],
)
def test_bad_options_raise_naming_the_argument(options, match):
    with pytest.raises(ValueError, match=match):
        tasks.get("copy", **options)


def test_bad_split_and_batch_size_raise():
    task = tasks.get("copy")
    with pytest.raises(ValueError, match=r"`split`.*'tset'.*'test'"):
        task.dataset("tset")
    with pytest.raises(ValueError, match="batch_size"):
        task.dataset("train", 0)


def test_render_draws_one_example():
    task = tasks.get("copy", num_bits=2, max_length=2)
    inputs, targets, mask = _batches(task, "train", 1, 1)[0]
    picture = task.render((inputs[0], targets[0], mask[0]))
    assert picture.splitlines()[-1].startswith("mask")
    assert len(picture.splitlines()) == 3 + 2 + 1


def test_dataset_is_graph_generated():
    task = tasks.get("copy")
    assert isinstance(task.dataset("train"), tf.data.Dataset)
