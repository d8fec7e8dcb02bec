"""Learning curves read from runs' event files, one run or several."""

import json

import pytest
import tensorflow as tf

from testing import load_benchmark

learning_curves = load_benchmark("learning_curves")


def _fake_run(directory, model, validation_errors, steps_per_epoch=50):
    """A run folder with `config.json` and `epoch_error` event scalars."""
    directory.mkdir(parents=True)
    config = {
        "model": {"name": model, "overrides": {}},
        "task": {"name": "copy", "options": {}},
        "training": {
            "epochs": len(validation_errors),
            "steps_per_epoch": steps_per_epoch,
            "batch_size": 32,
            "seed": 0,
        },
        "invocation": {"started": "2026-12-02T12:00:00"},
    }
    (directory / "config.json").write_text(json.dumps(config))
    for split, values in (
        ("train", [e + 0.1 for e in validation_errors]),
        ("validation", validation_errors),
    ):
        writer = tf.summary.create_file_writer(str(directory / "logs" / split))
        with writer.as_default():
            for epoch, value in enumerate(values):
                tf.summary.scalar("epoch_error", value, step=epoch)
        writer.close()
    return directory


def test_one_run_gives_its_summary(tmp_path, capsys):
    run = _fake_run(tmp_path / "a", "lstm", [0.8, 0.5, 0.6])
    out = tmp_path / "curve.png"
    learning_curves.main([str(run), "--out", str(out), "--metric", "error"])
    summary = json.loads(capsys.readouterr().out)
    assert out.stat().st_size > 0
    assert [p["step"] for p in summary["points"]["validation"]] == [
        50,
        100,
        150,
    ]
    assert summary["final_validation"]["value"] == pytest.approx(0.6)
    assert summary["best_validation"]["value"] == pytest.approx(0.5)
    assert summary["best_validation"]["epoch"] == 2


def test_several_runs_share_one_figure_and_list_their_summaries(
    tmp_path, capsys
):
    runs = [
        _fake_run(tmp_path / "a", "lstm", [0.8, 0.4]),
        _fake_run(tmp_path / "b", "dnc", [0.9, 0.7, 0.2], steps_per_epoch=10),
        _fake_run(tmp_path / "c", "dnc", [0.5]),
    ]
    out = tmp_path / "curves.png"
    learning_curves.main(
        [*map(str, runs), "--out", str(out), "--metric", "error"]
    )
    summaries = json.loads(capsys.readouterr().out)
    assert out.stat().st_size > 0
    assert [s["run_dir"] for s in summaries] == list(map(str, runs))
    finals = [s["final_validation"]["value"] for s in summaries]
    assert finals == pytest.approx([0.4, 0.2, 0.5])
    assert summaries[1]["final_validation"]["step"] == 30
    # Two runs of one model are told apart by their folders.
    configs = [json.loads((run / "config.json").read_text()) for run in runs]
    assert learning_curves.labels(runs, configs) == [
        "lstm",
        "dnc (b)",
        "dnc (c)",
    ]


def test_a_folder_that_is_not_a_run_is_refused_by_name(tmp_path, capsys):
    with pytest.raises(SystemExit) as raised:
        learning_curves.main([str(tmp_path), "--out", str(tmp_path / "x.png")])
    assert raised.value.code == 2
    error = capsys.readouterr().err
    assert "run_dir" in error and str(tmp_path) in error
    assert not (tmp_path / "x.png").exists()


def test_labels_name_the_runs_and_must_match_them(
    tmp_path, capsys, monkeypatch
):
    runs = [
        _fake_run(tmp_path / "a", "dnc", [0.8, 0.4]),
        _fake_run(tmp_path / "b", "dnc", [0.9, 0.7]),
    ]
    out = tmp_path / "curves.png"
    arguments = [*map(str, runs), "--out", str(out), "--metric", "error"]
    plotted = {}
    monkeypatch.setattr(
        learning_curves, "plot", lambda runs, *rest: plotted.update(runs)
    )
    learning_curves.main([*arguments, "--labels", "Adam, AMSGrad"])
    assert list(plotted) == ["Adam", "AMSGrad"]
    capsys.readouterr()
    for bad in ("one", "a,a", "a,b,c"):
        with pytest.raises(SystemExit) as raised:
            learning_curves.main([*arguments, "--labels", bad])
        assert raised.value.code == 2
        message = capsys.readouterr().err
        assert "--labels" in message and repr(bad) in message
        assert "expected 2 distinct labels" in message


def test_saved_curves_are_drawn_beside_runs(tmp_path, capsys, monkeypatch):
    runs = [
        _fake_run(tmp_path / "a", "lstm", [0.8, 0.4]),
        _fake_run(tmp_path / "b", "dnc", [0.9, 0.7, 0.2]),
    ]
    saved = tmp_path / "curves.json"
    learning_curves.main(
        [*map(str, runs), "--out", str(tmp_path / "x.png"), "--metric", "error"]
    )
    saved.write_text(capsys.readouterr().out)
    new_run = _fake_run(tmp_path / "c", "dnc", [0.5])
    plotted = {}
    monkeypatch.setattr(
        learning_curves, "plot", lambda runs, *rest: plotted.update(runs)
    )
    out = str(tmp_path / "y.png")
    learning_curves.main(
        [f"{saved}#1", str(new_run), "--out", out, "--metric", "error"]
    )
    summaries = json.loads(capsys.readouterr().out)
    assert list(plotted) == ["b", "dnc"]  # the saved run's folder name
    assert [s["final_validation"]["value"] for s in summaries] == (
        pytest.approx([0.2, 0.5])
    )
    assert summaries[0]["run_dir"] == str(runs[1])
    learning_curves.main(
        [str(saved), "--out", out, "--metric", "error", "--labels", "x,y"]
    )
    assert len(json.loads(capsys.readouterr().out)) == 2
    with pytest.raises(SystemExit):  # the same curve twice, no labels
        learning_curves.main(
            [f"{saved}#1", f"{saved}#1", "--out", out, "--metric", "error"]
        )
    assert "two curves share the label" in capsys.readouterr().err
    for argument, metric, match in (
        (f"{saved}#2", "error", "expected 0 to 1"),
        (f"{saved}#one", "error", "expected 0 to 1"),
        (str(saved), "loss", "expected --metric 'loss'"),
        (str(tmp_path / "missing.json"), "error", "cannot read"),
        (str(tmp_path / "a" / "config.json"), "error", "summary with"),
    ):
        with pytest.raises(SystemExit) as raised:
            learning_curves.main([argument, "--out", out, "--metric", metric])
        assert raised.value.code == 2
        message = capsys.readouterr().err
        assert match in message and argument in message
