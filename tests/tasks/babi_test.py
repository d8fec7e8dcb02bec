"""The babi task on fixture stories written for the tests, and the real data."""

import numpy as np
import pytest
from babi_testing import babi_data_dir, fixture_text, real_babi_dir, stub_story

import tasks
from tasks.language import (
    babi,
    babi_builder,
    babi_format,
    babi_task1_rules,
    data_directory,
)


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    return babi_data_dir(tmp_path_factory.mktemp("data"))


@pytest.fixture(scope="module")
def tfds_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("tfds")


def make_task(data_dir, tfds_dir, **options):
    return tasks.get(
        "babi", data_dir=str(data_dir), tfds_dir=str(tfds_dir), **options
    )


@pytest.fixture(scope="module")
def task(data_dir, tfds_dir):
    return make_task(data_dir, tfds_dir, tasks=(1, 8, 19), seed=3)


def fixture_words():
    """The sorted words of the 20 training files of the fixture layout."""
    words = set()
    for number in range(1, 21):
        name = babi_format.task_file_name(number, "train")
        text = fixture_text(name) or stub_story(number)
        for line in text.splitlines():
            fields = line.split(" ", 1)[1].split("\t")
            words.update(babi_format.tokenize(fields[0]))
            if len(fields) > 1:
                words.update(w.lower() for w in fields[1].split(","))
    return sorted(words)


def test_vocabulary_is_every_training_word_of_all_20_tasks(task):
    assert task.vocabulary[:3] == ["[PAD]", "[UNK]", "-"]
    assert task.vocabulary[3:] == fixture_words()
    assert "cat7" in task.vocabulary  # from a task that is not trained
    assert task.spec.modality == "tokens"
    assert task.spec.structure == "sequence"
    assert task.spec.input_dim == task.spec.output_dim == len(task.vocabulary)


def test_vocabulary_is_the_same_for_every_subset_of_tasks(
    task, data_dir, tfds_dir
):
    other = make_task(data_dir, tfds_dir, tasks=(2, 19))
    assert other.vocabulary == task.vocabulary
    assert other.tasks == (2, 19)


def test_one_example_per_question_with_a_10_percent_validation_split(task):
    # Task 1: 10 training stories (11 questions), 1 held out; tasks 8, 19:
    # 3 and 2 stories, round(0.3) = round(0.2) = 0 held out.
    counts = task.counts()
    assert counts["test"] == {1: 3, 8: 1, 19: 1}
    assert counts["train"][1] + counts["validation"][1] == 11
    assert counts["validation"] in ({1: 1, 8: 0, 19: 0}, {1: 2, 8: 0, 19: 0})
    assert counts["train"][8] == 4 and counts["train"][19] == 2


def test_validation_stories_are_disjoint_from_training_and_seeded():
    stories = [
        babi_format.Story((f"s{i}",), (), i) for i in range(100)
    ]  # 100 stories
    train, held = babi.split_stories(stories, 0, 1)
    assert len(held) == 10 and len(train) == 90
    assert not {s.line for s in train} & {s.line for s in held}
    again = babi.split_stories(stories, 0, 1)[1]
    assert [s.line for s in again] == [s.line for s in held]
    other = babi.split_stories(stories, 1, 1)[1]
    assert [s.line for s in other] != [s.line for s in held]
    next_task = babi.split_stories(stories, 0, 2)[1]
    assert [s.line for s in next_task] != [s.line for s in held]


def decode_rows(task, batch):
    inputs, targets, mask = (part.numpy() for part in batch[:3])
    rows = []
    for row_inputs, row_targets, row_mask in zip(inputs, targets, mask):
        rows.append(
            (
                " ".join(w for w in task.decode(row_inputs) if w != "[PAD]"),
                task.decode(row_targets[row_mask > 0]),
            )
        )
    return rows


def test_test_examples_are_story_question_then_answer_steps(task):
    inputs, targets, mask, numbers = next(
        iter(task.question_dataset("test", 8))
    )
    assert inputs.dtype.name == targets.dtype.name == "int32"
    assert mask.dtype.name == "float32"
    assert inputs.shape == targets.shape == mask.shape
    rows = dict(decode_rows(task, (inputs, targets, mask)))
    assert rows == {
        "tom went to the garden . where is tom ? -": ["garden"],
        "lena ran to the porch . anna went to the cellar . where is anna ? -": [
            "cellar"
        ],
        "lena ran to the porch . anna went to the cellar . where is lena ? -": [
            "porch"
        ],
        "tom took the rope there . tom took the lamp there . what is tom "
        "carrying ? - -": ["rope", "lamp"],
        "the porch is south of the attic . the garden is west of the porch . "
        "how do you go from the attic to the garden ? - -": ["s", "w"],
    }
    assert sorted(numbers.numpy().tolist()) == [1, 1, 1, 8, 19]


