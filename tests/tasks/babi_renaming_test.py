"""Random renaming of bAbI's entities: the table, and real task 1 stories."""

import numpy as np
import pytest
import tensorflow as tf
from babi_testing import real_babi_dir

import tasks
from tasks.language import babi, babi_renaming, babi_task1_rules


def test_entity_groups_keep_only_words_present_and_drop_singletons():
    ids = {"mary": 3, "sandra": 4, "john": 5, "kitchen": 6, "garden": 7}
    present = {"mary", "sandra", "john", "kitchen", "garden", "apple"}
    groups = babi_renaming.entity_groups(ids, present)
    # john is the only man: nothing to exchange; apple is not in `ids`.
    assert [g.tolist() for g in groups] == [[3, 4], [6, 7]]
    assert all(g.dtype == np.int32 for g in groups)


def test_table_permutes_each_group_within_itself_and_fixes_the_rest():
    groups = [np.array([3, 5, 7], np.int32), np.array([4, 9], np.int32)]
    seed = tf.constant([1, 2], tf.int64)
    table = babi_renaming.renaming_table(groups, 10, 256, seed).numpy()
    assert table.shape == (256, 10) and table.dtype == np.int32
    for row in table:
        assert sorted(row.tolist()) == list(range(10))  # a permutation
        for group in groups:
            assert sorted(row[group].tolist()) == group.tolist()
        np.testing.assert_array_equal(row[[0, 1, 2, 6, 8]], [0, 1, 2, 6, 8])
    # All 3! = 6 renamings of the first group and both of the second occur,
    # each about as often as the others.
    first = {tuple(row[[3, 5, 7]]) for row in table}
    assert len(first) == 6
    counts = np.unique(table[:, 4], return_counts=True)[1]
    assert counts.min() > 256 * 0.3
    again = babi_renaming.renaming_table(groups, 10, 256, seed).numpy()
    np.testing.assert_array_equal(table, again)
    other = babi_renaming.renaming_table(
        groups, 10, 256, tf.constant([1, 3], tf.int64)
    ).numpy()
    assert not np.array_equal(table, other)


@pytest.fixture(scope="module")
def tfds_dir(tmp_path_factory):
    # One cache for both tasks below: the second reads what the first built.
    return str(tmp_path_factory.mktemp("tfds"))


def task_1(tfds_dir, rename_entities):
    return tasks.get(
        "babi",
        tasks=(1,),
        data_dir=str(real_babi_dir()),
        tfds_dir=tfds_dir,
        rename_entities=rename_entities,
    )


@pytest.fixture(scope="module")
def renamed_task(tfds_dir):
    return task_1(tfds_dir, True)


@pytest.fixture(scope="module")
def plain(tfds_dir):
    return task_1(tfds_dir, False)


def test_renamed_task_1_batches_keep_their_answers_and_change_names(
    renamed_task, plain
):
    names = {
        w for words in babi_renaming.ENTITY_CLASSES.values() for w in words
    }
    changed = 0
    renamed_batches = renamed_task.dataset("train", 64).take(4)
    plain_batches = plain.dataset("train", 64).take(4)
    for renamed, original in zip(renamed_batches, plain_batches):
        inputs, targets, mask = (part.numpy() for part in renamed)
        original_inputs = original[0].numpy()
        np.testing.assert_array_equal(mask, original[2].numpy())
        for x, y, m, x0 in zip(inputs, targets, mask, original_inputs):
            words = renamed_task.decode([t for t in x if t != babi.PAD])
            (step,) = m.nonzero()[0]
            # The person rule still answers with the renamed target.
            answer = renamed_task.decode([y[step]])[0]
            assert babi_task1_rules.person_rule(words) == answer
            # Only names differ from the story before renaming.
            words0 = plain.decode([t for t in x0 if t != babi.PAD])
            for w, w0 in zip(words, words0, strict=True):
                assert w == w0 or (w in names and w0 in names)
            changed += words != words0
    assert changed > 200  # of 256 stories


def test_held_out_splits_are_never_renamed(renamed_task, plain):
    for split in ("validation", "test"):
        renamed = renamed_task.question_dataset(split, 1000)
        for a, b in zip(renamed, plain.question_dataset(split, 1000)):
            for part_a, part_b in zip(a, b):
                np.testing.assert_array_equal(part_a.numpy(), part_b.numpy())
        held_out = zip(renamed_task.held_out(split), plain.held_out(split))
        for part_a, part_b in held_out:
            np.testing.assert_array_equal(part_a, part_b)


def test_rename_entities_must_be_a_bool(tmp_path):
    with pytest.raises(TypeError, match="rename_entities"):
        babi.Babi(
            tasks=(1,),
            data_dir=str(real_babi_dir()),
            tfds_dir=str(tmp_path),
            rename_entities="yes",
        )
