"""The convergence benchmark's summary and the merging of separate runs."""

import json
import re

import keras
import numpy as np
import pytest

from testing import load_benchmark, tiny_convergence_run

convergence = load_benchmark("convergence")


def _seed(seed, converged_at, errors):
    curve = [
        {"sequences": 3200 * (i + 1), "bit_errors_per_sequence": e}
        for i, e in enumerate(errors)
    ]
    return {
        "seed": seed,
        "converged_at_sequences": converged_at,
        "converged_after_train_seconds": None if converged_at is None else 1.0,
        "relapses": [],
        "nan": False,
        "curve": curve,
    }


def _report(results, learning_rate=0.01):
    return {
        "model": "ntm",
        "task": "repeat_copy",
        "overrides": {},
        "batch_size": 32,
        "curriculum": "doubling",
        "compile": {"learning_rate": learning_rate},
        "summary": {"budget": 9600},
        "results": results,
    }


def test_an_unconverged_seed_counts_above_every_other_in_the_median():
    results = [
        _seed(0, 6400, [5.0, 0.05, 0.0]),
        _seed(1, None, [5.0, 4.0, 3.0]),
        _seed(2, 3200, [0.05, 0.0]),
    ]
    summary = convergence.summarise(results, 9600)
    # Sorted: 3,200, 6,400, never: the median is the middle one.
    assert summary["median_sequences_to_converge"] == 6400
    assert summary["converged"] == 2 and summary["seeds"] == 3
    # With half the seeds unconverged the median is not reached: None.
    results.append(_seed(3, None, [5.0]))
    assert (
        convergence.summarise(results, 9600)["median_sequences_to_converge"]
        is None
    )


def test_combine_merges_seeds_in_order_and_checks_the_configuration(
    tmp_path,
):
    first = tmp_path / "a.json"
    second = tmp_path / "b.json"
    first.write_text(json.dumps(_report([_seed(3, 3200, [0.0])])))
    second.write_text(json.dumps(_report([_seed(0, None, [5.0, 4.0])])))
    report = convergence.combine([first, second], tmp_path / "both")
    assert [r["seed"] for r in report["results"]] == [0, 3]
    assert report["summary"]["converged"] == 1
    written = json.loads((tmp_path / "both" / "results.json").read_text())
    assert written["summary"] == report["summary"]
    assert (tmp_path / "both" / "curve.png").stat().st_size > 0
    second.write_text(json.dumps(_report([_seed(0, None, [5.0])], 1e-3)))
    with pytest.raises(ValueError, match=r"'compile' differs"):
        convergence.combine([first, second], tmp_path / "mixed")


def test_combine_takes_a_report_without_a_threshold_as_the_default(tmp_path):
    # Reports written before the threshold was recorded used 0.1.
    old = tmp_path / "old.json"
    new = tmp_path / "new.json"
    old.write_text(json.dumps(_report([_seed(0, 3200, [0.0])])))
    new.write_text(
        json.dumps({**_report([_seed(1, 3200, [0.0])]), "threshold": 0.1})
    )
    report = convergence.combine([old, new], tmp_path / "both")
    assert report["threshold"] == 0.1 and len(report["results"]) == 2
    new.write_text(
        json.dumps({**_report([_seed(1, 3200, [0.0])]), "threshold": 1.0})
    )
    with pytest.raises(ValueError, match=r"'threshold' differs"):
        convergence.combine([old, new], tmp_path / "mixed")


def test_results_from_log_keeps_finished_seeds_with_their_curves(tmp_path):
    points = [
        {"sequences": 3200 * i, "bit_errors_per_sequence": e}
        for i, e in ((1, 9.0), (2, 0.05))
    ]
    finished = {"seed": 0, "converged_at_sequences": 6400, "relapses": []}
    running = {"sequences": 3200, "bit_errors_per_sequence": 50.0}
    lines = ["I0000 a TensorFlow message", *map(json.dumps, points)]
    lines += [json.dumps(finished), json.dumps(running)]
    log = tmp_path / "run.log"
    log.write_text("\n".join(lines) + "\n")
    (result,) = convergence.results_from_log(log)
    assert result["seed"] == 0 and result["curve"] == points
    assert result["converged_at_sequences"] == 6400