def test_mask_is_one_on_answer_steps_only_and_targets_pad_elsewhere(task):
    inputs, targets, mask = (
        part.numpy() for part in next(iter(task.dataset("train", 16)))
    )
    assert inputs.shape[0] == 16
    for row_inputs, row_targets, row_mask in zip(inputs, targets, mask):
        length = np.count_nonzero(row_inputs)
        answer = row_inputs[:length] == babi.ANSWER
        expected = np.zeros_like(row_mask)
        expected[:length][answer] = 1.0
        np.testing.assert_array_equal(row_mask, expected)
        assert np.all(row_targets[row_mask == 0] == babi.PAD)
        assert np.all(row_targets[row_mask == 1] > babi.ANSWER)
        # The answer steps come last, after the question mark.
        first = int(np.argmax(answer))
        assert task.vocabulary[row_inputs[first - 1]] == "?"
        assert np.all(answer[first:])


def test_train_batches_keep_their_static_batch_size(task):
    # XLA cannot take the DNC's gradient through a batch of unknown size.
    spec = task.dataset("train", 16).element_spec
    assert [tuple(part.shape.as_list()) for part in spec] == [(16, None)] * 3


def test_same_seed_same_batches_other_seed_other_batches(
    task, data_dir, tfds_dir
):
    first = [b[0].numpy() for b in task.dataset("train", 4).take(3)]
    again = make_task(data_dir, tfds_dir, tasks=(1, 8, 19), seed=3)
    second = [b[0].numpy() for b in again.dataset("train", 4).take(3)]
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)
    resumed = next(iter(task.dataset("train", 4, start=2)))[0].numpy()
    np.testing.assert_array_equal(resumed, first[2])
    other = [b[0].numpy() for b in task.dataset("train", 4, seed=4).take(3)]
    assert any(
        a.shape != b.shape or not np.array_equal(a, b)
        for a, b in zip(first, other)
    )


def test_held_out_batches_are_fixed_and_capped_by_eval_size(data_dir, tfds_dir):
    task = make_task(data_dir, tfds_dir, tasks=(1, 8, 19), eval_size=4)
    batches = list(task.dataset("test", 3))
    assert [len(b[0]) for b in batches] == [3, 1]
    again = list(task.dataset("test", 3))
    for a, b in zip(batches, again):
        np.testing.assert_array_equal(a[0], b[0])
    inputs, targets, mask = task.held_out("test")
    assert inputs.shape[0] == 4 and mask.sum() == sum(
        b[2].numpy().sum() for b in batches
    )


def test_max_length_keeps_the_most_recent_whole_sentences(data_dir, tfds_dir):
    # "lena ran to the porch ." (6) "anna went to the cellar ." (6)
    # "where is lena ?" (4) "-" (1): 17 steps; a limit of 12 keeps one.
    task = make_task(data_dir, tfds_dir, tasks=(1,), max_length=12)
    rows = [
        row
        for row, _ in decode_rows(
            task, next(iter(task.question_dataset("test", 8)))
        )
    ]
    assert "anna went to the cellar . where is lena ? -" in rows
    assert "tom went to the garden . where is tom ? -" in rows
    with pytest.raises(ValueError, match="`max_length`"):
        make_task(data_dir, tfds_dir, tasks=(8,), max_length=5)


def test_render_shows_input_target_and_mask_rows(task):
    text = task.render(task.held_out_example("test", 0))
    lines = text.splitlines()
    assert [line.split()[0] for line in lines[-3:]] == [
        "input",
        "target",
        "mask",
    ]
    assert lines[-3].split()[-1] == "-"
    assert lines[-1].split()[-1] == "1"


def test_config_round_trips_through_tasks_get(task):
    config = task.config()
    assert config["tasks"] == [1, 8, 19]
    assert tasks.get("babi", **config).config() == config


@pytest.mark.parametrize(
    "value, error",
    [
        ((0,), ValueError),
        ((21,), ValueError),
        (("x",), ValueError),
        ((), ValueError),
        ("x", ValueError),
        (1, TypeError),  # tasks.get checks the type against the tuple
    ],
)
def test_unknown_task_numbers_raise_naming_tasks(value, error, data_dir):
    with pytest.raises(error, match="`tasks`"):
        tasks.get("babi", tasks=value, data_dir=str(data_dir))


def test_command_line_task_numbers_are_parsed(task, data_dir, tfds_dir):
    parsed = make_task(data_dir, tfds_dir, tasks="19,1,8", seed=3)
    assert parsed.tasks == (1, 8, 19)
    with pytest.raises(ValueError, match="`tasks`.*'1,x'"):
        tasks.get("babi", tasks="1,x", data_dir=str(data_dir))


