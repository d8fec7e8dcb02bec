"""Experiment 3: Tiny Shakespeare, memory against context, on a tiny text."""

import json

import keras
import numpy as np
import pytest

from tasks.language import tiny_shakespeare
from testing import REPOSITORY, load_benchmark

shakespeare = load_benchmark("memory_transformer_shakespeare")

# Windows of 4, 8 and 8 characters (2 segments of 4), 16 characters per
# step (batches of 4, 2 and 2), models that build and train in seconds.
TINY = [
    "--segment-length", "4", "--long-context", "8", "--memory-window", "8",
    "--characters-per-step", "16", "--eval-characters", "32",
    "--num-layers", "1", "--model-dim", "8", "--num-heads", "2",
    "--feed-forward-dim", "8", "--baseline-feed-forward-dim", "20",
    "--memory-size", "4", "--word-size", "4", "--jit-compile", "eager",
    "--timing-warmup", "1", "--timing-steps", "1", "--timing-rounds", "1",
]  # fmt: skip


@pytest.fixture
def tiny_text(tmp_path, monkeypatch):
    """A small play in a temporary file, split 90/5/5 like TFDS does."""
    path = tmp_path / "play.txt"
    play = (REPOSITORY / "tests" / "data" / "tiny_play.txt").read_text()
    path.write_text(play * 4)

    def load_texts(*_):
        text = path.read_text()
        first, second = int(0.9 * len(text)), int(0.95 * len(text))
        return {
            "train": text[:first],
            "validation": text[first:second],
            "test": text[second:],
        }

    monkeypatch.setattr(tiny_shakespeare, "load_texts", load_texts)
    return load_texts()


def test_parse_arguments_refuses_bad_options():
    with pytest.raises(ValueError, match="`--memory-window`: received 100"):
        shakespeare.parse_arguments(["--out", "x", "--memory-window", "100"])
    with pytest.raises(ValueError, match="`--characters-per-step`.*1000"):
        shakespeare.parse_arguments(
            ["--out", "x", "--characters-per-step", "1000"]
        )
    with pytest.raises(ValueError, match="`--eval-characters`"):
        shakespeare.parse_arguments(["--out", "x", "--eval-characters", "96"])
    with pytest.raises(ValueError, match="`--models`"):
        shakespeare.parse_arguments(["--out", "x", "--models", "ntm"])


def test_batches_hold_the_same_characters_per_step():
    args = shakespeare.parse_arguments(["--out", "x"])
    sizes = {
        name: (
            shakespeare.batch_size_of(name, args),
            shakespeare.window_of(name, args),
        )
        for name in shakespeare.MODELS
    }
    assert sizes == {
        "transformer_lm_short": (64, 32),
        "transformer_lm_long": (32, 64),
        "ntm_transformer": (8, 256),
        "transformer_lm_segments": (64, 32),
    }


def test_segmented_batches_are_the_memory_models_windows_cut(tiny_text):
    args = shakespeare.parse_arguments([*TINY, "--out", "x"])

    def batches(name):
        task = shakespeare.make_task(name, 3, args)
        return shakespeare.training_batches(name, task, 3, args)

    memory = batches("ntm_transformer")
    segmented = batches("transformer_lm_segments")
    for _ in range(3):
        whole, cut = next(memory), next(segmented)
        assert len(whole) == len(cut) == 3  # inputs, targets, mask
        for array, pieces in zip(whole, cut):
            array = np.asarray(array)  # (2, 8): 2 windows of 2 segments
            assert pieces.shape == (4, 4)
            # Window 0's segments, then window 1's, in order.
            np.testing.assert_array_equal(pieces[0], array[0, :4])
            np.testing.assert_array_equal(pieces[1], array[0, 4:])
            np.testing.assert_array_equal(pieces[3], array[1, 4:])


def test_the_default_sizes_match_parameters_within_one_percent(tiny_text):
    args = shakespeare.parse_arguments(["--out", "x"])
    counts = shakespeare.parameter_counts(args)
    # The long window adds no weights: the positions are sinusoidal.
    assert counts["transformer_lm_short"] == counts["transformer_lm_long"]
    ratio = counts["transformer_lm_short"] / counts["ntm_transformer"]
    assert abs(ratio - 1.0) < 0.01, counts
    shakespeare.check_parameter_counts(counts)
    with pytest.raises(ValueError, match="baseline-feed-forward-dim"):
        shakespeare.check_parameter_counts(
            {"transformer_lm_short": 89, "ntm_transformer": 100}
        )


def test_zero_init_read_reaches_the_memory_models_only(tiny_text):
    for flags, closed in (([], False), (["--zero-init-read"], True)):
        args = shakespeare.parse_arguments([*TINY, *flags, "--out", "x"])
        for name in ("ntm_transformer", "transformer_lm_short"):
            task = shakespeare.make_task(name, 0, args)
            model, config = shakespeare.build_model(name, task, args)
            memory_model = name == "ntm_transformer"
            closed_here = closed and memory_model
            assert config.get("zero_init_read", False) is closed_here
            if memory_model:
                block = model.get_layer("memory_transformer").blocks[0]
                kernel = keras.ops.convert_to_numpy(block.read_output.kernel)
                assert bool(np.abs(kernel).max() == 0.0) is closed