def test_results_from_log_names_the_log_when_it_cannot_give_results(
    tmp_path,
):
    log = tmp_path / "run.log"
    with pytest.raises(ValueError, match=r"cannot read the log .*run\.log"):
        convergence.results_from_log(log)
    running = {"sequences": 3200, "bit_errors_per_sequence": 5.0}
    log.write_text(json.dumps(running) + "\n")
    with pytest.raises(ValueError, match=r"no seed finished in .*run\.log"):
        convergence.results_from_log(log)
    finished = {"seed": 0, "converged_at_sequences": 3200, "relapses": []}
    log.write_text(f'{{"sequences": 32\n{json.dumps(finished)}\n')
    with pytest.raises(ValueError, match=r"line 1 of .* not a JSON record"):
        convergence.results_from_log(log)
    # A run killed while writing leaves its last line cut off: skipped.
    log.write_text(f'{json.dumps(finished)}\n{{"sequences": 64')
    (result,) = convergence.results_from_log(log)
    assert result["seed"] == 0 and result["curve"] == []


def test_the_report_records_the_family_s_model_options_for_the_task(tmp_path):
    log = tmp_path / "run.log"
    log.write_text(json.dumps(_seed(0, 3200, [0.05])) + "\n")
    convergence.main(
        [
            "ntm",
            "--task",
            "copy",
            "--from-log",
            str(log),
            "--out",
            str(tmp_path),
        ]
    )
    report = json.loads((tmp_path / "results.json").read_text())
    assert report["threshold"] == 0.1
    assert "changed_files" in report["invocation"]
    # `ntm` trains copy with a sharper read head by default
    # (zoo/models/ntm.py).
    assert report["model_option_defaults"] == {
        "min_sharpening": 2.0,
        "write_min_sharpening": 1.0,
    }


@pytest.mark.parametrize(
    "given, recorded",
    [
        ([], {"kind": "cosine", "floor": 0.1, "start": 0.6}),
        (
            ["--decay-start", "0.2"],
            {"kind": "cosine", "floor": 0.1, "start": 0.2},
        ),
        (["--decay", "none"], None),
    ],
)
def test_ntm_sorts_priorities_with_the_family_s_fall_unless_told(
    tmp_path, given, recorded
):
    log = tmp_path / "run.log"
    log.write_text(json.dumps(_seed(0, 3200, [40.0])) + "\n")
    out = tmp_path / "out"
    arguments = ["ntm", "--task", "priority_sort", "--from-log", str(log)]
    convergence.main([*arguments, *given, "--out", str(out)])
    report = json.loads((out / "results.json").read_text())
    assert report["decay"] == recorded
    assert report["batch_size"] == 16  # the family's for the task


@pytest.mark.parametrize(
    "option, value",
    [
        ("--decay-floor", "1.5"),
        ("--decay-start", "-0.1"),
        ("--decay-floor", "nan"),
        ("--decay", "linear"),
    ],
)
def test_a_bad_decay_option_is_a_usage_error(tmp_path, capsys, option, value):
    with pytest.raises(SystemExit) as stopped:
        convergence.main(["ntm", option, value, "--out", str(tmp_path)])
    assert stopped.value.code == 2
    named = option[2:].replace("-", "_")
    assert f"`{named}`: received" in capsys.readouterr().err
    assert not any(tmp_path.iterdir())


def test_save_final_keeps_each_seed_s_model_converged_or_not(tmp_path):
    report = tiny_convergence_run(tmp_path, "--save-final", seeds="0,1")
    assert [r["converged_at_sequences"] for r in report["results"]] == [
        None,
        None,
    ]
    # Each file holds its own seed's model: the two start and end apart.
    first, second = (
        keras.saving.load_model(tmp_path / f"model-seed{seed}.keras")
        for seed in (0, 1)
    )
    assert first.input_shape == second.input_shape
    assert any(
        not np.allclose(a, b)
        for a, b in zip(first.get_weights(), second.get_weights())
    )
    assert not (tmp_path / "model.keras").exists()


