"""The tiny_shakespeare task, on a small fixture text and the real data."""

import pathlib

import numpy as np
import pytest

import tasks
from tasks.language import data_directory, tiny_shakespeare
from testing import SHARED_DATA

FIXTURE = pathlib.Path(__file__).parents[1] / "data" / "tiny_play.txt"


def _fixture_texts(*_):
    text = FIXTURE.read_text()
    first, second = int(0.9 * len(text)), int(0.95 * len(text))
    return {
        "train": text[:first],
        "validation": text[first:second],
        "test": text[second:],
    }


@pytest.fixture
def task(monkeypatch):
    monkeypatch.setattr(tiny_shakespeare, "load_texts", _fixture_texts)
    return tasks.get("tiny_shakespeare", context_length=8, seed=3)


def test_vocabulary_is_the_sorted_characters_of_the_training_text(task):
    train = _fixture_texts()["train"]
    assert task.vocabulary == sorted(set(train))
    assert task.spec.modality == "tokens"
    assert task.spec.input_dim == task.spec.output_dim == len(set(train))
    assert task.decode(task.encode("KEEPER:")) == "KEEPER:"


def test_train_targets_are_the_inputs_shifted_by_one(task):
    inputs, targets, mask = next(iter(task.dataset("train", 5)))
    assert inputs.shape == targets.shape == mask.shape == (5, 8)
    assert inputs.dtype.name == "int32"
    np.testing.assert_array_equal(inputs[:, 1:], targets[:, :-1])
    assert np.all(mask.numpy() == 1.0)
    for row_inputs, row_targets in zip(inputs.numpy(), targets.numpy()):
        window = task.decode(row_inputs) + task.decode(row_targets[-1:])
        assert window in _fixture_texts()["train"]


def test_same_seed_same_batches_and_start_resumes_exactly(task):
    first = [b[0].numpy() for b in task.dataset("train", 4).take(3)]
    again = [b[0].numpy() for b in task.dataset("train", 4).take(3)]
    resumed = next(iter(task.dataset("train", 4, start=2)))[0].numpy()
    other = next(iter(task.dataset("train", 4, seed=99)))[0].numpy()
    for a, b in zip(first, again):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(resumed, first[2])
    assert not np.array_equal(other, first[0])


def test_held_out_splits_are_consecutive_windows(task):
    batches = list(task.dataset("validation", 2))
    inputs = np.concatenate([b[0].numpy() for b in batches])
    text = _fixture_texts()["validation"]
    assert len(inputs) == (len(text) - 1) // 8
    assert (
        "".join(task.decode(row) for row in inputs) == text[: 8 * len(inputs)]
    )


def test_eval_size_caps_the_held_out_windows(monkeypatch):
    monkeypatch.setattr(tiny_shakespeare, "load_texts", _fixture_texts)
    task = tasks.get("tiny_shakespeare", context_length=4, eval_size=3)
    assert sum(len(b[0]) for b in task.dataset("test", 2)) == 3


def test_attention_example_is_the_first_validation_window(task):
    inputs, labels = task.attention_example()
    assert inputs.shape == (1, 8)
    assert "".join(labels["source"]) == _fixture_texts()["validation"][:8]
    assert labels["target"] == labels["source"]


def test_render_shows_input_target_and_mask(task):
    inputs, targets, mask = next(iter(task.dataset("train", 1)))
    lines = task.render((inputs[0], targets[0], mask[0])).splitlines()
    assert [line.split()[0] for line in lines] == ["input", "target", "mask"]


def test_characters_outside_the_vocabulary_raise_naming_the_argument(task):
    with pytest.raises(ValueError, match=r"`prompt`.*\['@', '~'\]"):
        task.encode("KEEPER@~", argument="prompt")


def test_held_out_characters_unknown_to_training_raise(monkeypatch):
    def texts(*_):
        return {"train": "abcabcabcabc", "validation": "abz", "test": "abc"}

    monkeypatch.setattr(tiny_shakespeare, "load_texts", texts)
    with pytest.raises(ValueError, match=r"`validation split`.*'z'"):
        tasks.get("tiny_shakespeare", context_length=4)


def test_context_longer_than_the_text_raises(monkeypatch):
    monkeypatch.setattr(tiny_shakespeare, "load_texts", _fixture_texts)
    with pytest.raises(ValueError, match="`context_length`"):
        tasks.get("tiny_shakespeare", context_length=100_000)


