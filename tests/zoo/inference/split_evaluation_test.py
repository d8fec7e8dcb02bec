"""`ntm-keras eval` of a language model: its whole validation and test
splits, and the preset export that carries the exported checkpoint's own
scores."""

import json
import math
import os
import pathlib
import shutil

import keras
import numpy as np
import pytest

import tasks
import zoo
from testing import SHARED_DATA, run_main
from zoo import cli, preset_store
from zoo.inference import export_preset, split_evaluation

IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0
BATCH_SIZE = 8


def _tiny_shakespeare_dir():
    """The data directory holding the real Tiny Shakespeare, or a skip (a
    failure under `CI=true`, where the data must be there).

    Reads `NTM_KERAS_DATA` when set, else the shared `../shared/data`.
    """
    root = pathlib.Path(os.environ.get("NTM_KERAS_DATA") or SHARED_DATA)
    if not (root / "tiny_shakespeare" / "input.txt").is_file():
        reason = (
            "the Tiny Shakespeare data are missing: "
            f"{root / 'tiny_shakespeare' / 'input.txt'} does not exist (set "
            "NTM_KERAS_DATA to a directory holding tiny_shakespeare/)"
        )
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    return root


def _make_the_first_epoch_best(run_dir):
    """Makes epoch 1 the run's best, as if epoch 2's validation loss rose.

    The run keeps both epochs' checkpoints; its `best.keras` and the best
    record in `last.json` are set to epoch 1, as `RunCheckpoint` leaves
    them when the second epoch validates worse.
    """
    checkpoints = run_dir / "checkpoints"
    shutil.copyfile(
        checkpoints / "epoch-00001.keras", checkpoints / "best.keras"
    )
    path = checkpoints / "last.json"
    state = json.loads(path.read_text())
    state["best"]["epoch"] = 1
    path.write_text(json.dumps(state))


@pytest.fixture(scope="module")
def language_model_run(tmp_path_factory):
    """A 2-epoch `transformer_lm_tiny` run on Tiny Shakespeare whose best
    checkpoint is epoch 1 and last epoch 2."""
    data_dir = _tiny_shakespeare_dir()
    log_dir = tmp_path_factory.mktemp("runs")
    tfds_dir = tmp_path_factory.mktemp("tfds")
    code = cli.main(
        [
            "train",
            "transformer_lm_tiny",
            "--task",
            "tiny_shakespeare",
            "--data-dir",
            str(data_dir),
            "--set",
            f"tfds_dir={tfds_dir}",
            "--set",
            "context_length=16",
            "--set",
            "eval_size=64",
            "--steps-per-epoch",
            "3",
            "--epochs",
            "2",
            "--batch-size",
            str(BATCH_SIZE),
            "--inspect-every",
            "0",
            "--log-dir",
            str(log_dir),
        ]
    )
    assert code == 0
    (run_dir,) = log_dir.iterdir()
    _make_the_first_epoch_best(run_dir)
    return run_dir


@pytest.fixture
def run_copy(language_model_run, tmp_path):
    """A copy of the run that a test may change."""
    copied = tmp_path / language_model_run.name
    shutil.copytree(language_model_run, copied)
    return copied


def _evaluate_checkpoint(run_dir, name, splits=("validation", "test")):
    """`model.evaluate` of checkpoint file `name` on whole splits, by hand.

    Returns:
        dict from split to the metrics `model.evaluate` returns.
    """
    model = keras.models.load_model(run_dir / "checkpoints" / name)
    config = json.loads((run_dir / "config.json").read_text())
    task = tasks.get("tiny_shakespeare", **config["task"]["options"])
    return {
        split: model.evaluate(
            task.dataset(split, BATCH_SIZE), return_dict=True, verbose=0
        )
        for split in splits
    }


def _error(capsys):
    """The one error line `main` printed to stderr."""
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if ": error: " in line]
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


# -- The scores --------------------------------------------------------------


def test_best_scores_equal_model_evaluate_of_the_best_checkpoint(run_copy):
    report = split_evaluation.evaluate_splits(run_copy, which="best")
    written = json.loads((run_copy / "eval" / "splits-best.json").read_text())
    assert written == report
    assert written["checkpoint"] == "best" and written["epoch"] == 1
    assert written["batch_size"] == BATCH_SIZE  # the run's
    assert "argv" not in json.dumps(written)
    by_hand = _evaluate_checkpoint(run_copy, "epoch-00001.keras")
    for split, expected in by_hand.items():
        scores = written["splits"][split]
        assert scores["loss"] == pytest.approx(expected["loss"], abs=1e-5)
        assert scores["perplexity"] == pytest.approx(
            expected["perplexity"], rel=1e-5
        )
        assert scores["num_sequences"] == 64  # the run's eval_size
        # No label smoothing: log2 of the perplexity is loss / ln 2.
        assert scores["bits_per_character"] == pytest.approx(
            expected["loss"] / math.log(2), abs=1e-4
        )
    assert written["splits"]["validation"] != written["splits"]["test"]


