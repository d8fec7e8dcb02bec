"""A run killed with SIGKILL resumes and ends as if never interrupted."""

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from testing import clean_environment, run_main

# With these settings the doubling curriculum raises the maximum length from
# 2 to 4 after epoch 3, so the killed run must bring the level back.
RUN = (
    "lstm_tiny",
    "--task",
    "copy",
    "--steps-per-epoch",
    50,
    "--epochs",
    7,
    "--batch-size",
    32,
    "--learning-rate",
    0.02,
    "--curriculum",
    "doubling",
    "--set",
    "max_length=8",
    "--set",
    "units=64",
    "--set",
    "eval_size=64",
    "--seed",
    3,
)


def _final(run_dir):
    return json.loads((run_dir / "metrics.json").read_text())


def _wait_for_epoch(run_dir_parent, epoch, process, timeout=300):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for last in run_dir_parent.glob("*/checkpoints/last.json"):
            if json.loads(last.read_text())["epoch"] >= epoch:
                return last.parents[1]
        if process.poll() is not None:
            raise AssertionError("the run ended before it could be killed")
        time.sleep(0.02)
    raise AssertionError(f"no checkpoint of epoch {epoch} after {timeout}s")


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory):
    log_dir = tmp_path_factory.mktemp("whole")
    result = run_main("train", *RUN, "--log-dir", log_dir)
    assert result.returncode == 0, result.stderr[-3000:]
    (run_dir,) = log_dir.iterdir()
    return _final(run_dir)


def test_killed_run_resumes_to_the_same_final_metrics(tmp_path, uninterrupted):
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "zoo.cli",
            "train",
            *map(str, RUN),
            "--log-dir",
            str(tmp_path),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=clean_environment(),
    )
    try:
        run_dir = _wait_for_epoch(tmp_path, 3, process)
    finally:
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
    assert not (run_dir / "metrics.json").exists()

    resumed = run_main("train", "--resume", run_dir)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    final = _final(run_dir)
    assert final["difficulty"] == uninterrupted["difficulty"]
    for key, value in uninterrupted["test"].items():
        assert final["test"][key] == pytest.approx(value, rel=1e-5, abs=1e-6)
    for key, value in uninterrupted["last_epoch"].items():
        assert final["last_epoch"][key] == pytest.approx(
            value, rel=1e-5, abs=1e-6
        ), key
