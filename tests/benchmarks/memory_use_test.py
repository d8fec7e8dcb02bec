import numpy as np
import pytest

import zoo
from benchmarks import memory_use
from ntm_keras import inspect


def test_means_count_only_the_steps_that_hold_an_input():
    model = zoo.get("dnc_tiny", modality="tokens", input_dim=9, output_dim=9)
    story = np.array([[3, 4, 5, 6]])
    # A second row of padding only, and padding after the story, add no
    # steps and change no mean.
    padded = np.array([[3, 4, 5, 6, 0, 0], [0, 0, 0, 0, 0, 0]])
    result = memory_use.memory_use(model, padded)
    trace = inspect.memory_trace(model, story)
    assert result["steps"] == 4
    assert result["write_gate"] == pytest.approx(
        float(np.mean(trace["write_gate"])), abs=1e-4
    )
    assert result["usage"] == pytest.approx(
        float(np.mean(trace["usage"])), abs=1e-4
    )
    modes = trace["read_modes"].mean(axis=(0, 1))
    assert list(result["read_modes"]) == ["backward", "content", "forward"]
    np.testing.assert_allclose(
        list(result["read_modes"].values()), modes, atol=1e-4
    )
    memories = [
        np.asarray(step["memory"])
        for step in inspect.step_memory_cell(model, story)
    ]
    assert result["memory_abs_mean"] == pytest.approx(
        float(np.mean(np.abs(memories))), abs=1e-4
    )


def test_a_missing_run_is_a_usage_error_not_a_traceback(tmp_path, capsys):
    with pytest.raises(SystemExit) as stopped:
        memory_use.main([str(tmp_path / "missing")])
    assert stopped.value.code == 2
    assert "has no config.json" in capsys.readouterr().err
