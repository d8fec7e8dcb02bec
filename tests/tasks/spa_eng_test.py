"""The spa_eng task on a small fixture of pairs written for the tests."""

import numpy as np
import pytest

import tasks
from tasks.language import data_directory, spa_eng
from testing import SPA_ENG_PAIRS, spa_eng_data_dir


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("vocabularies")


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    return spa_eng_data_dir(tmp_path_factory.mktemp("data"))


@pytest.fixture
def task(cache_dir, data_dir):
    return tasks.get(
        "spa_eng",
        data_dir=str(data_dir),
        cache_dir=str(cache_dir),
        sequence_length=8,
        vocabulary_size=1000,
    )


def test_split_is_seeded_80_10_10_and_disjoint(task, cache_dir, data_dir):
    sizes = {split: len(pairs) for split, pairs in task.pairs.items()}
    assert sizes == {"train": 40, "validation": 5, "test": 5}
    every = [pair for pairs in task.pairs.values() for pair in pairs]
    assert sorted(every) == sorted(spa_eng.read_pairs(SPA_ENG_PAIRS))
    again = tasks.get(
        "spa_eng",
        data_dir=str(data_dir),
        cache_dir=str(cache_dir),
        vocabulary_size=1000,
    )
    assert again.pairs == task.pairs
    other = spa_eng.split_pairs(spa_eng.read_pairs(SPA_ENG_PAIRS), 1)
    assert other["test"] != task.pairs["test"]


def test_spec_is_sequence_to_sequence_with_both_vocabularies(task):
    assert task.spec.modality == "tokens"
    assert task.spec.structure == "sequence_to_sequence"
    assert task.spec.input_dim == task.tokenizers["en"].vocabulary_size()
    assert task.spec.output_dim == task.tokenizers["es"].vocabulary_size()
    assert task.tokenizers["es"].id_to_token(0) == "[PAD]"


def test_vocabularies_are_cached_and_read_back(
    task, cache_dir, data_dir, monkeypatch
):
    files = sorted(p.name for p in cache_dir.iterdir())
    assert files == [
        "vocabulary-en-1000-split0.txt",
        "vocabulary-es-1000-split0.txt",
    ]

    def no_training(*args, **kwargs):
        raise AssertionError("the vocabulary should come from the cache")

    monkeypatch.setattr(
        spa_eng.keras_hub.tokenizers,
        "compute_word_piece_vocabulary",
        no_training,
    )
    again = tasks.get(
        "spa_eng",
        data_dir=str(data_dir),
        cache_dir=str(cache_dir),
        vocabulary_size=1000,
    )
    assert again.spec == task.spec


def test_batches_hold_source_shifted_target_and_padding_mask(task):
    inputs, targets, mask = next(iter(task.dataset("train", 6)))
    source, decoder = inputs["encoder_inputs"].numpy(), inputs["decoder_inputs"]
    decoder, targets, mask = decoder.numpy(), targets.numpy(), mask.numpy()
    assert source.shape == decoder.shape == targets.shape == (6, 8)
    assert np.all(decoder[:, 0] == spa_eng.START)
    np.testing.assert_array_equal(
        decoder[:, 1:][targets[:, :-1] != 0],
        (targets[:, :-1][targets[:, :-1] != 0]),
    )
    np.testing.assert_array_equal(mask, (targets != 0).astype("float32"))
    for row in targets:
        real = row[row != 0]
        assert real[-1] == spa_eng.END or len(real) == 8


def test_decode_target_gives_back_the_lowercased_spanish(cache_dir, data_dir):
    task = tasks.get(
        "spa_eng",
        data_dir=str(data_dir),
        cache_dir=str(cache_dir),
        sequence_length=64,
        vocabulary_size=1000,
    )
    inputs, targets, _ = next(iter(task.dataset("validation", 5)))
    decoded = task.decode_target(targets.numpy())
    references = [pair[1] for pair in task.pairs["validation"]]
    for text, reference in zip(decoded, references):
        words = reference.lower().replace(".", " .").replace("?", " ?")
        assert text.replace(" ", "") == words.replace(" ", "")