def test_best_and_last_score_their_own_checkpoints(run_copy):
    best = split_evaluation.evaluate_splits(run_copy, which="best")
    last = split_evaluation.evaluate_splits(run_copy, which="last")
    assert last["epoch"] == 2
    (expected,) = _evaluate_checkpoint(
        run_copy, "epoch-00002.keras", ["validation"]
    ).values()
    assert last["splits"]["validation"]["loss"] == pytest.approx(
        expected["loss"], abs=1e-5
    )
    # Two epochs apart, the weights and so the losses differ.
    assert (
        abs(
            last["splits"]["validation"]["loss"]
            - best["splits"]["validation"]["loss"]
        )
        > 1e-4
    )
    written = sorted(path.name for path in (run_copy / "eval").iterdir())
    assert written == ["splits-best.json", "splits-last.json"]
    # metrics.json scores the last weights on the same whole splits.
    final = json.loads((run_copy / "metrics.json").read_text())
    for split in ("validation", "test"):
        assert last["splits"][split]["loss"] == pytest.approx(
            final[split]["loss"], abs=1e-5
        )


def test_a_translation_model_gets_bits_per_token(spa_eng_fixture):
    # Word pieces, not characters. Sentences differ in length, so the bits
    # are the mean over all scored tokens of the split, computed here with
    # NumPy, not Keras' loss (a mean of per-batch means).
    model = zoo.get("transformer_tiny", task=spa_eng_fixture)
    (scores,) = split_evaluation.score_splits(
        model, spa_eng_fixture, ["validation"], batch_size=4
    ).values()
    assert "bits_per_character" not in scores
    total_nats, num_tokens, num_sequences = 0.0, 0.0, 0
    for inputs, targets, weights in spa_eng_fixture.dataset("validation", 4):
        logits = np.asarray(model(inputs, training=False), np.float64)
        logits -= logits.max(axis=-1, keepdims=True)
        log_probabilities = logits - np.log(
            np.exp(logits).sum(axis=-1, keepdims=True)
        )
        picked = np.take_along_axis(
            log_probabilities, np.asarray(targets)[..., None], axis=-1
        )[..., 0]
        total_nats -= float(np.sum(picked * np.asarray(weights)))
        num_tokens += float(np.sum(weights))
        num_sequences += int(targets.shape[0])
    assert scores["bits_per_token"] == pytest.approx(
        total_nats / num_tokens / math.log(2), abs=1e-4
    )
    assert scores["num_sequences"] == num_sequences


def test_eval_prints_the_table_and_where_it_wrote(run_copy):
    result = run_main("eval", run_copy, "--checkpoint", "last")
    assert result.returncode == 0, result.stderr[-3000:]
    written = json.loads((run_copy / "eval" / "splits-last.json").read_text())
    lines = result.stdout.splitlines()
    assert "last checkpoint (epoch 2)" in lines[0]
    header = lines[1].split()
    assert header == [
        "split",
        "sequences",
        "loss",
        "perplexity",
        "bits/char",
    ]
    for line, split in zip(lines[2:4], ("validation", "test")):
        scores = written["splits"][split]
        assert line.split() == [
            split,
            "64",
            f"{scores['loss']:.4f}",
            f"{scores['perplexity']:.4f}",
            f"{scores['bits_per_character']:.4f}",
        ]
    assert lines[4] == (
        f"Wrote {os.path.join(str(run_copy), 'eval')}/splits-last.json"
    )


def test_a_data_dir_option_replaces_the_runs_own(run_copy, capsys):
    # The run's recorded data directory moved away; --data-dir names it.
    config_path = run_copy / "config.json"
    config = json.loads(config_path.read_text())
    real_data_dir = config["task"]["options"]["data_dir"]
    config["task"]["options"]["data_dir"] = str(run_copy / "moved")
    config_path.write_text(json.dumps(config))
    assert cli.main(["eval", str(run_copy)]) == 2
    assert "needs the file input.txt" in _error(capsys)
    assert not (run_copy / "eval" / "splits-best.json").exists()
    code = cli.main(["eval", str(run_copy), "--data-dir", real_data_dir])
    assert code == 0
    assert (run_copy / "eval" / "splits-best.json").is_file()


# -- Bad input: one line, no traceback ---------------------------------------


def test_a_run_without_checkpoints_is_named(run_copy, capsys):
    shutil.rmtree(run_copy / "checkpoints")
    assert cli.main(["eval", str(run_copy)]) == 2
    assert "holds no checkpoint" in _error(capsys)


def test_a_data_dir_that_is_not_a_directory_is_named(run_copy, capsys):
    missing = run_copy / "no-such-data"
    assert cli.main(["eval", str(run_copy), "--data-dir", str(missing)]) == 2
    line = _error(capsys)
    assert "Invalid `data_dir`" in line and str(missing) in line


