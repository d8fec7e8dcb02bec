"""Bad input at the `ntm-keras` command: one line, a non-zero exit, no harm.

The commands run in this process (`zoo.cli.main`), which is much faster
than a subprocess per case; the message is what `main` prints to stderr.
"""

import json
import os
import re
import shutil

import pytest

from zoo import cli
from zoo.training import checkpointing

QUICK = (
    "--steps-per-epoch",
    "2",
    "--batch-size",
    "4",
    "--set",
    "max_length=3",
    "--set",
    "eval_size=8",
)
IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


def _error(capsys):
    """The one line `main` printed to stderr."""
    lines = [
        line
        for line in capsys.readouterr().err.splitlines()
        if line.startswith("ntm-keras ") and ": error: " in line
    ]
    assert len(lines) == 1, lines
    assert "Traceback" not in lines[0]
    return lines[0]


def _snapshot(run_dir):
    """Every file of a run except the event logs, as bytes."""
    return {
        path.relative_to(run_dir): path.read_bytes()
        for path in sorted(run_dir.rglob("*"))
        if path.is_file() and "logs" not in path.parts
    }


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory):
    """A finished 2-epoch `lstm_tiny` run on copy."""
    log_dir = tmp_path_factory.mktemp("runs")
    code = cli.main(
        [
            "train",
            "lstm_tiny",
            "--task",
            "copy",
            "--epochs",
            "2",
            *QUICK,
            "--log-dir",
            str(log_dir),
        ]
    )
    assert code == 0
    (run_dir,) = log_dir.iterdir()
    return run_dir


@pytest.fixture
def run_copy(finished_run, tmp_path):
    """A copy of the finished run that a test may change."""
    copied = tmp_path / finished_run.name
    shutil.copytree(finished_run, copied)
    return copied


# -- 2: NaN ------------------------------------------------------------------


def test_a_diverging_run_stops_with_its_own_exit_code(tmp_path, capsys):
    # A learning rate of 1e38 makes lstm_tiny's weights overflow at once.
    code = cli.main(
        [
            "train",
            "lstm_tiny",
            "--task",
            "copy",
            "--epochs",
            "2",
            "--learning-rate",
            "1e38",
            *QUICK,
            "--log-dir",
            str(tmp_path),
        ]
    )
    assert code == cli.EXIT_DIVERGED == 3
    message = _error(capsys)
    assert "training diverged" in message
    assert "at epoch 1, batch 2" in message and "nan" in message
    (run_dir,) = tmp_path.iterdir()
    # metrics.json is valid JSON, with null for the non-finite values.
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert metrics["diverged"]["epoch"] == 1
    assert metrics["diverged"]["batch"] == 2
    assert "loss" in metrics["diverged"]["tensor"]
    assert metrics["last_epoch"]["loss"] is None
    # The diverged epoch left no checkpoint, best or last.
    checkpoints = run_dir / "checkpoints"
    assert not checkpoints.exists() or not list(checkpoints.iterdir())
    # The TensorBoard logs written up to the stop are kept.
    assert list((run_dir / "logs" / "train").iterdir())


@pytest.mark.parametrize("value", ["nan", "inf", "-inf"])
def test_non_finite_learning_rate_is_refused(value, tmp_path, capsys):
    code = cli.main(
        [
            "train",
            "lstm_tiny",
            "--task",
            "copy",
            f"--learning-rate={value}",
            "--log-dir",
            str(tmp_path),
        ]
    )
    assert code == 2
    assert "Invalid `learning_rate`" in _error(capsys)
    assert not list(tmp_path.iterdir())


def test_non_finite_temperature_is_refused_before_loading(tmp_path, capsys):
    code = cli.main(["sample", str(tmp_path), "--temperature", "nan"])
    assert code == 2
    assert "Invalid `temperature`: received nan" in _error(capsys)


# -- 3: memory ---------------------------------------------------------------


