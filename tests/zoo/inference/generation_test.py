"""Sampling text from a language model with keras-hub samplers."""

import keras_hub
import pytest

import tasks
import zoo
from tasks.language import tiny_shakespeare
from zoo.inference import generation

TEXT = "abcab cabca bcabc abcab cabca bcabc " * 4


@pytest.fixture
def task(monkeypatch):
    monkeypatch.setattr(
        tiny_shakespeare,
        "load_texts",
        lambda *_: {"train": TEXT, "validation": TEXT, "test": TEXT},
    )
    return tasks.get("tiny_shakespeare", context_length=8)


def test_generate_continues_the_prompt_beyond_the_context(task):
    model = zoo.get("transformer_lm_tiny", task=task)
    text = generation.generate(
        model, task, "ab", 20, generation.make_sampler(seed=1)
    )
    assert text.startswith("ab") and len(text) == 22
    assert set(text) <= set(task.vocabulary)


def test_greedy_sampling_is_deterministic(task):
    model = zoo.get("transformer_lm_tiny", task=task)
    greedy = keras_hub.samplers.GreedySampler()
    first = generation.generate(model, task, "abc", 12, greedy)
    assert first == generation.generate(model, task, "abc", 12, greedy)


def test_samplers_follow_the_options():
    assert isinstance(
        generation.make_sampler(), keras_hub.samplers.RandomSampler
    )
    top_k = generation.make_sampler(temperature=0.5, top_k=3)
    assert isinstance(top_k, keras_hub.samplers.TopKSampler)
    assert top_k.k == 3 and top_k.temperature == 0.5


@pytest.mark.parametrize(
    "prompt, length, message",
    [
        ("ab@c", 5, r"`prompt`.*\['@'\]"),
        ("", 5, "`prompt`"),
        ("ab", 0, "`length`"),
    ],
)
def test_bad_prompts_and_lengths_raise_naming_them(
    task, prompt, length, message
):
    model = zoo.get("transformer_lm_tiny", task=task)
    with pytest.raises(ValueError, match=message):
        generation.generate(model, task, prompt, length)


@pytest.mark.parametrize(
    "arguments, message",
    [({"temperature": 0.0}, "`temperature`"), ({"top_k": 0}, "`top_k`")],
)
def test_bad_sampler_options_raise(arguments, message):
    with pytest.raises(ValueError, match=message):
        generation.make_sampler(**arguments)


def test_a_character_vocabulary_samples_like_its_task(task):
    """A preset's vocabulary stands in for the task: same ids, same text."""
    vocabulary = generation.CharacterVocabulary(task.vocabulary, 8)
    assert vocabulary.encode("cab ").tolist() == task.encode("cab ").tolist()
    model = zoo.get("transformer_lm_tiny", task=task)
    greedy = keras_hub.samplers.GreedySampler()
    assert generation.generate(
        model, vocabulary, "abc", 12, greedy
    ) == generation.generate(model, task, "abc", 12, greedy)
    with pytest.raises(ValueError, match=r"`prompt`.*\['z'\]"):
        generation.generate(model, vocabulary, "az", 3)


def test_a_kept_sampling_function_gives_the_same_text(task):
    model = zoo.get("transformer_lm_tiny", task=task)
    greedy = keras_hub.samplers.GreedySampler()
    function = generation.sampling_function(model, 8, 2, greedy)
    first = generation.generate(model, task, "ab", 10, greedy, function)
    assert first == generation.generate(model, task, "ab", 10, greedy)
    assert first == generation.generate(model, task, "ab", 10, greedy, function)


def test_presets_without_a_vocabulary_cannot_sample():
    with pytest.raises(ValueError, match="carries no vocabulary"):
        generation.preset_vocabulary("ntm", "copy")
    with pytest.raises(ValueError, match="Unknown preset"):
        generation.sample_preset("transformer_lm", "no_such_preset", "a", 3)
