"""The ntm_transformer family beyond the generic zoo tests."""

import keras
import numpy as np
import pytest

import tasks
import zoo
from zoo.models import ntm_transformer


def test_default_model_builds_and_runs_without_arguments():
    model = zoo.get("ntm_transformer")
    assert model.name == "ntm_transformer" and not model.compiled
    lm_parameters = zoo.get("transformer_lm").count_params()
    # The memory adds about a tenth to a transformer_lm of the same width.
    assert 1.0 < model.count_params() / lm_parameters < 1.15
    ids = np.random.default_rng(0).integers(1, 65, size=(1, 40))
    logits = keras.ops.convert_to_numpy(model(ids))
    assert logits.shape == (1, 40, 65) and np.all(np.isfinite(logits))


def test_sized_for_copy_gives_bit_probabilities():
    task = tasks.get("copy", num_bits=5, max_length=6, eval_size=8)
    model = zoo.get("ntm_transformer_tiny", task=task)
    assert model.compiled
    assert model.inputs[0].shape[-1] == 6 and model.outputs[0].shape[-1] == 5
    inputs = next(iter(task.dataset("validation", 2)))[0]
    outputs = model.predict(inputs, verbose=0)
    assert np.all((outputs >= 0) & (outputs <= 1))


def test_sized_for_a_token_task_trains_one_step(monkeypatch):
    from tasks.language import tiny_shakespeare

    text = "to be or not to be. " * 20
    monkeypatch.setattr(
        tiny_shakespeare,
        "load_texts",
        lambda *_: {"train": text, "validation": text, "test": text},
    )
    task = tasks.get("tiny_shakespeare", context_length=20)
    model = zoo.get("ntm_transformer_tiny", task=task)
    assert model.outputs[0].shape[-1] == task.spec.output_dim
    before = [w.copy() for w in model.get_weights()]
    # Eagerly: tracing the step costs more than the step checks.
    model.run_eagerly = True
    history = model.fit(
        task.dataset("train", 4), steps_per_epoch=1, epochs=1, verbose=0
    )
    assert np.isfinite(history.history["loss"][0])
    after = model.get_weights()
    assert any(not np.allclose(a, b) for a, b in zip(before, after))


def test_streaming_ten_times_the_training_length_matches_one_call():
    keras.utils.set_random_seed(0)
    model = zoo.get("ntm_transformer_tiny", input_dim=7, output_dim=7)
    training_length = 16  # two segments of 8
    ids = np.random.default_rng(1).integers(
        1, 7, size=(2, 10 * training_length)
    )
    streamed, memories = ntm_transformer.stream(model, ids, training_length)
    one_shot = model.predict(ids, verbose=0)
    np.testing.assert_allclose(streamed, one_shot, atol=1e-4)
    assert len(memories) == 1 and tuple(memories[0].shape) == (2, 8, 16)
    # Streaming continues from the memory: a fresh start differs.
    fresh, _ = ntm_transformer.stream(model, ids[:, -16:], training_length)
    assert not np.allclose(fresh, streamed[:, -16:], atol=1e-4)


def test_a_closed_read_makes_a_fresh_model_ignore_its_memory():
    keras.utils.set_random_seed(0)
    model = zoo.get(
        "ntm_transformer_tiny", input_dim=7, output_dim=7, zero_init_read=True
    )
    ids = np.random.default_rng(1).integers(1, 7, size=(2, 16))
    _, memories = ntm_transformer.stream(model, ids, 8)
    # Later segments read a memory the first one wrote, and gain nothing.
    continued, _ = ntm_transformer.stream(model, ids, 8, memories=memories)
    fresh, _ = ntm_transformer.stream(model, ids, 8)
    np.testing.assert_allclose(continued, fresh, atol=1e-6)
    block = model.get_layer("memory_transformer").blocks[0]
    assert block.zero_init_read


def test_dnc_transformer_streams_its_memory_and_usage():
    keras.utils.set_random_seed(0)
    model = zoo.get("dnc_transformer_tiny", input_dim=7, output_dim=7)
    ntm = zoo.get("ntm_transformer_tiny", input_dim=7, output_dim=7)
    # Per block: an allocation and a write gate per write head, a free gate
    # per read head, each from the model width (weights and biases).
    assert model.count_params() - ntm.count_params() == 3 * (32 + 1)
    ids = np.random.default_rng(1).integers(1, 7, size=(2, 48))
    streamed, memories = ntm_transformer.stream(model, ids, 16)
    np.testing.assert_allclose(
        streamed, model.predict(ids, verbose=0), atol=1e-4
    )
    memory, usage = memories[0]
    assert tuple(memory.shape) == (2, 8, 16) and tuple(usage.shape) == (2, 8)
    trace = ntm_transformer.memory_trace(model, ids[:, :16])
    assert "allocation_weights" in trace["memory_block_0"]


def test_outputs_depend_only_on_earlier_inputs_across_segments():
    model = zoo.get("ntm_transformer_tiny", input_dim=5, output_dim=5)
    ids = np.random.default_rng(0).integers(1, 5, size=(2, 20))
    changed = ids.copy()
    changed[:, 11:] = (changed[:, 11:] + 1) % 5
    before = model.predict(ids, verbose=0)
    after = model.predict(changed, verbose=0)
    np.testing.assert_allclose(before[:, :11], after[:, :11], atol=1e-6)
    assert not np.allclose(before[:, 11:], after[:, 11:])


def test_attention_scores_are_block_diagonal_over_segments():
    model = zoo.get("ntm_transformer_tiny", input_dim=5, output_dim=5)
    ids = np.random.default_rng(0).integers(1, 5, size=(1, 12))
    scores = zoo.describe("ntm_transformer_tiny").attention_scores(model, ids)
    attention = scores["memory_block_0/self_attention"]
    assert attention.shape == (1, 2, 12, 12)
    assert np.all(attention[:, :, 8:, :8] == 0)  # no look across segments
    np.testing.assert_allclose(attention.sum(axis=-1), 1.0, atol=1e-5)


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"segment_length": 0}, "segment_length"),
        ({"memory_size": 0}, "memory_size"),
        ({"word_size": -1}, "word_size"),
        ({"num_read_heads": 0}, "num_read_heads"),
    ],
)
def test_bad_sizes_raise_naming_them(overrides, message):
    with pytest.raises(ValueError, match=message):
        zoo.get("ntm_transformer_tiny", **overrides)


def test_tiny_model_learns_copy_longer_than_its_window():
    """Sequences of 4 vectors: the 9 steps span two 5-step windows, so the
    recall segment reads every vector back from the memory."""
    keras.utils.set_random_seed(0)
    task = tasks.get(
        "copy", min_length=4, max_length=4, num_bits=4, eval_size=64
    )
    model = zoo.get(
        "ntm_transformer_tiny", task=task, segment_length=5, dropout=0.0
    )
    zoo.compile_for_task(model, task, learning_rate=3e-3)
    model.fit(task.dataset("train", 32), steps_per_epoch=200, verbose=0)
    result = model.evaluate(
        task.dataset("test", 32), return_dict=True, verbose=0
    )
    assert result["bit_errors_per_sequence"] <= 0.1