def test_size_other_than_1k_or_10k_raises_naming_size(data_dir):
    with pytest.raises(ValueError, match="`size`.*'5k'"):
        tasks.get("babi", size="5k", data_dir=str(data_dir))


def test_missing_data_directory_says_how_to_get_the_data(tmp_path, monkeypatch):
    monkeypatch.delenv("NTM_KERAS_DATA", raising=False)
    with pytest.raises(data_directory.MissingDataError) as error:
        tasks.get("babi", tfds_dir=str(tmp_path / "tfds"))
    assert "tasks_1-20_v1-2.tar.gz" in str(error.value)
    assert "--data-dir" in str(error.value)
    with pytest.raises(data_directory.MissingDataError) as error:
        tasks.get("babi", data_dir=str(tmp_path), tfds_dir=str(tmp_path))
    assert str(tmp_path / "babi") in str(error.value)


def test_missing_task_file_raises_naming_its_path(tmp_path):
    name = babi_format.task_file_name(12, "test")
    data_dir = babi_data_dir(tmp_path / "data", leave_out=(name,))
    with pytest.raises(ValueError, match=name) as error:
        make_task(data_dir, tmp_path / "tfds")
    assert str(data_dir / "babi" / "en" / name) in str(error.value)
    assert not (tmp_path / "tfds").exists() or not any(
        (tmp_path / "tfds").rglob("*.tfrecord*")
    )


def test_malformed_file_raises_naming_file_and_line(tmp_path):
    data_dir = babi_data_dir(tmp_path / "data")
    path = data_dir / "babi" / "en" / babi_format.task_file_name(5, "train")
    path.write_text("1 A cat sat.\n2 Where is the cat?\n")
    with pytest.raises(ValueError, match=rf"{path}, line 2"):
        make_task(data_dir, tmp_path / "tfds")


def test_10k_without_task_3_training_file_falls_back_to_1k(tmp_path, capsys):
    name = babi_format.task_file_name(3, "train")
    data_dir = babi_data_dir(
        tmp_path / "data", folder="en-10k", leave_out=(name,)
    )
    babi_data_dir(tmp_path / "data", folder="en")
    files, fallbacks = babi_builder.task_files(data_dir / "babi", "10k")
    assert fallbacks == [(3, "train")]
    assert files[(3, "train")] == data_dir / "babi" / "en" / name
    task = make_task(data_dir, tmp_path / "tfds", tasks=(1, 3), size="10k")
    assert task.fallbacks == (3,)
    printed = capsys.readouterr().out
    assert "task 3" in printed and "using the 1k file" in printed
    assert (
        make_task(data_dir, tmp_path / "tfds", tasks=(1,), size="10k").fallbacks
        == ()
    )


@pytest.fixture(scope="module")
def real_task(tmp_path_factory):
    root = real_babi_dir()
    return tasks.get(
        "babi",
        tasks=tuple(range(1, 21)),
        data_dir=str(root),
        tfds_dir=str(tmp_path_factory.mktemp("tfds")),
    )


def test_real_1k_data_load_1000_questions_per_task_and_file(real_task):
    counts = real_task.counts()
    assert counts["test"] == {number: 1000 for number in range(1, 21)}
    for number in range(1, 21):
        assert counts["train"][number] + counts["validation"][number] == 1000
        assert 50 <= counts["validation"][number] <= 150
    assert len(real_task.vocabulary) == 161
    assert not np.any(
        np.concatenate(
            [
                b[0].numpy().ravel()
                for b in real_task.question_dataset("test", 1000)
            ]
        )
        == babi.UNK
    )


def test_real_10k_task_3_training_file_falls_back_to_1k():
    root = real_babi_dir() / "babi"
    if (root / "en-10k" / babi_format.task_file_name(3, "train")).exists():
        pytest.skip("the 10k task 3 training file is there: no fallback")
    files, fallbacks = babi_builder.task_files(root, "10k")
    assert fallbacks == [(3, "train")]
    assert files[(3, "train")].parent.name == "en"
    assert files[(1, "train")].parent.name == "en-10k"


def test_real_task_1_inputs_hold_every_answer_and_the_last_place_is_half(
    real_task,
):
    # The model's own inputs, decoded: the rule "where did that person go
    # last" answers every question, so nothing the answer needs is lost;
    # "the last place mentioned", a shortcut, answers about half (the
    # plateau near 50% error that models of notes/dnc.md sat on).
    right = shortcut = count = 0
    for _, questions in babi_task1_rules.task1_batches(real_task, "test"):
        for _, words, answer, _ in questions:
            count += 1
            right += babi_task1_rules.person_rule(words) == answer
            shortcut += babi_task1_rules.last_place_rule(words) == answer
    assert count == 1000
    assert right == 1000
    assert 0.4 < shortcut / count < 0.65