def test_held_out_batches_are_fixed_and_cover_the_split(task):
    first = [b[1].numpy() for b in task.dataset("test", 2)]
    again = [b[1].numpy() for b in task.dataset("test", 2)]
    assert sum(len(b) for b in first) == 5
    for a, b in zip(first, again):
        np.testing.assert_array_equal(a, b)


def test_same_seed_same_train_batches_and_start_resumes(task):
    first = [b[1].numpy() for b in task.dataset("train", 3).take(2)]
    resumed = next(iter(task.dataset("train", 3, start=1)))[1].numpy()
    np.testing.assert_array_equal(resumed, first[1])


def test_attention_example_has_no_padding_and_token_labels(task):
    inputs, labels = task.attention_example()
    assert inputs["encoder_inputs"].shape == (1, len(labels["source"]))
    assert inputs["decoder_inputs"].shape == (1, len(labels["target"]))
    assert labels["target"][0] == "[START]"
    assert "[PAD]" not in labels["source"]


def test_render_lists_the_four_rows(task):
    inputs, targets, mask = next(iter(task.dataset("train", 1)))
    example = ({k: v[0] for k, v in inputs.items()}, targets[0], mask[0])
    rows = [line.split()[0] for line in task.render(example).splitlines()]
    assert rows == ["encoder_inputs", "decoder_inputs", "target", "mask"]


def test_encode_source_rejects_a_bare_string(task):
    with pytest.raises(TypeError, match="`sentences`"):
        task.encode_source("Hello.")


def test_missing_file_error_says_which_file_and_where_to_get_it(tmp_path):
    with pytest.raises(data_directory.MissingDataError) as error:
        tasks.get("spa_eng", data_dir=str(tmp_path))
    message = str(error.value)
    assert "spa-eng/spa.txt" in message and "spa-eng.zip" in message


def test_malformed_line_raises_with_its_number(tmp_path):
    path = tmp_path / "spa.txt"
    path.write_text("Go.\tVe.\nno tab here\n")
    with pytest.raises(ValueError, match="line 2"):
        spa_eng.read_pairs(path)


def test_real_data_gives_the_readme_line_count(shared_data):
    path = shared_data / "spa_eng" / "spa-eng" / "spa.txt"
    if not path.exists():
        pytest.skip(f"{path} is missing")
    pairs = spa_eng.read_pairs(path)
    assert len(pairs) == 118964
    sizes = [len(v) for v in spa_eng.split_pairs(pairs, 0).values()]
    assert sizes == [95171, 11896, 11897]


def test_read_only_data_folder_caches_vocabularies_elsewhere(
    tmp_path, monkeypatch
):
    folder = tmp_path / "data" / "spa_eng" / "spa-eng"
    folder.mkdir(parents=True)
    (folder / "spa.txt").write_text(SPA_ENG_PAIRS.read_text())
    folder.parent.chmod(0o555)
    fallback = tmp_path / "fallback"
    monkeypatch.setattr(spa_eng, "FALLBACK_CACHE_DIR", str(fallback))
    try:
        task = tasks.get(
            "spa_eng", data_dir=str(tmp_path / "data"), vocabulary_size=1000
        )
    finally:
        folder.parent.chmod(0o755)
    assert task.cache_dir == str(fallback)
    assert len(list(fallback.iterdir())) == 2
    assert sorted(p.name for p in folder.parent.iterdir()) == ["spa-eng"]


def test_writable_data_folder_holds_the_vocabularies(tmp_path):
    folder = tmp_path / "spa_eng" / "spa-eng"
    folder.mkdir(parents=True)
    (folder / "spa.txt").write_text(SPA_ENG_PAIRS.read_text())
    task = tasks.get("spa_eng", data_dir=str(tmp_path), vocabulary_size=1000)
    assert task.cache_dir == str(tmp_path / "spa_eng")
    assert (tmp_path / "spa_eng" / "vocabulary-es-1000-split0.txt").exists()
