"""An NTM run through the CLI: memory pictures, scalars, larger memory."""

import json

import pytest

from testing import event_tags, run_main


@pytest.fixture(scope="module")
def ntm_run(tmp_path_factory):
    log_dir = tmp_path_factory.mktemp("runs")
    result = run_main(
        "train",
        "ntm_tiny",
        "--task",
        "copy",
        "--steps-per-epoch",
        4,
        "--epochs",
        2,
        "--batch-size",
        8,
        "--set",
        "max_length=4",
        "--set",
        "eval_size=16",
        "--log-dir",
        log_dir,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    (run_dir,) = log_dir.iterdir()
    return run_dir


def test_ntm_trains_with_xla_and_time_buckets_by_default(ntm_run):
    config = json.loads((ntm_run / "config.json").read_text())
    assert config["training"]["jit_compile"] is True
    assert config["training"]["time_bucket"] == 8


def test_memory_pictures_and_scalars_reach_tensorboard(ntm_run):
    names = event_tags(ntm_run / "logs" / "train")
    assert "memory/probe" in names
    for scalar in (
        "epoch_memory_mean_gate",
        "epoch_memory_mean_sharpening",
        "epoch_memory_read_entropy",
        "epoch_memory_nonfinite_count",
    ):
        assert scalar in names


def test_eval_with_a_larger_memory(ntm_run):
    result = run_main(
        "eval",
        ntm_run,
        "--lengths",
        "5,30",
        "--num-sequences",
        8,
        "--memory-size",
        64,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    table = json.loads(
        (ntm_run / "eval" / "lengths-memory-64.json").read_text()
    )
    assert table["memory_size"] == 64
    assert [row["size"] for row in table["rows"]] == [5, 30]
