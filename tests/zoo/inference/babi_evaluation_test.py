"""`ntm-keras train` and `eval` on bAbI: a run scored task by task."""

import json

import pytest
from babi_testing import train_babi_run

from testing import run_main


@pytest.fixture(scope="module")
def babi_run(tmp_path_factory):
    return train_babi_run(tmp_path_factory, "lstm_tiny", "1,8")


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
