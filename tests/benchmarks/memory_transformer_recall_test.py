"""Experiment 2: associative recall past the window, its checks and a run."""

import json

import pytest

from testing import load_benchmark

recall = load_benchmark("memory_transformer_recall")

# Sizes that build and train in seconds; no XLA. Two items of one vector
# in every sequence, so that every batch has one shape (8 steps).
TINY = [
    "--model-dim", "8", "--num-heads", "2", "--feed-forward-dim", "8",
    "--baseline-feed-forward-dim", "8", "--memory-size", "4",
    "--word-size", "4", "--num-bits", "2", "--item-length", "1",
    "--max-items", "2", "--window", "4", "--batch-size", "2",
    "--eval-size", "4", "--jit-compile", "eager",
]  # fmt: skip


def test_answer_windows_by_hand():
    # 2 items of 3 vectors: item 1 at steps 5-7, the answer at steps 13-15.
    assert recall.answer_windows(3, 2, 0, 8) == ({1}, {0})
    assert recall.answer_windows(3, 2, 0, 16) == ({0}, {0})
    # 6 items, query on item 4: item 5 at 21-23, the answer at 29-31.
    assert recall.answer_windows(3, 6, 4, 8) == ({3}, {2})
    assert recall.answer_windows(3, 6, 4, 7) == ({4}, {3})


def test_the_default_window_keeps_every_answer_apart_from_its_item():
    recall.check_window(8, 3, 2, 6)
    for window in (4, 5, 6):
        recall.check_window(window, 3, 2, 15)


@pytest.mark.parametrize("window", [0, 7, 9, 16])
def test_a_window_that_holds_an_answer_and_its_item_is_refused(window):
    with pytest.raises(ValueError, match=f"`--window`: received {window}"):
        recall.check_window(window, 3, 2, 6)


def test_parse_arguments_refuses_bad_options():
    with pytest.raises(ValueError, match="`--models`.*'transformer_lm'"):
        recall.parse_arguments(["--out", "x", "--models", "transformer_lm"])
    with pytest.raises(ValueError, match="`--window`"):
        recall.parse_arguments(["--out", "x", "--window", "12"])
    with pytest.raises(ValueError, match="`--eval-every`"):
        recall.parse_arguments(["--out", "x", "--steps", "5"])
    for floor in ("1", "7"):
        with pytest.raises(
            ValueError, match=f"`--train-min-items`: .* {floor}"
        ):
            recall.parse_arguments(["--out", "x", "--train-min-items", floor])


def test_the_default_sizes_match_parameters_within_one_percent():
    import tasks

    args = recall.parse_arguments(["--out", "x"])
    task = tasks.get("associative_recall", generalisation_items=())
    counts = {
        name: recall.experiment.build(name, task, args)[0].count_params()
        for name in ("segment_transformer", "ntm_transformer")
    }
    ratio = counts["ntm_transformer"] / counts["segment_transformer"]
    assert 1.0 <= ratio < 1.01, counts


def test_a_two_step_run_writes_curves_and_a_plot(tmp_path, capsys):
    out, plot = tmp_path / "recall.json", tmp_path / "recall.png"
    recall.main(
        [*TINY, "--models", "segment_transformer,ntm_transformer"]
        + ["--seeds", "3", "--steps", "2", "--eval-every", "1"]
        + ["--out", str(out), "--plot", str(plot)]
    )
    report = json.loads(out.read_text())
    assert report["chance_bit_errors_per_sequence"] == 1.0  # 1 x 2 bits / 2
    assert report["arguments"]["window"] == 4 and report["commit"]
    assert [r["model"] for r in report["results"]] == [
        "segment_transformer",
        "ntm_transformer",
    ]
    for result in report["results"]:
        assert result["seed"] == 3 and result["parameters"] > 0
        assert [p["step"] for p in result["curve"]] == [1, 2]
        errors = [p["bit_errors_per_sequence"] for p in result["curve"]]
        # At most every answer bit wrong: 1 vector of 2 bits.
        assert all(0.0 <= e <= 2.0 for e in errors)
        assert result["final_bit_errors_per_sequence"] == errors[-1]
        # Two items: the query is always item 0, in the window of item 1.
        assert [
            (row["items"], row["query"], row["sequences"])
            for row in result["errors_by_query"]
        ] == [(2, 0, 4)]
        by_window = result["errors_by_pair_window"]
        assert by_window["pair_in_one_window"] is None
        assert by_window["pair_split"] is None
        # With one candidate its mean is the answer: no error.
        assert (
            by_window["two_items"]["candidate_mean_bit_errors_per_sequence"]
            == 0
        )
        # The breakdown counts what the final evaluation counted.
        assert by_window["two_items"][
            "bit_errors_per_sequence"
        ] == pytest.approx(result["final_bit_errors_per_sequence"], abs=1e-4)
    assert "| ntm_transformer | 3 |" in report["table"]
    assert "| model | seed | 2 items |" in report["table"]
    assert report["table"] in capsys.readouterr().out
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_train_min_items_reaches_the_task(monkeypatch):
    seen = {}

    class Stop(Exception):
        pass

    def get(name, **options):
        seen.update(options, name=name)
        raise Stop

    import tasks

    monkeypatch.setattr(tasks, "get", get)
    args = recall.parse_arguments(["--out", "x", "--train-min-items", "3"])
    with pytest.raises(Stop):
        recall.run("ntm_transformer", 0, args)
    assert seen["name"] == "associative_recall"
    assert seen["train_min_items"] == 3 and seen["min_items"] == 2
