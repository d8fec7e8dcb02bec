"""The contract every algorithmic task keeps, checked on the paper's tasks.

Each task's own file checks what its examples mean; this one checks what
all of them share: shapes, dtypes, seeding, masks, held-out splits,
resuming, the difficulty knob, mixing, and sizing a zoo model.
"""

import numpy as np
import pytest
import tensorflow as tf

import tasks
import zoo
from testing import task_batches

# Small options so that every check runs in a moment.
TASKS = {
    "copy": {"max_length": 6},
    "repeat_copy": {"num_bits": 4, "max_length": 4, "max_repeats": 3},
    "associative_recall": {"num_bits": 3, "max_items": 5},
    "ngrams": {"context_length": 2, "min_length": 5, "max_length": 30},
    "priority_sort": {
        "num_bits": 4,
        "num_inputs": 6,
        "num_outputs": 4,
        "min_inputs": 2,
    },
}
NAMES = sorted(TASKS)


def _task(name, **options):
    return tasks.get(name, **{**TASKS[name], **options})


def test_every_paper_task_is_registered():
    assert set(NAMES) <= set(tasks.list())


@pytest.mark.parametrize("name", NAMES)
def test_shapes_and_dtypes_follow_the_spec(name):
    task = _task(name)
    inputs, targets, mask = task_batches(task, "train", 5, 1)[0]
    batch, time = mask.shape
    assert batch == 5
    assert inputs.shape == (5, time, task.spec.input_dim)
    assert targets.shape == (5, time, task.spec.output_dim)
    assert inputs.dtype == targets.dtype == mask.dtype == np.float32
    assert set(np.unique(mask)) <= {0.0, 1.0}
    assert set(np.unique(targets)) <= {0.0, 1.0}
    # The batch is as long as its longest sequence, not longer.
    assert (inputs[:, -1].any(axis=-1) | (mask[:, -1] > 0)).any()


@pytest.mark.parametrize("name", NAMES)
def test_same_seed_same_batches_and_other_seed_other_batches(name):
    first = task_batches(_task(name, seed=5), "train", 8, 3)
    again = task_batches(_task(name, seed=5), "train", 8, 3)
    other = task_batches(_task(name, seed=6), "train", 8, 3)
    for batch, repeated in zip(first, again):
        for part, same in zip(batch, repeated):
            np.testing.assert_array_equal(part, same)
    assert any(
        a[0].shape != b[0].shape or not np.array_equal(a[0], b[0])
        for a, b in zip(first, other)
    )


@pytest.mark.parametrize("name", NAMES)
def test_targets_are_zero_where_the_mask_is(name):
    task = _task(name)
    for _, targets, mask in task_batches(task, "train", 16, 3):
        assert targets[mask == 0].sum() == 0.0
        assert (mask.sum(axis=1) > 0).all()


@pytest.mark.parametrize("name", NAMES)
def test_padding_after_a_sequence_is_all_zero(name):
    task = _task(name)
    for inputs, _, mask in task_batches(task, "test", 16, 2):
        for row in range(len(mask)):
            scored = np.flatnonzero(mask[row])
            end = scored[-1] + 1
            assert inputs[row, end:].sum() == 0.0
            assert mask[row, end:].sum() == 0.0


@pytest.mark.parametrize("name", NAMES)
def test_held_out_sequences_do_not_depend_on_batch_size(name):
    task = _task(name, eval_size=40)

    def scored_targets(batch_size):
        rows = []
        for _, targets, mask in task_batches(task, "test", batch_size, 100):
            for row in range(len(mask)):
                rows.append(targets[row][mask[row] == 1])
        return rows

    by_32, by_7 = scored_targets(32), scored_targets(7)
    assert len(by_32) == len(by_7) == 40
    for a, b in zip(by_32, by_7):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("name", NAMES)
def test_every_split_gives_eval_size_sequences(name):
    task = _task(name, eval_size=9)
    for split in task.splits[1:]:
        batches = task_batches(task, split, 4, 10)
        assert sum(len(mask) for _, _, mask in batches) == 9, split


@pytest.mark.parametrize("name", NAMES)
def test_resumed_train_stream_continues_where_it_stopped(name):
    task = _task(name)
    whole = task_batches(task, "train", 4, 5)
    tail = task_batches(task, "train", 4, 2, start=3)
    for part in range(3):
        np.testing.assert_array_equal(whole[3][part], tail[0][part])
        np.testing.assert_array_equal(whole[4][part], tail[1][part])


