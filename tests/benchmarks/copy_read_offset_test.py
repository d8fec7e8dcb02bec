import json

import numpy as np
import pytest

import tasks
import zoo
from benchmarks import copy_read_offset, copy_read_offset_plot


def test_summarise_groups_sequences_by_offset():
    found = {
        "offset": np.array([0, 0, -1, 0, 1]),
        "bit_errors": np.array([0, 2, 250, 0, 100]),
        "peak": np.array([0.5, 0.7, 0.9, 0.7, 0.7]),
        "slip_step": np.array([-1, 7, 30, -1, 12]),
    }
    summary = copy_read_offset.summarise(found)
    assert summary["sequences"] == 5
    assert summary["mean_bit_errors"] == pytest.approx(352 / 5)
    assert summary["held_place"] == 0.6
    assert summary["mean_peak_at_last_input"] == pytest.approx(0.7)
    assert summary["by_offset"] == [
        {
            "offset": -1,
            "sequences": 1,
            "mean_bit_errors": 250.0,
            "slip_steps": [30],
        },
        {
            "offset": 0,
            "sequences": 3,
            "mean_bit_errors": 0.667,
            "slip_steps": [7],
        },
        {
            "offset": 1,
            "sequences": 1,
            "mean_bit_errors": 100.0,
            "slip_steps": [12],
        },
    ]


def test_read_offsets_count_the_errors_the_metric_counts():
    task = tasks.get("copy", generalisation_lengths=(3,), eval_size=8)
    model = zoo.get("ntm_tiny", task, memory_size=8)
    inputs, targets, mask = next(iter(task.dataset("length_3", 8)))
    found = copy_read_offset.read_offsets(model, inputs, targets)
    assert found["offset"].shape == found["bit_errors"].shape == (8,)
    assert np.all((-4 < found["offset"]) & (found["offset"] <= 4))
    assert np.all((0 < found["peak"]) & (found["peak"] <= 1))
    assert np.all((-1 <= found["slip_step"]) & (found["slip_step"] <= 3))
    held = found["slip_step"] < 0
    assert np.all(found["offset"][held] == 0)
    model.run_eagerly = True  # tracing would only cost time
    metrics = model.evaluate(
        inputs, targets, sample_weight=mask, verbose=0, return_dict=True
    )
    assert found["bit_errors"].mean() == pytest.approx(
        metrics["bit_errors_per_sequence"]
    )


def test_main_rejects_lengths_that_are_not_integers(capsys):
    with pytest.raises(SystemExit):
        copy_read_offset.main(["--preset", "copy", "--lengths", "40,x"])
    assert "--lengths" in capsys.readouterr().err


def test_with_min_sharpening_raises_every_exponent_by_the_difference():
    model = zoo.get("ntm_tiny", memory_size=8)
    sharper = copy_read_offset.with_min_sharpening(model, 3.0)
    cell = model.get_layer("ntm").cell
    sharper_cell = sharper.get_layer("ntm").cell
    assert sharper_cell.min_sharpening == 3.0
    output = np.random.default_rng(1).standard_normal((4, 32))
    output = output.astype("float32")
    np.testing.assert_allclose(
        np.asarray(sharper_cell.controls(output)["sharpening"]),
        np.asarray(cell.controls(output)["sharpening"]) + 2.0,
        rtol=1e-6,
    )


@pytest.mark.parametrize("value", ["0.5", "nan", "inf"])
def test_main_rejects_a_min_sharpening_below_one_or_not_finite(value, capsys):
    with pytest.raises(SystemExit):
        copy_read_offset.main(["--preset", "copy", "--min-sharpening", value])
    assert "--min-sharpening" in capsys.readouterr().err


def test_slipped_share_is_the_cumulative_share_of_first_slips():
    summary = {
        "sequences": 4,
        "by_offset": [
            {"offset": -1, "slip_steps": [2]},
            {"offset": 0, "slip_steps": [0, 2]},
        ],
    }
    share = copy_read_offset_plot.slipped_share(summary, 3)
    np.testing.assert_allclose(share, [0.25, 0.25, 0.75, 0.75])


def test_plot_rejects_a_length_the_report_lacks(tmp_path, capsys):
    report = tmp_path / "a.json"
    report.write_text(json.dumps({"lengths": {"60": {}}}))
    with pytest.raises(SystemExit):
        copy_read_offset_plot.main(
            [str(report), "--length", "120", "--out", str(tmp_path / "f.png")]
        )
    assert "no length 120" in capsys.readouterr().err


def test_main_names_a_missing_run_without_a_traceback(tmp_path, capsys):
    with pytest.raises(SystemExit) as raised:
        copy_read_offset.main([str(tmp_path / "missing")])
    assert raised.value.code == 2
    assert "has no config.json" in capsys.readouterr().err


def test_main_refuses_a_run_of_another_task(tmp_path, capsys):
    run = tmp_path / "run"
    run.mkdir()
    config = {
        "model": {"name": "ntm", "overrides": {}},
        "task": {"name": "repeat_copy", "options": {}},
        "training": {"epochs": 1, "steps_per_epoch": 1, "batch_size": 1,
                     "seed": 0},
    }  # fmt: skip
    (run / "config.json").write_text(json.dumps(config))
    with pytest.raises(SystemExit):
        copy_read_offset.main([str(run)])
    error = capsys.readouterr().err
    assert "'repeat_copy'" in error and "expected a run of `copy`" in error
