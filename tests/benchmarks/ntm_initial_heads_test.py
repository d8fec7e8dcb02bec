"""A fresh write head: one slot with the forward bias, blurred without."""

import json

import keras
import numpy as np
import pytest

import tasks
import zoo
from testing import load_benchmark

initial_heads = load_benchmark("ntm_initial_heads")


def _focus(**overrides):
    keras.utils.set_random_seed(0)
    task = tasks.get("copy", min_length=6, max_length=6, seed=0)
    model = zoo.get("ntm_tiny", task=task, **overrides)
    inputs = next(iter(task.dataset("test", 4)))[0]
    return initial_heads.write_focus(model, inputs)


def test_forward_bias_focuses_the_fresh_write_head_on_one_slot():
    plain = _focus()
    forward = _focus(write_forward_bias=3.0)
    assert len(forward["peak"]) == 13  # 6 inputs, the delimiter, 6 outputs
    # sigmoid(-3 + small) for the gate; about 0.5 without the bias.
    assert np.mean(forward["gate"]) == pytest.approx(0.047, abs=0.02)
    assert 0.3 < np.mean(plain["gate"]) < 0.7
    assert min(forward["peak"]) > 0.8
    assert np.mean(forward["effective_slots"]) < 1.5
    assert np.mean(plain["effective_slots"]) > np.mean(
        forward["effective_slots"]
    )


def test_look_alike_slots_counts_what_cosine_similarity_confuses():
    added = np.array([[[1.0, -1.0, 0.5, 0.0]]], "float32")  # (1, 1, 4)
    faint = 1e-6 + 0.01 * added[0, 0]  # a hundredth of a write
    memory = np.stack(
        [
            added[0, 0],  # the slot written
            faint,  # on a constant start: cosine 0.99, a look-alike
            -added[0, 0],  # opposite: -1
            np.array([1.0, 1.0, 0.0, 3.0]),  # orthogonal: 0
            np.full(4, 1e-6),  # never written: 0
            np.array([0.2, 0.2, 0.0, 0.2]) + 0.01 * added[0, 0],
        ]
    )[None].astype("float32")
    # The last row, a random start plus the same faint write: 0.04.
    np.testing.assert_array_equal(
        initial_heads.look_alike_slots(memory, added), [[2]]
    )


def test_main_prints_json_and_rejects_a_bad_set(capsys):
    initial_heads.main(
        [
            "--model",
            "ntm_tiny",
            "--task",
            "copy",
            "--seeds",
            "0",
            "--batch-size",
            "2",
            "--set",
            "write_forward_bias=2",
        ]
    )
    report = json.loads(capsys.readouterr().out)
    assert report["overrides"] == {"write_forward_bias": "2"}
    assert set(report["results"][0]["mean"]) == {
        "peak",
        "effective_slots",
        "gate",
        "look_alike_slots",
    }
    with pytest.raises(SystemExit, match="write_forward_bias"):
        initial_heads.main(
            [
                "--model",
                "ntm_tiny",
                "--task",
                "copy",
                "--set",
                "write_forward_bias=nan",
            ]
        )