def test_a_memory_too_big_is_refused_before_the_run_directory(tmp_path, capsys):
    code = cli.main(
        [
            "train",
            "ntm_tiny",
            "--task",
            "copy",
            "--set",
            "memory_size=2000000",
            "--set",
            "max_length=5",
            "--log-dir",
            str(tmp_path / "runs"),
        ]
    )
    assert code == 2
    message = _error(capsys)
    assert "Not enough memory for ntm_tiny on copy" in message
    assert "GiB" in message
    assert not (tmp_path / "runs").exists() or not list(
        (tmp_path / "runs").iterdir()
    )


# -- 4 and 5: resume ---------------------------------------------------------


@pytest.mark.parametrize(
    ("arguments", "named"),
    [
        (["nosuch", "--task", "nosuch", "--batch-size", "0"], "MODEL"),
        (["--batch-size", "8"], "--batch-size"),
        (["--set", "units=3"], "--set"),
        (["--seed", "3"], "--seed"),
        (["--learning-rate", "0.1"], "--learning-rate"),
    ],
)
def test_resume_refuses_options_it_cannot_change(
    run_copy, capsys, arguments, named
):
    before = _snapshot(run_copy)
    code = cli.main(["train", *arguments, "--resume", str(run_copy)])
    assert code == 2
    message = _error(capsys)
    assert "Invalid options with --resume" in message and named in message
    assert _snapshot(run_copy) == before


def test_resume_with_fewer_epochs_than_done_changes_nothing(run_copy, capsys):
    before = _snapshot(run_copy)
    code = cli.main(["train", "--resume", str(run_copy), "--epochs", "1"])
    assert code == 2
    message = _error(capsys)
    assert "received 1" in message and "already trained 2 epochs" in message
    assert _snapshot(run_copy) == before


def test_resume_applies_more_epochs_says_so_and_records_them_after(
    run_copy, capsys
):
    code = cli.main(["train", "--resume", str(run_copy), "--epochs", "3"])
    assert code == 0
    assert "Epochs: 2 -> 3 (from --epochs)" in capsys.readouterr().out
    config = json.loads((run_copy / "config.json").read_text())
    assert config["training"]["epochs"] == 3
    last = json.loads((run_copy / "checkpoints" / "last.json").read_text())
    assert last["epoch"] == 3 and last["epochs"] == 3
    metrics = json.loads((run_copy / "metrics.json").read_text())
    assert metrics["epochs"] == 3


def test_resume_takes_a_time_budget_for_itself_only(run_copy, capsys):
    # A budget far below one epoch stops the resume after its first epoch.
    code = cli.main(
        [
            "train",
            "--resume",
            str(run_copy),
            "--epochs",
            "5",
            "--max-minutes",
            "1e-6",
        ]
    )
    assert code == 0
    assert "Time budget: None -> 1e-06 minutes" in capsys.readouterr().out
    metrics = json.loads((run_copy / "metrics.json").read_text())
    assert metrics["epochs"] == 3
    assert metrics["stopped_early"] == (
        "max_minutes=1e-06 reached after 3 of 5 epochs"
    )
    config = json.loads((run_copy / "config.json").read_text())
    assert config["training"]["max_minutes"] is None


@pytest.mark.parametrize("minutes", ["0", "-3", "nan", "inf"])
def test_resume_refuses_a_bad_time_budget(run_copy, capsys, minutes):
    before = _snapshot(run_copy)
    code = cli.main(
        [
            "train",
            "--resume",
            str(run_copy),
            "--epochs",
            "5",
            "--max-minutes",
            minutes,
        ]
    )
    assert code == 2
    captured = capsys.readouterr()
    assert "Epochs:" not in captured.out  # refused before anything is said
    (message,) = [
        line for line in captured.err.splitlines() if ": error: " in line
    ]
    assert "Invalid `max_minutes`" in message and minutes in message
    assert _snapshot(run_copy) == before