def test_missing_file_error_says_which_file_and_where_to_get_it(tmp_path):
    with pytest.raises(data_directory.MissingDataError) as error:
        tasks.get(
            "tiny_shakespeare",
            data_dir=str(tmp_path),
            tfds_dir=str(tmp_path / "tfds"),
        )
    message = str(error.value)
    assert "input.txt" in message and str(tmp_path) in message
    assert "karpathy/char-rnn" in message and "--data-dir" in message


def test_no_data_directory_error_names_the_option_and_variable(
    tmp_path, monkeypatch
):
    monkeypatch.delenv("NTM_KERAS_DATA", raising=False)
    with pytest.raises(data_directory.MissingDataError, match="NTM_KERAS_DATA"):
        tasks.get("tiny_shakespeare", tfds_dir=str(tmp_path / "tfds"))


@pytest.fixture(scope="module")
def real_task(tmp_path_factory):
    if not (SHARED_DATA / "tiny_shakespeare" / "input.txt").exists():
        pytest.skip(f"{SHARED_DATA}/tiny_shakespeare/input.txt is missing")
    tfds_dir = tmp_path_factory.mktemp("tfds")
    return tasks.get(
        "tiny_shakespeare", data_dir=str(SHARED_DATA), tfds_dir=str(tfds_dir)
    )


def test_real_data_loads_through_tfds_with_the_90_5_5_split(real_task):
    sizes = {split: len(text) for split, text in real_task.texts.items()}
    assert sizes == {"train": 1003854, "validation": 55770, "test": 55770}
    assert real_task.spec.input_dim == 65
    assert real_task.texts["train"].startswith("First Citizen:")


def test_data_directory_comes_from_the_environment(real_task, monkeypatch):
    monkeypatch.setenv("NTM_KERAS_DATA", real_task.data_dir)
    found = data_directory.find_file(
        "tiny_shakespeare", None, "tiny_shakespeare", "input.txt", ""
    )
    assert found == pathlib.Path(real_task.data_dir) / "tiny_shakespeare" / (
        "input.txt"
    )


class _PreparedBuilder:
    """Stands for a prepared TFDS cache (as in ~/tensorflow_datasets)."""

    def is_prepared(self):
        return True

    def as_dataset(self, split):
        import tensorflow as tf

        return tf.data.Dataset.from_tensors({"text": _fixture_texts()[split]})


@pytest.fixture
def prepared_cache(monkeypatch):
    import tensorflow_datasets as tfds

    monkeypatch.setattr(tfds, "builder", lambda *a, **k: _PreparedBuilder())


def test_a_named_data_directory_is_read_even_with_a_prepared_cache(
    prepared_cache, tmp_path
):
    missing = tmp_path / "nonexistent"
    with pytest.raises(data_directory.MissingDataError, match=str(missing)):
        tiny_shakespeare.load_texts(str(missing))
    # Without a data directory, the prepared cache is what is read.
    assert tiny_shakespeare.load_texts(None) == _fixture_texts()


@pytest.mark.parametrize(
    ("content", "expected"),
    [(b"", "it is empty"), (b"First Citizen:\n" * 10, "its SHA-256 is")],
)
def test_an_empty_or_corrupt_input_file_is_named(
    prepared_cache, tmp_path, content, expected, monkeypatch
):
    monkeypatch.delenv("NTM_KERAS_DATA", raising=False)
    path = tmp_path / "tiny_shakespeare" / "input.txt"
    path.parent.mkdir()
    path.write_bytes(content)
    with pytest.raises(data_directory.MissingDataError) as error:
        tiny_shakespeare.load_texts(str(tmp_path))
    assert str(path) in str(error.value) and expected in str(error.value)


def test_a_corrupt_file_without_a_cache_is_named_not_a_tfds_traceback(
    tmp_path,
):
    path = tmp_path / "tiny_shakespeare" / "input.txt"
    path.parent.mkdir()
    path.write_text("not Shakespeare")
    with pytest.raises(data_directory.MissingDataError, match=str(path)):
        tasks.get(
            "tiny_shakespeare",
            data_dir=str(tmp_path),
            tfds_dir=str(tmp_path / "tfds"),
        )


def test_the_real_file_passes_the_check(real_task):
    tiny_shakespeare.check_input_file(
        pathlib.Path(real_task.data_dir) / "tiny_shakespeare" / "input.txt"
    )