@pytest.mark.parametrize("name", NAMES)
def test_lowest_difficulty_gives_shorter_sequences_at_once(name):
    task = _task(name)
    low, high = task.difficulty_range
    assert low < high and task.difficulty == high
    iterator = iter(task.dataset("train", 64))
    hard = next(iterator)[2].numpy()
    task.set_difficulty(low)
    easy = next(iterator)[2].numpy()
    validation = task_batches(task, "validation", 64, 1)[0][2]
    assert easy.shape[1] < hard.shape[1]
    assert validation.shape[1] == easy.shape[1]
    with pytest.raises(ValueError, match=task.difficulty_name):
        task.set_difficulty(high + 1)


@pytest.mark.parametrize("name", NAMES)
def test_mixing_draws_train_sequences_from_the_whole_range(name):
    task = _task(name)
    low, _ = task.difficulty_range
    task.set_difficulty(low)
    plain = task_batches(task, "train", 64, 2)
    task.set_mix_probability(1.0)
    mixed = task_batches(task, "train", 64, 2)
    validation = task_batches(task, "validation", 64, 1)
    assert max(b[2].shape[1] for b in mixed) > max(b[2].shape[1] for b in plain)
    assert validation[0][2].shape[1] == plain[0][2].shape[1]
    task.set_mix_probability(0.0)
    again = task_batches(task, "train", 64, 2)
    for batch, repeated in zip(plain, again):
        for part, same in zip(batch, repeated):
            np.testing.assert_array_equal(part, same)


@pytest.mark.parametrize("name", NAMES)
def test_config_holds_every_option_and_rebuilds_the_task(name):
    task = _task(name, seed=3)
    config = task.config()
    assert config["seed"] == 3
    assert set(config) == set(tasks.options(name))
    rebuilt = tasks.get(name, **config)
    np.testing.assert_array_equal(
        task_batches(task, "test", 4, 1)[0][0],
        task_batches(rebuilt, "test", 4, 1)[0][0],
    )


@pytest.mark.parametrize("name", NAMES)
def test_render_draws_every_channel_and_the_mask(name):
    task = _task(name)
    inputs, targets, mask = task_batches(task, "train", 1, 1)[0]
    picture = task.render((inputs[0], targets[0], mask[0])).splitlines()
    channels = task.spec.input_dim + task.spec.output_dim
    assert len(picture) == channels + 1
    assert picture[-1] == "mask      " + "".join(str(int(m)) for m in mask[0])
    assert all(len(line) == 10 + mask.shape[1] for line in picture)


@pytest.mark.parametrize("name", NAMES)
def test_dataset_is_a_graph_generated_tf_data_pipeline(name):
    assert isinstance(_task(name).dataset("train"), tf.data.Dataset)


@pytest.mark.parametrize("name", NAMES)
def test_zoo_sizes_and_compiles_lstm_tiny_for_the_task(name):
    task = _task(name, eval_size=8)
    model = zoo.get("lstm_tiny", task=task)
    assert model.inputs[0].shape[-1] == task.spec.input_dim
    assert model.outputs[0].shape[-1] == task.spec.output_dim
    # Eagerly: tracing the step costs more than the step checks.
    model.run_eagerly = True
    history = model.fit(
        task.dataset("train", 4), steps_per_epoch=2, epochs=1, verbose=0
    )
    assert np.isfinite(history.history["loss"][0])
    result = model.evaluate(
        task.dataset("validation", 4), return_dict=True, verbose=0
    )
    assert "bits_per_sequence" in result
    assert all(np.isfinite(value) for value in result.values())


@pytest.mark.parametrize(
    "name, input_dim, output_dim",
    [
        ("copy", 9, 8),
        ("repeat_copy", 10, 9),
        ("associative_recall", 8, 6),
        ("ngrams", 1, 1),
        ("priority_sort", 10, 8),
    ],
)
def test_default_task_sizes_the_model_as_the_paper_does(
    name, input_dim, output_dim
):
    task = tasks.get(name)
    assert (task.spec.input_dim, task.spec.output_dim) == (
        input_dim,
        output_dim,
    )
    model = zoo.get("lstm_tiny", task=task)
    assert model.inputs[0].shape[-1] == input_dim
    assert model.outputs[0].shape[-1] == output_dim