def test_a_failed_resume_leaves_the_epochs_on_record(run_copy, capsys):
    # The checkpoint is gone, with no earlier one: the resume fails.
    for path in (run_copy / "checkpoints").glob("*.keras"):
        path.write_bytes(b"")
    before = _snapshot(run_copy)
    code = cli.main(["train", "--resume", str(run_copy), "--epochs", "5"])
    assert code == 2
    assert "Damaged checkpoint" in _error(capsys)
    assert _snapshot(run_copy) == before


# -- 6: damaged files --------------------------------------------------------


def test_a_truncated_checkpoint_falls_back_to_the_previous_one(run_copy):
    checkpoints = run_copy / "checkpoints"
    last = json.loads((checkpoints / "last.json").read_text())
    assert last["checkpoint"] == "epoch-00002.keras"
    assert last["previous"]["checkpoint"] == "epoch-00001.keras"
    damaged = checkpoints / "epoch-00002.keras"
    damaged.write_bytes(damaged.read_bytes()[:1000])
    with pytest.warns(UserWarning, match="epoch-00002.keras") as caught:
        state = checkpointing.last_state(run_copy)
    assert "falling back to" in str(caught[0].message)
    assert "not a complete .keras" in str(caught[0].message)
    assert state["epoch"] == 1 and state["checkpoint"] == "epoch-00001.keras"
    model = checkpointing.load_state_model(run_copy, state)
    assert model.name == "lstm_tiny"


def test_a_damaged_best_checkpoint_falls_back_to_the_last(run_copy):
    best = run_copy / "checkpoints" / "best.keras"
    best.write_bytes(b"not a zip archive")
    with pytest.warns(UserWarning, match="best.keras"):
        model = checkpointing.load_checkpoint(run_copy, "best")
    assert model.name == "lstm_tiny"


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        ("config.json", '{"model": ', "Invalid JSON in .*config.json"),
        ("config.json", "{}", r"config.json: the key 'model' is missing"),
        (
            "checkpoints/last.json",
            "[1, 2",
            "Invalid JSON in .*last.json",
        ),
    ],
)
def test_broken_run_files_are_named(run_copy, capsys, name, text, expected):
    (run_copy / name).write_text(text)
    code = cli.main(["train", "--resume", str(run_copy)])
    assert code == 2
    assert re.search(expected, _error(capsys))


def test_a_config_without_a_nested_key_names_it(run_copy, capsys):
    config = json.loads((run_copy / "config.json").read_text())
    del config["task"]["options"]
    (run_copy / "config.json").write_text(json.dumps(config))
    assert cli.main(["eval", str(run_copy)]) == 2
    assert "the key task.options is missing" in _error(capsys)


# -- 8: file system ----------------------------------------------------------


def test_a_log_dir_that_is_a_file_is_refused(tmp_path, capsys):
    a_file = tmp_path / "README.md"
    a_file.write_text("not a directory")
    code = cli.main(
        ["train", "lstm_tiny", "--task", "copy", "--log-dir", str(a_file)]
    )
    assert code == 2
    message = _error(capsys)
    assert "Invalid `log_dir`" in message and "is not a directory" in message


def test_a_log_dir_under_a_file_is_refused_even_for_root(tmp_path, capsys):
    # No user, root included, can make a directory under a regular file.
    a_file = tmp_path / "README.md"
    a_file.write_text("not a directory")
    code = cli.main(
        [
            "train",
            "lstm_tiny",
            "--task",
            "copy",
            "--log-dir",
            str(a_file / "runs"),
        ]
    )
    assert code == 2
    assert "is not a directory" in _error(capsys)


@pytest.mark.skipif(IS_ROOT, reason="root writes through mode 0o500")
def test_a_read_only_log_dir_is_refused(tmp_path, capsys):
    read_only = tmp_path / "read-only"
    read_only.mkdir(mode=0o500)
    try:
        code = cli.main(
            [
                "train",
                "lstm_tiny",
                "--task",
                "copy",
                "--log-dir",
                str(read_only / "runs"),
            ]
        )
    finally:
        read_only.chmod(0o700)
    assert code == 2
    assert "is not writable" in _error(capsys)


