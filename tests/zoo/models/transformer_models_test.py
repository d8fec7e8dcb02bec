"""The transformer and transformer_lm families beyond the generic zoo tests."""

import keras
import keras_hub
import numpy as np
import pytest

import tasks
import zoo
from ntm_keras import losses, schedules
from zoo.models import transformer, transformer_lm


@pytest.fixture
def spa_eng(spa_eng_fixture):
    return spa_eng_fixture


def _copy_task():
    return tasks.get("copy", max_length=4, eval_size=32)


def _later_steps_change_earlier_outputs(model, inputs, position):
    changed = inputs.copy()
    changed[:, position:] = (
        1 - changed[:, position:]
        if inputs.ndim == 3
        else ((changed[:, position:] + 1) % 5)
    )
    before = model.predict(inputs, verbose=0)[:, :position]
    after = model.predict(changed, verbose=0)[:, :position]
    return not np.allclose(before, after, atol=1e-6)


@pytest.mark.parametrize("name", ["transformer_lm_tiny", "transformer_tiny"])
def test_outputs_on_bit_tasks_depend_only_on_earlier_inputs(name):
    task = _copy_task()
    model = zoo.get(name, task=task)
    inputs = next(iter(task.dataset("test", 4)))[0].numpy()
    assert not _later_steps_change_earlier_outputs(model, inputs, 4)


@pytest.mark.parametrize("name", ["transformer_lm_tiny", "transformer_tiny"])
def test_outputs_on_token_sequences_depend_only_on_earlier_inputs(name):
    model = (
        zoo.get(name, input_dim=5, output_dim=5, structure="sequence")
        if (name == "transformer_tiny")
        else zoo.get(name, input_dim=5, output_dim=5)
    )
    inputs = np.random.default_rng(0).integers(0, 5, size=(2, 9))
    assert not _later_steps_change_earlier_outputs(model, inputs, 5)


def test_lm_default_size_is_the_tiny_shakespeare_model():
    model = zoo.get("transformer_lm")
    assert 750_000 < model.count_params() < 850_000
    assert len([n for n in model.layers if "decoder_block" in n.name]) == 4


def test_base_transformer_has_the_paper_sizes():
    spec = zoo.describe("transformer")
    assert {
        key: spec.defaults[key]
        for key in (
            "model_dim",
            "num_heads",
            "num_encoder_layers",
            "num_decoder_layers",
            "feed_forward_dim",
            "dropout",
            "norm_first",
        )
    } == {
        "model_dim": 512,
        "num_heads": 8,
        "num_encoder_layers": 6,
        "num_decoder_layers": 6,
        "feed_forward_dim": 2048,
        "dropout": 0.1,
        "norm_first": False,
    }


def test_translation_model_has_two_inputs_and_ignores_source_padding(spa_eng):
    model = zoo.get("transformer_tiny", task=spa_eng)
    assert sorted(model.input) == ["decoder_inputs", "encoder_inputs"]
    inputs, _, _ = next(iter(spa_eng.dataset("validation", 4)))
    inputs = {key: value.numpy() for key, value in inputs.items()}
    longer = dict(inputs)
    longer["encoder_inputs"] = np.pad(
        inputs["encoder_inputs"], ((0, 0), (0, 5))
    )
    np.testing.assert_allclose(
        model.predict(inputs, verbose=0),
        model.predict(longer, verbose=0),
        atol=1e-5,
    )


def test_translation_model_trains_saves_and_reloads(spa_eng, tmp_path):
    model = zoo.get("transformer_tiny", task=spa_eng)
    assert isinstance(model.loss, losses.LabelSmoothedCrossEntropy)
    assert model.loss.label_smoothing == 0.1
    # Eagerly: tracing the step costs more than the step checks.
    model.run_eagerly = True
    history = model.fit(
        spa_eng.dataset("train", 8), steps_per_epoch=2, verbose=0
    )
    assert np.isfinite(history.history["loss"][-1])
    inputs = next(iter(spa_eng.dataset("validation", 4)))[0]
    path = tmp_path / "translation.keras"
    model.save(path)
    loaded = keras.models.load_model(path, safe_mode=True)
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(loaded(inputs)),
        keras.ops.convert_to_numpy(model(inputs)),
        atol=1e-6,
    )


def test_compile_defaults_give_the_warm_up_schedule():
    task = _copy_task()
    model = zoo.get("transformer_lm_tiny", task=task)
    schedule = model.optimizer._learning_rate
    assert isinstance(schedule, schedules.InverseSquareRootSchedule)
    assert schedule.peak_learning_rate() == pytest.approx(3e-3)
    base = zoo.describe("transformer").compile_options({"model_dim": 512})
    assert base == {
        "learning_rate": None,
        "warmup_steps": 4000,
        "model_dim": 512,
        "label_smoothing": 0.1,
    }


@pytest.mark.parametrize(
    ("name", "jit_compile"),
    [
        ("transformer_lm", True),
        ("transformer_lm_tiny", None),
        ("ntm_transformer", None),
        ("transformer", None),
    ],
)
def test_only_the_full_language_model_asks_for_xla(name, jit_compile):
    # XLA was faster for transformer_lm at nanoGPT's configuration; the
    # memory Transformers do not compile within minutes, and the tiny sizes
    # would spend their short runs compiling.
    options = zoo.describe(name).compile_options(zoo.resolve_config(name))
    assert options.get("jit_compile") is jit_compile


