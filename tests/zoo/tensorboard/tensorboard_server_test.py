"""A real TensorBoard server lists a run and its scalars over HTTP."""

import json
import pathlib
import shutil
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from testing import clean_environment, run_cli


def _free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _get_json(url):
    with urllib.request.urlopen(url, timeout=5) as response:
        return json.loads(response.read())


def _poll(url, ready, timeout=90):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = _get_json(url)
            if ready(last):
                return last
        except OSError:
            pass
        time.sleep(0.5)
    raise AssertionError(f"{url} not ready after {timeout}s; last {last!r}")


@pytest.fixture
def tensorboard_binary():
    found = shutil.which("tensorboard") or str(
        pathlib.Path(sys.executable).with_name("tensorboard")
    )
    if not pathlib.Path(found).exists():
        pytest.fail("the tensorboard command is not installed")
    return found


def test_tensorboard_serves_the_run_and_its_scalar_tags(
    tmp_path, tensorboard_binary
):
    trained = run_cli(
        "train",
        "lstm_tiny",
        "--task",
        "copy",
        "--steps-per-epoch",
        3,
        "--epochs",
        1,
        "--batch-size",
        4,
        "--set",
        "max_length=3",
        "--set",
        "eval_size=8",
        "--log-dir",
        tmp_path,
    )
    assert trained.returncode == 0, trained.stderr[-2000:]
    (run_dir,) = tmp_path.iterdir()
    port = _free_port()
    server = subprocess.Popen(
        [
            tensorboard_binary,
            "--logdir",
            str(tmp_path),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--reload_interval",
            "1",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=clean_environment(),
    )
    try:
        base = f"http://127.0.0.1:{port}"
        runs = _poll(f"{base}/data/runs", lambda r: len(r) >= 2)
        assert f"{run_dir.name}/logs/train" in runs
        assert f"{run_dir.name}/logs/validation" in runs
        tags = _poll(
            f"{base}/data/plugin/scalars/tags",
            lambda t: (
                "epoch_gradient_norm" in t.get(f"{run_dir.name}/logs/train", {})
            ),
        )
        train_tags = set(tags[f"{run_dir.name}/logs/train"])
        assert {
            "epoch_loss",
            "epoch_bits_per_sequence",
            "epoch_learning_rate",
            "epoch_curriculum_level",
        } <= train_tags
        assert "epoch_loss" in tags[f"{run_dir.name}/logs/validation"]
    finally:
        server.terminate()
        server.wait(timeout=30)
