"""`ntm-keras train lstm_tiny --task NAME` runs on each of the paper's tasks."""

import json

import pytest

from testing import run_main

QUICK = ("--steps-per-epoch", 3, "--epochs", 2, "--batch-size", 8)
TASK_OPTIONS = {
    "repeat_copy": ("max_length=3", "max_repeats=3"),
    "associative_recall": ("max_items=4",),
    "ngrams": ("min_length=20", "max_length=40"),
    "priority_sort": ("num_inputs=6", "num_outputs=4", "min_inputs=3"),
}
CURRICULUM = {"repeat_copy": "combined", "associative_recall": "doubling"}


@pytest.fixture(scope="module", params=sorted(TASK_OPTIONS))
def trained_run(request, tmp_path_factory):
    """`(task name, completed CLI result, run directory)`, one per task."""
    name = request.param
    log_dir = tmp_path_factory.mktemp(name)
    sets = [
        part
        for option in (*TASK_OPTIONS[name], "eval_size=16")
        for part in ("--set", option)
    ]
    result = run_main(
        "train",
        "lstm_tiny",
        "--task",
        name,
        *QUICK,
        *sets,
        "--curriculum",
        CURRICULUM.get(name, "none"),
        "--log-dir",
        log_dir,
    )
    run_dirs = list(log_dir.iterdir())
    return name, result, run_dirs


def test_train_runs_a_few_steps_on_the_task(trained_run):
    name, result, run_dirs = trained_run
    curriculum = CURRICULUM.get(name, "none")
    assert result.returncode == 0, result.stderr[-3000:]
    (run_dir,) = run_dirs
    config = json.loads((run_dir / "config.json").read_text())
    assert config["task"]["name"] == name
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert "bits_per_sequence" in metrics["test"]
    if name == "ngrams":
        assert "bayes_optimal_bits_per_sequence" in metrics["test"]
        assert "val_bayes_optimal_bits_per_sequence" in metrics["last_epoch"]
    last = json.loads((run_dir / "checkpoints" / "last.json").read_text())
    if curriculum == "combined":
        assert last["curriculum"]["mix_probability"] == 0.2
    assert last["curriculum"]["difficulty"] == last["difficulty"]


EVAL_SIZES = {
    "repeat_copy": ("length", "4,6"),
    "associative_recall": ("items", "5,7"),
    "ngrams": ("length", "30,60"),
    "priority_sort": ("inputs", "5,8"),
}


def test_eval_varies_each_task_along_its_own_axis(trained_run):
    name, trained, run_dirs = trained_run
    assert trained.returncode == 0, trained.stderr[-3000:]
    (run_dir,) = run_dirs
    axis, sizes = EVAL_SIZES[name]
    result = run_main("eval", run_dir, "--sizes", sizes, "--num-sequences", 8)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.split()[0] == axis
    table = json.loads((run_dir / "eval" / "lengths.json").read_text())
    assert table["axis"] == axis
    assert [row["size"] for row in table["rows"]] == [
        int(s) for s in sizes.split(",")
    ]
    if name == "ngrams":
        assert "bayes_optimal_bits_per_sequence" in table["rows"][0]
        assert "optimum bits" in result.stdout
    else:
        assert 0.0 <= table["rows"][0]["bit_accuracy"] <= 1.0
