"""Training under `tf.distribute`: mirrored, multi-worker, and the options."""

import json
import os
import pathlib
import socket
import subprocess
import sys

import numpy as np
import pytest

import zoo
from testing import clean_environment
from zoo import cli, training
from zoo.training import distribution

HERE = pathlib.Path(__file__).parent

# Float32 keeps about 7 digits. Two replicas sum the gradients of two
# half-batches where one device sums the whole batch: the same terms in
# another order, a few units of the last digit apart per operation. Over 3
# steps the measured loss differences stay below 1e-7 relative for every
# `_tiny` model; 1e-5 leaves a margin of 100. A scaling error is far
# outside: a loss not divided among the replicas doubled every logged loss.
LOSS_TOLERANCE = 1e-5
# Adam divides each gradient by its own root mean square, so a weight whose
# gradient is zero but for rounding moves by up to the learning rate per
# step, either way: the measured largest weight difference (relative to the
# weights' scale) is 4.7e-5 (dnc_transformer_tiny), 1e-7 for the RNNs.
WEIGHT_TOLERANCE = 2e-4

# Every `_tiny` model takes about 6 minutes on 2 shared cores (tracing each
# model twice); the suite runs the NTM family (XLA by default) and a
# Transformer here, and a plain RNN in the mirrored resume test below.
# NTM_KERAS_ALL_TINY=1 runs all.
MIRRORED_MODELS = (
    zoo.list("*_tiny")
    if os.environ.get("NTM_KERAS_ALL_TINY")
    else ["ntm_tiny", "transformer_lm_tiny"]
)


def _free_ports(count):
    sockets = [socket.socket() for _ in range(count)]
    for one in sockets:
        one.bind(("localhost", 0))
    ports = [one.getsockname()[1] for one in sockets]
    for one in sockets:
        one.close()
    return ports


def test_every_tiny_model_trains_mirrored_over_two_cpus_as_on_one():
    result = subprocess.run(
        [sys.executable, str(HERE / "mirrored_worker.py"), *MIRRORED_MODELS],
        capture_output=True,
        text=True,
        env=clean_environment(),
        timeout=900,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    rows = [
        json.loads(line)
        for line in result.stdout.splitlines()
        if line.startswith("{")
    ]
    assert [row["name"] for row in rows] == list(MIRRORED_MODELS)
    for row in rows:
        assert row["replicas"] == 2
        assert len(row["single"]) == len(row["mirrored"]) == 3
        np.testing.assert_allclose(
            row["mirrored"],
            row["single"],
            rtol=LOSS_TOLERANCE,
            err_msg=row["name"],
        )
        assert row["weights"] < WEIGHT_TOLERANCE, row
    # The NTM family's XLA default cannot run on two devices: said once.
    assert result.stdout.count("XLA off: MirroredStrategy has 2 replicas") == (
        1
    )


def test_two_workers_end_with_identical_weights_and_only_the_chief_writes(
    tmp_path,
):
    ports = _free_ports(2)
    cluster = {"worker": [f"localhost:{port}" for port in ports]}
    processes = []
    for index in range(2):
        environment = clean_environment()
        environment["TF_CONFIG"] = json.dumps(
            {"cluster": cluster, "task": {"type": "worker", "index": index}}
        )
        (tmp_path / f"log-{index}").mkdir()
        processes.append(
            subprocess.Popen(
                [
                    sys.executable,
                    str(HERE / "multiworker_worker.py"),
                    str(tmp_path / f"log-{index}"),
                    str(tmp_path / f"weights-{index}.npz"),
                ],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                env=environment,
            )
        )
    outputs = []
    try:
        for process in processes:
            outputs.append(process.communicate(timeout=600))
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
    for process, (_, stderr) in zip(processes, outputs):
        assert process.returncode == 0, stderr[-3000:]
    first = np.load(tmp_path / "weights-0.npz")
    second = np.load(tmp_path / "weights-1.npz")
    assert len(first.files) > 0 and first.files == second.files
    for key in first.files:
        np.testing.assert_array_equal(first[key], second[key])
    (run_dir,) = (tmp_path / "log-0").iterdir()
    config = json.loads((run_dir / "config.json").read_text())
    assert config["training"]["strategy"] == "multiworker"
    assert config["training"]["jit_compile"] is False
    assert (run_dir / "checkpoints" / "last.json").exists()
    assert (run_dir / "metrics.json").exists()
    assert list((tmp_path / "log-1").iterdir()) == []
    assert (
        "XLA off: MultiWorkerMirroredStrategy spans 2 workers"
        in (outputs[1][0])
    )


def test_a_mirrored_run_records_its_strategy_and_resumes_under_it(tmp_path):
    options = dict(
        overrides={"max_length": 2, "eval_size": 4, "units": 8},
        log_dir=tmp_path,
        epochs=1,
        steps_per_epoch=2,
        batch_size=4,
        validation_steps=1,
        verbose=0,
        strategy="mirrored",
        precision="mixed_bfloat16",
    )
    run_dir = training.train("lstm_tiny", "copy", **options)
    config = json.loads((run_dir / "config.json").read_text())
    assert config["training"]["strategy"] == "mirrored"
    assert config["training"]["precision"] == "mixed_bfloat16"
    training.resume(run_dir, epochs=2)
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert metrics["epochs"] == 2
    assert np.isfinite(metrics["last_epoch"]["loss"])


def test_resume_refuses_another_strategy_or_precision(tmp_path, capsys):
    for flag, value in (
        ("--strategy", "mirrored"),
        ("--precision", "mixed_float16"),
    ):
        code = cli.main(["train", "--resume", str(tmp_path), flag, value])
        assert code == cli.EXIT_BAD_INPUT
        assert flag in capsys.readouterr().err


@pytest.mark.parametrize(
    "option, value, expected",
    [
        ("strategy", "mirror", "Did you mean 'mirrored'"),
        ("precision", "float16", "mixed_float16"),
    ],
)
def test_unknown_strategy_or_precision_is_refused(option, value, expected):
    with pytest.raises(ValueError, match=f"Invalid `{option}`.*{expected}"):
        training.make_config("lstm_tiny", "copy", **{option: value})


@pytest.mark.parametrize(
    "text, expected",
    [
        (None, "without the TF_CONFIG"),
        ("{cluster", "not JSON"),
        ('{"cluster": {"worker": ["a:1"]}}', "'cluster' and 'task'"),
    ],
)
def test_multiworker_needs_a_valid_tf_config(monkeypatch, text, expected):
    if text is None:
        monkeypatch.delenv("TF_CONFIG", raising=False)
    else:
        monkeypatch.setenv("TF_CONFIG", text)
    with pytest.raises(ValueError, match=expected):
        distribution.make_strategy("multiworker")


def test_one_device_keeps_the_families_xla_and_is_the_chief():
    import tasks

    model = zoo.get("ntm_tiny", task=tasks.get("copy", max_length=2))
    strategy = model.distribute_strategy
    assert distribution.is_chief(strategy)
    assert distribution.local_replicas(strategy) == 1
    assert model.jit_compile is True
