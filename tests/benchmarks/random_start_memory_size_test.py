"""The recall preset at other memory sizes: the pinned bound, the focus."""

import json
import math

import keras
import numpy as np
import pytest

import tasks
import zoo
from ntm_keras.memory import memory_start
from testing import load_benchmark

memory_size_benchmark = load_benchmark("random_start_memory_size")
plot_read_focus = load_benchmark("plot_read_focus")


def _draw(memory_size, word_size=20):
    generator = keras.random.SeedGenerator(0)
    return keras.ops.convert_to_numpy(
        memory_start.random_memory(
            4, memory_size, word_size, generator, "float32"
        )
    )


def test_pinned_bound_draws_with_the_training_size_and_then_restores():
    of_512 = 1 / math.sqrt(512 + 20)
    of_128 = 1 / math.sqrt(128 + 20)
    assert np.max(np.abs(_draw(512))) <= of_512
    with memory_size_benchmark.pinned_bound(128):
        pinned = _draw(512)
    # 40,960 uniform draws in +-0.082 reach past 512's bound of 0.043.
    assert of_512 < np.max(np.abs(pinned)) <= of_128
    assert np.max(np.abs(_draw(512))) <= of_512


def test_read_focus_is_one_value_per_step_between_1_over_n_and_1():
    task = tasks.get("associative_recall", max_items=3, eval_size=4, seed=0)
    model = zoo.get("ntm_tiny", task=task)
    inputs = next(iter(task.dataset("test", 4)))[0]
    focus = memory_size_benchmark.read_focus(model, inputs)
    assert len(focus) == inputs.shape[1]
    slots = model.get_layer("ntm").cell.memory_size
    assert all(1 / slots - 1e-3 <= value <= 1.0 for value in focus)


def test_plot_read_focus_draws_one_line_per_memory_size(tmp_path):
    rows = [
        {
            "memory_size": size,
            "items": 6,
            "bound_of_this_size": {
                "bit_errors_per_sequence": 0.0,
                "read_focus": [0.5, 0.1, 1.0],
            },
        }
        for size in (128, 512)
    ]
    result = {"preset": "ntm-x", "trained_memory_init": "random", "rows": rows}
    path = tmp_path / "run.json"
    # As the benchmark prints it: one line per row, then the whole JSON.
    path.write_text(json.dumps(rows[0]) + "\n" + json.dumps(result, indent=2))
    assert plot_read_focus.read_result(path)["rows"] == rows
    out = tmp_path / "focus.png"
    plot_read_focus.main([str(path), "--out", str(out)])
    assert out.stat().st_size > 1_000


def test_plot_read_focus_refuses_an_item_count_it_has_no_rows_for(tmp_path):
    result = {
        "preset": "ntm-x",
        "rows": [
            {
                "memory_size": 8,
                "items": 6,
                "bound_of_this_size": {
                    "bit_errors_per_sequence": 0.0,
                    "read_focus": [1.0],
                },
            }
        ],
    }
    path = tmp_path / "run.json"
    path.write_text(json.dumps(result, indent=2))
    out = tmp_path / "focus.png"
    with pytest.raises(SystemExit, match=r"received 7; .* items \[6\]"):
        plot_read_focus.main([str(path), "--items", "7", "--out", str(out)])
    assert not out.exists()
