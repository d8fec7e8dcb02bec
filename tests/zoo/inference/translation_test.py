"""Greedy and beam-search translation, and BLEU."""

import pytest

import zoo
from zoo.inference import translation


@pytest.fixture
def task(spa_eng_fixture):
    return spa_eng_fixture


@pytest.mark.parametrize("beam_width", [1, 3])
def test_translate_gives_one_string_per_sentence(task, beam_width):
    model = zoo.get("transformer_tiny", task=task)
    sentences = ["I see.", "Where is the bank?", "Good night."]
    translated = translation.translate(
        model, task, sentences, beam_width=beam_width, batch_size=2
    )
    assert len(translated) == 3
    assert all(isinstance(text, str) for text in translated)
    assert all(len(text.split()) <= task.sequence_length for text in translated)


def test_translate_accepts_one_sentence_and_none(task):
    model = zoo.get("transformer_tiny", task=task)
    assert len(translation.translate(model, task, "Hello.")) == 1
    assert translation.translate(model, task, []) == []


def test_bleu_is_one_for_identical_text_and_lower_otherwise():
    references = ["El gato es negro.", "Tengo dos libros."]
    assert translation.bleu(
        references, ["el gato es negro .", "tengo dos libros ."]
    ) == (pytest.approx(1.0))
    partial = translation.bleu(
        ["Los niños juegan en el parque todas las tardes."],
        ["los niños juegan en el parque todas las mañanas ."],
    )
    assert 0.0 < partial < 1.0


def test_evaluate_bleu_returns_rows_for_the_split(task):
    model = zoo.get("transformer_tiny", task=task)
    score, rows = translation.evaluate_bleu(model, task, "validation", limit=3)
    assert 0.0 <= score <= 1.0
    assert len(rows) == 3
    assert rows[0]["english"] == task.pairs["validation"][0][0]


def test_mismatched_references_raise():
    with pytest.raises(ValueError, match="`translations`"):
        translation.bleu(["a"], ["a", "b"])


def test_bad_beam_width_raises():
    with pytest.raises(ValueError, match="`beam_width`"):
        translation.make_sampler(0)
