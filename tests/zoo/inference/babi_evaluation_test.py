"""`ntm-keras train` and `eval` on bAbI: a run scored task by task."""

import json

import pytest
from babi_testing import babi_data_dir

from testing import run_main


@pytest.fixture(scope="module")
def babi_run(tmp_path_factory):
    log_dir = tmp_path_factory.mktemp("runs")
    data_dir = babi_data_dir(tmp_path_factory.mktemp("data"))
    tfds_dir = tmp_path_factory.mktemp("tfds")
    result = run_main(
        "train",
        "lstm_tiny",
        "--task",
        "babi",
        "--data-dir",
        data_dir,
        "--set",
        "tasks=1,8",
        "--set",
        f"tfds_dir={tfds_dir}",
        "--steps-per-epoch",
        2,
        "--epochs",
        1,
        "--batch-size",
        4,
        "--log-dir",
        log_dir,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    (run_dir,) = [path for path in log_dir.iterdir() if path.is_dir()]
    return run_dir


def test_eval_of_a_babi_run_prints_and_writes_the_error_table(babi_run):
    result = run_main("eval", babi_run, "--split", "validation")
    assert result.returncode == 0, result.stderr[-3000:]
    assert "bAbI validation error" in result.stdout
    assert "single-supporting-fact" in result.stdout
    assert "failed tasks (error > 5%)" in result.stdout
    written = json.loads(
        (babi_run / "eval" / "babi-validation.json").read_text()
    )
    assert set(written["errors"]) == {"1", "8"}
    errors = list(written["errors"].values())
    assert all(0.0 <= error <= 1.0 for error in errors)
    assert written["mean_error"] == pytest.approx(sum(errors) / 2)
    assert written["num_failed"] == sum(error > 0.05 for error in errors)


def test_metrics_of_a_babi_run_include_the_question_error_rate(babi_run):
    metrics = json.loads((babi_run / "metrics.json").read_text())
    assert 0.0 <= metrics["test"]["question_error_rate"] <= 1.0