def test_loss_by_position_is_the_cross_entropy_at_each_position():
    model = keras.Sequential(
        [keras.Input((5,), dtype="int32"), keras.layers.Embedding(7, 7)]
    )
    inputs = np.arange(15).reshape(3, 5) % 7
    targets = (inputs * 3 + 1) % 7
    positions = shakespeare.loss_by_position(model, inputs, targets)
    logits = model.predict(inputs, verbose=0)
    expected = np.zeros(5)
    for window in range(3):
        for step in range(5):
            row = logits[window, step].astype(np.float64)
            log_sum = np.log(np.sum(np.exp(row)))
            expected[step] += (log_sum - row[targets[window, step]]) / 3
    np.testing.assert_allclose(positions, expected, rtol=1e-6)
    keras_loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    np.testing.assert_allclose(
        positions.mean(), float(keras_loss(targets, logits)), rtol=1e-5
    )


def _fake_result(model, seed, losses, positions):
    return {
        "model": model,
        "seed": seed,
        "window": len(positions),
        "batch_size": 64 // len(positions),
        "parameters": 1000,
        "final_validation_loss": losses[-1],
        "loss_by_position": positions,
        "curve": [
            {"step": step, "validation_loss": loss}
            for step, loss in zip((0, 10, 20), losses)
        ],
    }


def test_the_report_numbers_from_a_fake_history():
    memory_positions = [3.0] * 4 + [2.0] * 4
    results = [
        _fake_result("transformer_lm_short", 0, [4.0, 3.0, 2.5], [3.0] * 4),
        _fake_result("ntm_transformer", 0, [4.0, 2.8, 2.0], memory_positions),
        _fake_result("transformer_lm_short", 1, [4.0, 3.2, 2.6], [2.0] * 4),
    ]  # fmt: skip
    timing = {
        "transformer_lm_short": {"median_step_seconds": 0.5},
        "ntm_transformer": {"median_step_seconds": 2.0},
    }
    shakespeare.add_estimated_seconds(results, timing)
    assert [p["estimated_seconds"] for p in results[1]["curve"]] == [0, 20, 40]
    table = shakespeare.summarise(results, segment_length=4)
    # Seed 0's budget: the short model's 20 steps of 0.5 s = 10 s, where the
    # memory model (20 s per 10 steps) is halfway from 4.0 to 2.8.
    assert results[0]["equal_time_seconds"] == 10.0
    assert results[0]["validation_loss_at_equal_time"] == 2.5
    assert results[1]["validation_loss_at_equal_time"] == pytest.approx(3.4)
    assert results[2]["equal_time_seconds"] == 10.0  # its own seed
    assert results[1]["loss_by_segment"] == [3.0, 2.0]
    assert "| ntm_transformer | 0 | 8 | 8 | 1,000 | 2.0000 | 2.0000 " in table
    assert "| 3.4000 (10) | 3.0000 | 2.0000 |" in table
    assert "| transformer_lm_short | 1 |" in table and "| 2.0000 | - |" in table


def test_a_two_step_run_writes_curves_a_table_and_a_plot(
    tiny_text, tmp_path, capsys
):
    out, plot = tmp_path / "shakespeare.json", tmp_path / "shakespeare.png"
    shakespeare.main(
        [*TINY, "--seeds", "2", "--steps", "2", "--eval-every", "1"]
        + ["--out", str(out), "--plot", str(plot)]
    )
    report = json.loads(out.read_text())
    assert report["commit"] and report["characters_per_step"] == 16
    assert set(report["step_seconds"]) == set(shakespeare.MODELS)
    assert [r["model"] for r in report["results"]] == list(shakespeare.MODELS)
    vocabulary = len(set(tiny_text["train"]))
    for result in report["results"]:
        assert result["seed"] == 2
        assert result["batch_size"] * result["window"] == 16
        assert len(result["loss_by_position"]) == result["window"]
        curve = result["curve"]
        assert [p["step"] for p in curve] == [0, 1, 2]
        # Untrained: close to a uniform guess over the vocabulary.
        assert abs(curve[0]["validation_loss"] - np.log(vocabulary)) < 1.0
        assert result["final_validation_loss"] == curve[-1]["validation_loss"]
        assert np.mean(result["loss_by_position"]) == pytest.approx(
            curve[-1]["validation_loss"], rel=1e-4
        )
        step_seconds = report["step_seconds"][result["model"]]
        assert curve[-1]["estimated_seconds"] == pytest.approx(
            2 * step_seconds["median_step_seconds"], abs=0.01
        )
    assert len(report["results"][2]["loss_by_segment"]) == 2
    # The segmented model trains on the memory model's text, 4 characters
    # at a time, and is scored on windows of 4.
    assert report["results"][3]["window"] == 4
    assert report["table"] in capsys.readouterr().out
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
