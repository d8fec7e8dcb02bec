"""The `ntm-keras` command end to end: a run in a subprocess, as users start
it; quick commands and bad input in this process (`zoo.cli.main`), which is
much faster than a subprocess per case."""

import json

import pytest

from testing import event_tags, run_cli, run_main

EXPECTED_TRAIN_TAGS = {
    "epoch_loss",
    "epoch_bits_per_sequence",
    "epoch_bit_errors_per_sequence",
    "epoch_sequence_accuracy",
    "epoch_learning_rate",
    "epoch_gradient_norm",
    "epoch_curriculum_level",
}
EXPECTED_VALIDATION_TAGS = {
    "epoch_loss",
    "epoch_bits_per_sequence",
    "epoch_bit_errors_per_sequence",
    "epoch_sequence_accuracy",
}
QUICK = (
    "--steps-per-epoch",
    5,
    "--epochs",
    2,
    "--batch-size",
    8,
    "--set",
    "max_length=4",
    "--set",
    "eval_size=32",
)


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory):
    log_dir = tmp_path_factory.mktemp("runs")
    result = run_cli(
        "train", "lstm_tiny", "--task", "copy", *QUICK, "--log-dir", log_dir
    )
    assert result.returncode == 0, result.stderr[-3000:]
    (run_dir,) = log_dir.iterdir()
    return run_dir, result


def test_train_prints_the_tensorboard_command_first(finished_run):
    run_dir, result = finished_run
    lines = result.stdout.splitlines()
    assert lines[0] == f"Run directory: {run_dir}"
    assert lines[1] == f"Watch it with: tensorboard --logdir {run_dir.parent}"
    assert run_dir.name.startswith("lstm_tiny-copy-")


def test_run_directory_holds_config_metrics_and_checkpoints(finished_run):
    run_dir, _ = finished_run
    config = json.loads((run_dir / "config.json").read_text())
    assert config["model"]["name"] == "lstm_tiny"
    assert config["model"]["options"]["input_dim"] == 9
    assert config["task"]["options"]["max_length"] == 4
    assert config["training"]["steps_per_epoch"] == 5
    assert config["invocation"]["versions"]["tensorflow"].startswith("2.21")
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert set(metrics["test"]) >= {
        "loss",
        "bits_per_sequence",
        "bit_errors_per_sequence",
        "sequence_accuracy",
    }
    last = json.loads((run_dir / "checkpoints" / "last.json").read_text())
    assert last["epoch"] == 2
    assert (run_dir / "checkpoints" / last["checkpoint"]).exists()
    assert (run_dir / "checkpoints" / "best.keras").exists()


def test_event_files_hold_the_expected_scalars(finished_run):
    run_dir, _ = finished_run
    logs = run_dir / "logs"
    assert event_tags(logs / "train") >= EXPECTED_TRAIN_TAGS
    assert event_tags(logs / "validation") >= EXPECTED_VALIDATION_TAGS


def test_eval_writes_table_and_plot(finished_run):
    run_dir, _ = finished_run
    result = run_main(
        "eval", run_dir, "--lengths", "2,6", "--num-sequences", 16
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "bit errors/seq" in result.stdout
    table = json.loads((run_dir / "eval" / "lengths.json").read_text())
    assert [row["size"] for row in table["rows"]] == [2, 6]
    png = (run_dir / "eval" / "lengths.png").read_bytes()
    assert png.startswith(b"\x89PNG")


def test_list_and_describe():
    listing = run_main("list")
    assert listing.returncode == 0
    assert "lstm_tiny" in listing.stdout and "copy" in listing.stdout
    described = run_main("describe", "lstm")
    assert "units = 256" in described.stdout


@pytest.mark.parametrize(
    "arguments, message",
    [
        (("train", "lstm_tin", "--task", "copy"), "Did you mean 'lstm_tiny'"),
        (("train", "lstm_tiny", "--task", "cpy"), "Did you mean 'copy'"),
        (("train", "lstm_tiny", "--task", "copy", "--set", "unit=4"), "units"),
        (
            ("train", "lstm_tiny", "--task", "copy", "--set", "units=-4"),
            "`units`",
        ),
        (
            (
                "train",
                "lstm_tiny",
                "--task",
                "copy",
                "--set",
                "min_length=9",
                "--set",
                "max_length=3",
            ),
            "min_length",
        ),
        (
            ("train", "lstm_tiny", "--task", "copy", "--set", "units=big"),
            "`units`",
        ),
        (
            ("train", "lstm_tiny", "--task", "copy", "--set", "input_dim=3"),
            "input_dim",
        ),
        (("eval", "/nonexistent-run", "--lengths", "4"), "config.json"),
    ],
)
def test_bad_input_fails_clearly_and_writes_nothing(
    tmp_path, arguments, message
):
    if arguments[0] == "train":
        arguments = (*arguments, "--log-dir", tmp_path)
    result = run_main(*arguments)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert list(tmp_path.iterdir()) == []