def test_save_final_refuses_an_out_that_already_holds_a_seed_s_model(
    tmp_path, capsys
):
    (tmp_path / "model-seed1.keras").write_text("mine")
    with pytest.raises(SystemExit) as stopped:
        convergence.main(
            ["ntm", "--seeds", "0,1", "--save-final", "--out", str(tmp_path)]
        )
    assert stopped.value.code == 2
    assert "model-seed1.keras already exist" in capsys.readouterr().err
    assert (tmp_path / "model-seed1.keras").read_text() == "mine"


@pytest.mark.parametrize("seeds", ["a", "0,,1", "1.5"])
def test_seeds_that_are_not_whole_numbers_are_a_usage_error(
    tmp_path, capsys, seeds
):
    with pytest.raises(SystemExit) as stopped:
        convergence.main(["ntm", "--seeds", seeds, "--out", str(tmp_path)])
    assert stopped.value.code == 2
    assert f"--seeds: received {seeds!r}" in capsys.readouterr().err


def test_an_out_under_a_file_is_a_usage_error_before_any_training(
    tmp_path, capsys
):
    (tmp_path / "results").write_text("mine")
    with pytest.raises(SystemExit) as stopped:
        convergence.main(["ntm", "--out", str(tmp_path / "results" / "run")])
    assert stopped.value.code == 2
    assert "is not a directory" in capsys.readouterr().err
    assert (tmp_path / "results").read_text() == "mine"


@pytest.mark.parametrize("stop_at", ["0", "97", "-5"])
def test_a_stop_outside_the_budget_is_a_usage_error(tmp_path, capsys, stop_at):
    with pytest.raises(SystemExit) as stopped:
        convergence.main(
            [
                "ntm",
                "--budget",
                "96",
                "--stop-at",
                stop_at,
                "--out",
                str(tmp_path),
            ]
        )
    assert stopped.value.code == 2
    assert f"--stop-at: received {stop_at}" in capsys.readouterr().err
    assert not any(tmp_path.iterdir())


@pytest.mark.parametrize(
    "option, message",
    [
        (["--set", "memory_size=-1"], "Invalid `memory_size`: received -1"),
        (["--set", "bogus=1"], "Unknown override 'bogus'"),
        (["--global-clipnorm", "nan"], "Invalid `global_clipnorm`"),
        (["--spike-factor", "1"], "Invalid `spike_factor`: received 1.0"),
        (["--learning-rate", "inf"], "Invalid `learning_rate`"),
    ],
)
def test_a_bad_model_or_compile_option_is_a_usage_error_writing_nothing(
    tmp_path, capsys, option, message
):
    out = tmp_path / "run"
    with pytest.raises(SystemExit) as stopped:
        convergence.main(["ntm_tiny", *option, "--out", str(out)])
    assert stopped.value.code == 2
    assert message in capsys.readouterr().err
    assert not out.exists()


def _tiny_run(out, *options):
    return tiny_convergence_run(out, "--decay", "cosine", *options, budget=96)