def test_eval_checks_its_output_directory_before_evaluating(
    run_copy, capsys, monkeypatch
):
    # `eval/` cannot be made where a file of that name is; as root too.
    (run_copy / "eval").write_text("in the way")
    from zoo.training import checkpointing as loader

    def no_loading(*args, **kwargs):
        raise AssertionError("the model was loaded before the check")

    monkeypatch.setattr(loader, "load_checkpoint", no_loading)
    assert cli.main(["eval", str(run_copy), "--lengths", "3"]) == 2
    assert "is not a directory" in _error(capsys)


@pytest.mark.skipif(IS_ROOT, reason="root writes through mode 0o500")
def test_eval_on_a_read_only_run_is_refused_before_evaluating(run_copy, capsys):
    run_copy.chmod(0o500)
    try:
        code = cli.main(["eval", str(run_copy), "--lengths", "3"])
    finally:
        run_copy.chmod(0o700)
    assert code == 2
    assert "is not writable" in _error(capsys)


def test_a_damaged_checkpoint_is_one_warning_line_at_the_command(
    run_copy, capsys
):
    damaged = run_copy / "checkpoints" / "epoch-00002.keras"
    damaged.write_bytes(damaged.read_bytes()[:1000])
    assert cli.main(["train", "--resume", str(run_copy)]) == 0
    err = capsys.readouterr().err
    assert (
        "ntm-keras train: warning: Damaged checkpoint "
        f"{damaged}: it is not a complete .keras (zip) archive"
    ) in err
    assert "Traceback" not in err
    last = json.loads((run_copy / "checkpoints" / "last.json").read_text())
    assert last["epoch"] == 2  # epoch 2 redone from epoch 1's checkpoint


def test_an_os_error_at_the_boundary_is_one_line(monkeypatch, capsys):
    def disk_full(args):
        raise OSError(28, "No space left on device", "/runs/x/config.json")

    monkeypatch.setattr(cli, "run_list", disk_full)
    assert cli.main(["list"]) == cli.EXIT_FILE_SYSTEM
    assert _error(capsys) == (
        "ntm-keras list: error: No space left on device: /runs/x/config.json"
    )


# -- 9: translate ------------------------------------------------------------


@pytest.mark.parametrize("width", ["0", "-2"])
def test_translate_refuses_a_beam_width_below_one(tmp_path, capsys, width):
    code = cli.main(
        ["translate", str(tmp_path), "Hello.", f"--beam-width={width}"]
    )
    assert code == 2
    assert f"Invalid `beam_width`: received {width}" in _error(capsys)


@pytest.mark.parametrize("sentence", ["", "   "])
def test_translate_refuses_an_empty_sentence(tmp_path, capsys, sentence):
    assert cli.main(["translate", str(tmp_path), sentence]) == 2
    assert f"Invalid sentence: received {sentence!r}" in _error(capsys)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["train", "lstm_tiny"], "needs a MODEL and --task TASK"),
        (
            ["train", "lstm_tiny", "--task", "copy", "--set", "units"],
            "Invalid `--set`: received 'units'; expected key=value",
        ),
        (
            ["train", "lstm_tiny", "--task", "copy", "--epochs", "0"],
            "Invalid `epochs`: received 0; expected a value >= 1.",
        ),
        (
            ["train", "lstm_tiny", "--task", "copy", "--curriculum", "dubl"],
            "Invalid `curriculum`: received 'dubl'",
        ),
        (
            ["train", "lstm_tiny", "--task", "copy", "--global-clipnorm=inf"],
            "Invalid `global_clipnorm`: received inf; expected a finite",
        ),
        (["eval", "RUN", "--lengths", "4,x"], "Invalid `--lengths`"),
    ],
)
def test_more_bad_options_get_one_line(tmp_path, capsys, arguments, message):
    if arguments[0] == "train":
        arguments = [*arguments, "--log-dir", str(tmp_path / "runs")]
    else:
        arguments = [arguments[0], str(tmp_path), *arguments[2:]]
    assert cli.main(arguments) == 2
    assert message in _error(capsys)
    assert not (tmp_path / "runs").exists()
