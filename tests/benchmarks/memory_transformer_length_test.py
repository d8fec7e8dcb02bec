"""Experiment 5: length generalisation on copy, its checks and a run."""

import json

import keras
import numpy as np
import pytest

import tasks
import zoo
from testing import load_benchmark

length = load_benchmark("memory_transformer_length")

# Sizes that build and train in seconds; no XLA.
TINY = [
    "--model-dim", "8", "--num-heads", "2", "--feed-forward-dim", "8",
    "--baseline-feed-forward-dim", "8", "--word-size", "4",
    "--num-bits", "2", "--max-length", "2", "--test-lengths", "4,3",
    "--memory-size", "4", "--ntm-memory-size", "4", "--window", "2",
    "--batch-size", "2", "--eval-size", "4", "--jit-compile", "eager",
]  # fmt: skip


@pytest.mark.parametrize("text", ["8,16", "4", "16,x", ""])
def test_test_lengths_must_exceed_the_training_lengths(text):
    with pytest.raises(ValueError, match="`--test-lengths`.*--max-length 8"):
        length.check_lengths(text, 8)


def test_test_lengths_are_sorted_without_repeats():
    assert length.check_lengths("48,16,24,16", 8) == [16, 24, 48]


def test_a_memory_smaller_than_the_longest_test_is_refused():
    with pytest.raises(ValueError, match="`--memory-size`: received 32.*48"):
        length.parse_arguments(["--out", "x", "--memory-size", "32"])
    with pytest.raises(ValueError, match="`--ntm-memory-size`: received 40"):
        length.parse_arguments(["--out", "x", "--ntm-memory-size", "40"])
    # Without a model that has it, the option is not checked.
    args = length.parse_arguments(
        ["--out", "x", "--models", "transformer_lm", "--memory-size", "1"]
    )
    assert args.model_names == ["transformer_lm"]
    with pytest.raises(ValueError, match="`--models`.*'segment_transformer'"):
        length.parse_arguments(
            ["--out", "x", "--models", "segment_transformer"]
        )


def test_evaluate_lengths_counts_wrong_bits_per_sequence():
    keras.utils.set_random_seed(0)
    task = tasks.get(
        "copy",
        num_bits=3,
        max_length=2,
        generalisation_lengths=(3, 5),
        eval_size=6,
    )
    model = zoo.build(
        "transformer_lm_tiny",
        task,
        model_overrides={"dropout": 0.0},
        compile_overrides={"jit_compile": False},
    )
    errors = length.evaluate_lengths(model, task, [3, 5], batch_size=4)
    assert sorted(errors) == [3, 5]
    for size, value in errors.items():
        wrong, sequences = 0.0, 0
        for inputs, targets, mask in task.dataset(f"length_{size}", 4):
            assert inputs.shape[1] == 2 * size + 1
            predicted = np.asarray(model(inputs)) > 0.5
            different = predicted != (np.asarray(targets) > 0.5)
            wrong += float((different * np.asarray(mask)[..., None]).sum())
            sequences += inputs.shape[0]
        assert sequences == 6
        assert value == pytest.approx(wrong / sequences, abs=1e-5)


def test_a_two_step_run_writes_the_length_table_and_plot(tmp_path, capsys):
    out, plot = tmp_path / "length.json", tmp_path / "length.png"
    saved = tmp_path / "models"
    length.main(
        [*TINY, "--models", "ntm_transformer,transformer_lm"]
        + ["--seeds", "0", "--steps", "2", "--eval-every", "2"]
        + ["--out", str(out), "--plot", str(plot), "--save-dir", str(saved)]
    )
    report = json.loads(out.read_text())
    assert [r["model"] for r in report["results"]] == [
        "ntm_transformer",
        "transformer_lm",
    ]
    for result in report["results"]:
        errors = result["length_bit_errors_per_sequence"]
        assert list(errors) == ["2", "3", "4"]  # training length first
        # At most every recalled bit wrong: L vectors of 2 bits.
        assert all(0.0 <= errors[n] <= 2 * int(n) for n in errors)
        assert [p["step"] for p in result["curve"]] == [2]
        reloaded = keras.models.load_model(
            saved / f"{result['model']}-seed0.keras"
        )
        assert reloaded.count_params() == result["parameters"]
    assert "| ntm_transformer | 0 |" in report["table"]
    assert report["table"] in capsys.readouterr().out
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
