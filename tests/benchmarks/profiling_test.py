"""The step timing shared by `ntm_profile.py` and `dnc_profile.py`."""

import time

import numpy as np

import tasks
from testing import load_benchmark

profiling = load_benchmark("profiling")


class SlowModel:
    """Records every `train_on_batch` call; each takes `seconds`."""

    def __init__(self, seconds):
        self.seconds = seconds
        self.calls = []

    def train_on_batch(self, inputs, targets, sample_weight=None):
        self.calls.append((inputs, targets, sample_weight))
        time.sleep(self.seconds)


def test_copy_batch_is_fixed_random_bits_shaped_like_the_task():
    task = tasks.get("copy")
    inputs, targets, weights = profiling.copy_batch(task, 3, 5)
    assert inputs.shape == (3, 5, task.spec.input_dim)
    assert targets.shape == (3, 5, task.spec.output_dim)
    assert weights.shape == (3, 5)
    assert {str(array.dtype) for array in (inputs, targets, weights)} == {
        "float32"
    }
    assert set(np.unique(inputs)) == {0.0, 1.0}
    assert np.all(weights == 1.0)
    again = profiling.copy_batch(task, 3, 5)
    for first, second in zip((inputs, targets, weights), again):
        np.testing.assert_array_equal(first, second)


def test_step_times_times_only_the_steps_after_the_warmup():
    model = SlowModel(seconds=0.01)
    batch = ("inputs", "targets", "weights")
    times = profiling.step_times(model, batch, 3, warmup=2)
    assert len(times) == 3
    assert all(0.01 <= seconds < 1.0 for seconds in times)
    assert model.calls == [batch] * 5
    assert profiling.step_times(model, batch, repeats=0, warmup=1) == []
    assert len(model.calls) == 6


def test_step_summary_reports_the_median_and_fastest_step():
    summary = profiling.step_summary([0.1, 0.3, 0.2, 0.25], batch_size=9)
    assert list(summary) == [
        "median_step_ms",
        "min_step_ms",
        "sequences_per_second",
    ]
    # Median of four: (0.2 + 0.25) / 2 = 0.225 s; 9 / 0.225 = 40.
    assert summary == {
        "median_step_ms": 225.0,
        "min_step_ms": 100.0,
        "sequences_per_second": 40.0,
    }