def test_stop_at_runs_the_start_and_resume_carries_it_on_to_the_end(
    tmp_path, monkeypatch
):
    whole = _tiny_run(tmp_path / "whole")
    out = tmp_path / "start"
    start = _tiny_run(out, "--stop-at", "64")
    assert start["stop_at"] == 64 and whole["stop_at"] is None
    whole_curve = whole["results"][0]["curve"]
    start_curve = start["results"][0]["curve"]
    assert [p["sequences"] for p in start_curve] == [32, 64]
    # The rate falls over the 96 sequences of the budget, not over 64.
    for early, same in zip(start_curve, whole_curve):
        assert early["learning_rate"] == pytest.approx(same["learning_rate"])
        assert early["bits_per_sequence"] == pytest.approx(
            same["bits_per_sequence"], rel=1e-4
        )
    assert start_curve[1]["learning_rate"] < start_curve[0]["learning_rate"]
    with pytest.raises(ValueError, match="'stop_at' differs"):
        convergence.combine(
            [tmp_path / "whole/results.json", out / "results.json"],
            tmp_path / "both",
        )
    # Carried on without the stop, and killed as the third evaluation
    # period begins: the seed's last checkpoint is the second evaluation's.
    begin = convergence.ConvergenceWatcher.on_epoch_begin

    def killed_at_the_third(watcher, epoch, logs=None):
        if epoch == 2:
            raise KeyboardInterrupt
        begin(watcher, epoch, logs)

    with monkeypatch.context() as patch:
        patch.setattr(
            convergence.ConvergenceWatcher,
            "on_epoch_begin",
            killed_at_the_third,
        )
        with pytest.raises(KeyboardInterrupt):
            _tiny_run(out, "--resume")
    state = json.loads((out / "seed-0/checkpoints/last.json").read_text())
    assert state["epoch"] == 2
    resumed = _tiny_run(out, "--resume")
    assert len(resumed["resumed"]) == 2 and resumed["stop_at"] is None
    assert resumed["invocation"] == start["invocation"]
    (result,) = resumed["results"]
    assert [p["sequences"] for p in result["curve"]] == [32, 64, 96]
    (same,) = whole["results"]
    for point, reference in zip(result["curve"], same["curve"], strict=True):
        for key in ("learning_rate", "train_loss", "bits_per_sequence"):
            assert point[key] == pytest.approx(reference[key], rel=1e-5)
    assert result["learning_rate"] == same["learning_rate"]
    # The seed has spent its budget: a further resume trains nothing.
    again = _tiny_run(out, "--resume")
    assert again["results"] == resumed["results"]


def _logged_run(tmp_path):
    log = tmp_path / "run.log"
    seed = _seed(0, 3200, [0.05])
    lines = [*seed.pop("curve"), seed]  # as the run logs them
    log.write_text("".join(json.dumps(line) + "\n" for line in lines))
    out = tmp_path / "out"
    convergence.main(
        ["ntm", "--seeds", "0", "--from-log", str(log), "--out", str(out)]
    )
    return out


@pytest.mark.parametrize(
    "options, complaint",
    [
        ([], "already holds a run of this benchmark; pass --resume"),
        (["--resume", "--budget", "1000"], "--resume: 'budget' differs"),
        (["--resume", "--stop-at", "100"], "is earlier than the run's 200000"),
        # The logged seed stopped at 3,200 and was never checkpointed.
        (["--resume"], "seed 0 stopped at 3200 sequences and .* holds no"),
    ],
)
def test_an_out_with_a_run_is_resumed_as_it_was_or_not_at_all(
    tmp_path, capsys, options, complaint
):
    out = _logged_run(tmp_path)
    before = (out / "results.json").read_text()
    with pytest.raises(SystemExit) as stopped:
        convergence.main(["ntm", "--seeds", "0", *options, "--out", str(out)])
    assert stopped.value.code == 2
    # argparse wraps long messages: compared with the lines joined.
    assert re.search(complaint, " ".join(capsys.readouterr().err.split()))
    assert (out / "results.json").read_text() == before


def test_resume_needs_a_run_of_this_version_in_out(tmp_path, capsys):
    with pytest.raises(SystemExit):
        convergence.main(["ntm", "--resume", "--out", str(tmp_path)])
    assert "holds no results.json" in capsys.readouterr().err
    out = _logged_run(tmp_path)
    report = json.loads((out / "results.json").read_text())
    del report["eval_every"]  # as written before checkpoints
    (out / "results.json").write_text(json.dumps(report))
    with pytest.raises(SystemExit):
        convergence.main(["ntm", "--seeds", "0", "--resume", "--out", str(out)])
    assert "written before runs were checkpointed" in capsys.readouterr().err
    # A cut-off seed whose checkpoint record is broken: said, not raised.
    del report["results"][0]
    (out / "results.json").write_text(
        json.dumps({**report, "eval_every": 3200})
    )
    (out / "seed-0/checkpoints").mkdir(parents=True)
    (out / "seed-0/checkpoints/last.json").write_text("{not json")
    with pytest.raises(SystemExit):
        convergence.main(["ntm", "--seeds", "0", "--resume", "--out", str(out)])
    assert "last.json" in capsys.readouterr().err