def test_the_eval_folder_is_checked_before_loading(
    run_copy, capsys, monkeypatch
):
    # `eval/` cannot be made where a file of that name is; as root too.
    (run_copy / "eval").write_text("in the way")
    from zoo.training import checkpointing

    def no_loading(*args, **kwargs):
        raise AssertionError("the model was loaded before the check")

    monkeypatch.setattr(checkpointing, "load_checkpoint", no_loading)
    assert cli.main(["eval", str(run_copy)]) == 2
    assert "is not a directory" in _error(capsys)


@pytest.mark.skipif(IS_ROOT, reason="root writes through mode 0o500")
def test_a_read_only_run_is_refused_before_evaluating(run_copy, capsys):
    run_copy.chmod(0o500)
    try:
        code = cli.main(["eval", str(run_copy)])
    finally:
        run_copy.chmod(0o700)
    assert code == 2
    assert "is not writable" in _error(capsys)


@pytest.mark.parametrize(
    "arguments",
    [("--lengths", "4"), ("--memory-size", "8"), ("--split", "test")],
)
def test_length_and_babi_options_are_refused_for_a_language_model(
    language_model_run, capsys, arguments
):
    assert cli.main(["eval", str(language_model_run), *arguments]) == 2
    assert f"received ['{arguments[0]}']" in _error(capsys)


def test_a_batch_size_below_one_is_refused(language_model_run, capsys):
    assert cli.main(["eval", str(language_model_run), "--batch-size", "0"]) == 2
    assert "Invalid `batch_size`: received 0" in _error(capsys)


def test_a_task_without_held_out_splits_is_a_clear_error(run_copy, monkeypatch):
    from tasks.language import tiny_shakespeare

    monkeypatch.setattr(tiny_shakespeare.TinyShakespeare, "splits", ("train",))
    with pytest.raises(ValueError, match="neither generalisation sizes nor"):
        split_evaluation.evaluate_splits(run_copy)


# -- The preset's metrics are its checkpoint's -------------------------------


@pytest.fixture
def preset_dir(tmp_path, monkeypatch):
    monkeypatch.setattr(preset_store, "PRESET_DIR", tmp_path / "shipped")
    monkeypatch.setenv(
        preset_store.ENVIRONMENT_VARIABLE, str(tmp_path / "presets")
    )
    return tmp_path / "presets"


def _exported_metrics(run_dir, which, preset_dir):
    path = export_preset.export_preset(run_dir, "shakespeare", which=which)
    assert path.parent == preset_dir
    return preset_store.preset_info("transformer_lm_tiny", "shakespeare")


def _write_split_scores(run_dir, which, epoch, loss):
    """Writes an `eval/splits-<which>.json` record of made-up scores."""
    scores = {"loss": loss, "perplexity": math.exp(loss), "num_sequences": 64}
    (run_dir / "eval").mkdir(exist_ok=True)
    (run_dir / "eval" / f"splits-{which}.json").write_text(
        json.dumps(
            {
                "checkpoint": which,
                "epoch": epoch,
                "splits": {"validation": scores, "test": scores},
            }
        )
    )


def test_a_best_preset_scores_its_checkpoint_when_no_record_has_its_epoch(
    run_copy, preset_dir
):
    # metrics.json scored epoch 2; this record is of an earlier best.
    _write_split_scores(run_copy, "best", epoch=7, loss=1.25)
    info = _exported_metrics(run_copy, "best", preset_dir)
    metrics = info["metrics"]
    assert metrics["checkpoint"] == "best" and metrics["epoch"] == 1
    assert metrics["from"] == "scored at export"
    (expected,) = _evaluate_checkpoint(
        run_copy, "epoch-00001.keras", ["test"]
    ).values()
    assert metrics["test"]["loss"] == pytest.approx(expected["loss"], abs=1e-5)
    # The run's own record (its last weights) stays apart.
    assert info["run_metrics"]["epochs"] == 2
    assert info["run_metrics"]["test"]["loss"] != pytest.approx(
        metrics["test"]["loss"], abs=1e-4
    )


def test_a_preset_reuses_known_scores_of_its_epoch(run_copy, preset_dir):
    _write_split_scores(run_copy, "best", epoch=1, loss=1.25)
    metrics = _exported_metrics(run_copy, "best", preset_dir)["metrics"]
    assert metrics["from"] == "eval/splits-best.json"
    assert metrics["epoch"] == 1
    assert metrics["validation"]["loss"] == 1.25
    last = export_preset.export_preset(
        run_copy, "shakespeare", which="last", overwrite=True
    )
    assert last.parent == preset_dir
    info = preset_store.preset_info("transformer_lm_tiny", "shakespeare")
    assert info["metrics"]["from"] == "metrics.json"
    assert info["metrics"]["epoch"] == 2
    assert info["metrics"]["test"] == info["run_metrics"]["test"]