def test_language_model_compiles_with_xla_by_default():
    task = _copy_task()
    model = zoo.get("transformer_lm", task=task, num_layers=1)
    assert model.jit_compile is True
    assert zoo.get("transformer_lm_tiny", task=task).jit_compile is False


def test_bit_tasks_are_not_label_smoothed():
    # The transformer family asks for label smoothing 0.1; bit tasks ignore it.
    model = zoo.get("transformer_tiny", task=_copy_task())
    assert isinstance(model.loss, losses.SequenceBinaryCrossentropy)


def test_tied_embeddings_share_one_matrix():
    tied = zoo.get("transformer_lm_tiny", input_dim=7, output_dim=7)
    untied = zoo.get(
        "transformer_lm_tiny", input_dim=7, output_dim=7, tie_embeddings=False
    )
    assert "outputs" not in [layer.name for layer in tied.layers]
    assert untied.count_params() - tied.count_params() == 7 * 32 + 7


def test_attention_scores_cover_every_attention_layer(spa_eng):
    model = zoo.get("transformer_tiny", task=spa_eng)
    inputs, _ = spa_eng.attention_example()
    scores = transformer.attention_scores(model, inputs)
    source = inputs["encoder_inputs"].shape[1]
    target = inputs["decoder_inputs"].shape[1]
    assert {key: value.shape for key, value in scores.items()} == {
        "encoder_block_0/self_attention": (1, 2, source, source),
        "decoder_block_0/self_attention": (1, 2, target, target),
        "decoder_block_0/cross_attention": (1, 2, target, source),
    }
    for value in scores.values():
        np.testing.assert_allclose(value.sum(-1), 1.0, atol=1e-5)
    lm = zoo.get("transformer_lm_tiny", input_dim=5, output_dim=5)
    lm_scores = transformer_lm.attention_scores(lm, np.zeros((1, 6), "int32"))
    assert list(lm_scores) == ["decoder_block_0/self_attention"]
    assert np.all(np.triu(lm_scores["decoder_block_0/self_attention"], 1) == 0)


@pytest.mark.parametrize(
    "name, overrides, message",
    [
        (
            "transformer_lm_tiny",
            {"model_dim": 31, "num_heads": 1},
            "`model_dim`",
        ),
        ("transformer_lm_tiny", {"num_heads": 3}, "`num_heads`"),
        ("transformer_lm_tiny", {"num_layers": 0}, "`num_layers`"),
        ("transformer_lm_tiny", {"input_dim": 5, "output_dim": 6}, "tie_embed"),
        ("transformer_tiny", {"modality": "bits"}, "`modality`"),
        ("transformer_tiny", {"structure": "tree"}, "`structure`"),
        ("transformer_tiny", {"num_decoder_layers": 0}, "`num_decoder_"),
        (
            "transformer_tiny",
            {"structure": "sequence", "input_dim": 5, "output_dim": 6},
            "`tie_embeddings`: received True with input_dim=5 and output_d",
        ),
        ("ntm_transformer_tiny", {"num_layers": 0}, "`num_layers`"),
        ("ntm_transformer_tiny", {"num_heads": 3}, "`num_heads`"),
        ("ntm_transformer_tiny", {"input_dim": 5, "output_dim": 6}, "tie_e"),
    ],
)
def test_bad_model_arguments_raise_naming_them(name, overrides, message):
    with pytest.raises(ValueError, match=message):
        zoo.get(name, **overrides)


def test_translation_ties_the_decoder_embedding_whatever_the_source():
    # The decoder's embedding reads the output vocabulary, so unequal
    # source and target vocabularies still tie.
    model = zoo.get("transformer_tiny", input_dim=5, output_dim=6)
    names = [layer.name for layer in model.layers]
    assert "decoder_embedding" in names
    assert "outputs" not in names


def test_models_without_structure_refuse_translation(spa_eng):
    with pytest.raises(ValueError, match=r"spa_eng.*\['structure'\]"):
        zoo.get("transformer_lm_tiny", task=spa_eng)
    with pytest.raises(ValueError, match="structure"):
        zoo.get("lstm_tiny", task=spa_eng)


def test_transformer_lm_tiny_learns_a_periodic_text(monkeypatch):
    from tasks.language import tiny_shakespeare
    from zoo.inference import generation

    text = "the cat sat. " * 40
    monkeypatch.setattr(
        tiny_shakespeare,
        "load_texts",
        lambda *_: {"train": text, "validation": text, "test": text},
    )
    task = tasks.get("tiny_shakespeare", context_length=16, seed=1)
    model = zoo.get("transformer_lm_tiny", task=task, dropout=0.0)
    model.fit(task.dataset("train", 16), steps_per_epoch=150, verbose=0)
    result = model.evaluate(
        task.dataset("test", 16), return_dict=True, verbose=0
    )
    assert result["loss"] < 0.1
    sample = generation.generate(
        model, task, "the c", 20, keras_hub.samplers.GreedySampler()
    )
    assert sample == text[:25]
